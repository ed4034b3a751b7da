"""Errors of the admin package.

    AdminError              base of everything raised here
    ├── StoreError          the configuration store cannot be read or written
    └── ChangeRejected      a configuration change that would leave the workspace invalid;
                            ``loc`` names the field at fault (the API answers 422 with it)

Messages name fields and identifiers only, never caller numbers or token values.
"""

from __future__ import annotations


class AdminError(Exception):
    """Base class for admin errors."""


class StoreError(AdminError):
    """The configuration store cannot be read or written."""


class ChangeRejected(AdminError):
    """A change that would leave the workspace invalid."""

    def __init__(self, loc: tuple[str | int, ...], msg: str) -> None:
        self.loc = loc
        self.msg = msg
        super().__init__(f"{'.'.join(str(p) for p in loc)}: {msg}")
