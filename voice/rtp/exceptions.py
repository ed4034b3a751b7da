"""Exceptions of the sans-I/O RTP core.

Tree::

    RtpError                base of everything this package raises
    └── RtpParseError       bytes that are not an RTP packet (RFC 3550) or an RFC 4733
                            telephone-event payload; drop the datagram and go on

Messages are fixed strings (no packet bytes), safe to log at debug level.
"""

from __future__ import annotations

__all__ = ["RtpError", "RtpParseError"]


class RtpError(Exception):
    """Base class of every exception raised by :mod:`voice.rtp`."""


class RtpParseError(RtpError):
    """Input is not a well-formed RTP packet or telephone-event payload."""
