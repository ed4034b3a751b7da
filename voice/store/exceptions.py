"""Errors of the state store.

    StoreError           the store cannot be read or written (the API answers 503)
    └── VersionConflict  a change was based on a version that is no longer the stored one (409)

Messages name workspaces, versions and identifiers only, never caller numbers or token values.
"""

from __future__ import annotations


class StoreError(Exception):
    """The state store cannot be read or written."""


class VersionConflict(StoreError):
    """Optimistic concurrency: the workspace moved on since the version the change was based on."""

    def __init__(self, workspace_id: str, *, expected: int, current: int) -> None:
        self.workspace_id = workspace_id
        self.expected = expected
        self.current = current
        super().__init__(f"workspace {workspace_id!r} is at version {current}, not {expected}")
