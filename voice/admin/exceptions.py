"""Errors of the admin package.

    AdminError              base of the errors raised here
    └── ChangeRejected      a configuration change that would leave the workspace invalid;
                            ``loc`` names the field at fault (the API answers 422 with it)
    StoreError              (from :mod:`voice.store.exceptions`) the store cannot be read or written: 503
    └── VersionConflict     the change was based on an older version of the workspace: 409

Messages name fields and identifiers only, never caller numbers or token values.
"""

from __future__ import annotations

from voice.store.exceptions import StoreError, VersionConflict

__all__ = ["AdminError", "ChangeRejected", "StoreError", "VersionConflict"]


class AdminError(Exception):
    """Base class for admin errors."""


class ChangeRejected(AdminError):
    """A change that would leave the workspace invalid."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        self.loc = loc
        self.msg = msg
        super().__init__(f"{'.'.join(str(p) for p in loc)}: {msg}")
