"""The configuration store seam: workspaces, API tokens and caller opt-outs.

:class:`ConfigStore` is what the admin API and the call set-up use; :class:`SqliteConfigStore`
(:mod:`voice.admin.sqlite_store`) is the embedded default, and a PostgreSQL store is a new class
with the same methods. Workspaces are stored whole (validated JSON) with a version number; the
YAML file only seeds a workspace the store does not hold yet. Opt-outs hold a salted digest of
the number (:func:`voice.ivr.optout.number_digest`) and a masked form, never the number.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from concierge.config import Workspace
from voice.admin.roles import Role
from voice.admin.tokens import TokenRecord


@dataclass(frozen=True, slots=True)
class OptOutEntry:
    id: str  # the first 16 hex digits of the digest: enough to address, not to recover
    workspace_id: str
    masked: str
    source: str  # "admin", "caller_consent", "seed"
    created_by: str
    created_at: str

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "masked": self.masked,
            "source": self.source,
            "created_by": self.created_by,
            "created_at": self.created_at,
        }


@runtime_checkable
class ConfigStore(Protocol):
    def workspace_ids(self) -> list[str]: ...

    def load(self, workspace_id: str) -> Workspace | None: ...

    def version(self, workspace_id: str) -> int: ...

    def save(self, workspace: Workspace, *, actor: str) -> int:
        """Store ``workspace`` (replacing the previous version); returns the new version."""
        ...

    def seed(self, workspace: Workspace) -> Workspace:
        """Store ``workspace`` and its YAML tokens/opt-outs unless held already; return the stored one."""
        ...

    def tokens(self) -> list[TokenRecord]: ...

    def add_token(self, *, workspace_id: str, name: str, role: Role, digest: str) -> TokenRecord: ...

    def optouts(self, workspace_id: str) -> list[OptOutEntry]: ...

    def add_optout(self, workspace_id: str, number: str, *, source: str, actor: str) -> OptOutEntry: ...

    def remove_optout(self, workspace_id: str, entry_id: str) -> OptOutEntry | None: ...

    # the voice.ivr.optout.OptOutList protocol, used at call set-up
    def contains(self, workspace_id: str, digest: str) -> bool: ...

    def remember(self, workspace_id: str, number: str, *, source: str, actor: str) -> None: ...

    def close(self) -> None: ...
