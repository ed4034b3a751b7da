"""Errors of the media-stream transports (WebSocket media streams, WebRTC signalling).

    MediaStreamError                 base of everything raised here
    ├── MalformedMessage             one inbound message is unusable; the call skips it and goes on
    │                                (``reason`` is a fixed phrase that never quotes the payload)
    └── StreamAuthError              the stream's signed token is missing, expired or wrong; the
                                     WebSocket is closed with :data:`CLOSE_UNAUTHORIZED`
"""

from __future__ import annotations


class MediaStreamError(Exception):
    """Base of the media-stream errors."""


class MalformedMessage(MediaStreamError):
    """One inbound message cannot be used. ``reason`` names the fault, never the content."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StreamAuthError(MediaStreamError):
    """The stream's token does not authenticate it."""
