"""Errors of the concierge package.

    ConciergeError                 base of everything raised here
    ├── ToolInputError             a tool call whose arguments do not fit its schema
    ├── ApprovalError              an approval request that is unknown or already decided
    ├── CallStateError             a move of the call's state the state machine does not allow
    └── ScriptError                the test Messages API server ran out of scripted responses

Messages name fields and identifiers only, never caller text.
"""

from __future__ import annotations


class ConciergeError(Exception):
    """Base class for concierge errors."""


class ToolInputError(ConciergeError):
    """Arguments of a tool call that do not fit the tool's schema."""


class ApprovalError(ConciergeError):
    """An approval request that is unknown, or no longer pending."""


class CallStateError(ConciergeError):
    """A change of a call's state outside an action, or one :mod:`concierge.authority` forbids."""


class ScriptError(ConciergeError):
    """The scripted Messages API server has no response left for a request."""
