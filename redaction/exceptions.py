"""Exceptions of the redaction package.

Tree::

    RedactionError                 base of everything raised on purpose here
    ├── InputTooLargeError         text over MAX_TEXT_CHARS (the caller should split or drop it)
    └── VaultError                 vault misuse
        ├── UnknownTokenError      a token this call's vault never issued
        └── VaultShreddedError     the call's data key was deleted: values are gone for good

Messages never contain raw caller data, only tokens and sizes.
"""

from __future__ import annotations


class RedactionError(Exception):
    """Base class of every error this package raises on purpose."""


class InputTooLargeError(RedactionError):
    """The text is longer than the redactor accepts in one call."""


class VaultError(RedactionError):
    """The per-call vault was used in a way it does not allow."""


class UnknownTokenError(VaultError):
    """The token was not issued by this vault."""


class VaultShreddedError(VaultError):
    """The vault's data key was deleted; its values cannot be recovered."""
