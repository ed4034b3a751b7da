"""Exceptions of the sans-I/O SIP core.

Tree::

    SipError                    base of everything this package raises
    ├── SipParseError           bytes that are not a SIP message (RFC 3261 grammar), or a header
    │                           value that does not match its grammar; ``raw`` carries what could
    │                           be framed (start line, headers) so a UAS can still answer 400
    ├── SdpParseError           text that is not an SDP session description (RFC 4566)
    ├── SdpNegotiationError     an offer we cannot answer (no audio codec in common): reply 488
    ├── SipTransactionError     a transaction was driven out of order (a bug in the caller)
    └── SipCallError            the application acted on a call that cannot take the action
                                (unknown call, answer after BYE, REFER before the dialog exists)

Messages are fixed strings that never contain bytes from the peer, so they are safe to log.
A parse message names the rule broken and, where it helps, the element (a lower-case header
name, "Via", "SIP URI user", ...): "malformed request line", "unterminated quoted string in to",
"white space inside <> in to", "CSeq number out of range", "more than one Content-Length",
"Content-Length larger than the datagram", "message head is not terminated by an empty line",
"bare CR or LF in message head", "URI with headers must be enclosed in <> in contact".
tests/voice/sip/test_sip_parser.py pins the exact text of each.
"""

from __future__ import annotations

from voice.sip.fields import RawMessage

__all__ = [
    "SdpNegotiationError",
    "SdpParseError",
    "SipCallError",
    "SipError",
    "SipParseError",
    "SipTransactionError",
]


class SipError(Exception):
    """Base class of every exception raised by :mod:`voice.sip`."""


class SipParseError(SipError):
    """Input is not a well-formed SIP message or header value.

    ``raw`` is the framed message (start line and header list) when framing got that far, else
    ``None``; :class:`voice.sip.core.SipCore` uses it to answer a broken request with 400.
    """

    def __init__(self, message: str, *, raw: RawMessage | None = None) -> None:
        super().__init__(message)
        self.raw = raw


class SdpParseError(SipError):
    """Input is not a well-formed SDP session description."""


class SdpNegotiationError(SipError):
    """An SDP offer has no audio stream with a codec we support (answer 488 Not Acceptable Here)."""


class SipTransactionError(SipError):
    """A transaction state machine was asked to do something its state does not allow."""


class SipCallError(SipError):
    """The application asked for an action that the call's state does not allow."""
