"""The configuration store seam: workspaces (versioned), API tokens and caller opt-outs.

:class:`ConfigStore` is what the admin API and the call set-up use; :class:`voice.store.SqlConfigStore`
implements it on SQLite (the embedded default) and PostgreSQL. Workspaces are stored whole, without
secrets or raw numbers, with a version number that every save increments; a save based on an older
version raises :class:`voice.store.VersionConflict` (the API's 409). The YAML file seeds a workspace
the store does not hold yet; afterwards ``dialphone config import`` applies it as a new version.
Opt-outs hold a keyed identifier of the number (:func:`voice.ivr.optout.number_digest`) and a
masked form, never the number.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from concierge.config import Workspace
from voice.store.records import OptOutEntry, TokenRecord

__all__ = ["ConfigStore", "OptOutEntry", "TokenRecord"]


@runtime_checkable
class ConfigStore(Protocol):
    def workspace_ids(self) -> list[str]: ...

    def load(self, workspace_id: str) -> Workspace | None: ...

    def load_versioned(self, workspace_id: str) -> tuple[Workspace, int] | None: ...

    def version(self, workspace_id: str) -> int: ...

    def save(self, workspace: Workspace, *, actor: str, expected_version: int | None = None) -> int:
        """Store ``workspace`` as the next version; returns it (VersionConflict if ``expected_version`` is stale)."""
        ...

    def workspace_lock(self, workspace_id: str) -> Any:
        """Serialize changes of one workspace across processes until :meth:`workspace_unlock`."""
        ...

    def workspace_unlock(self, handle: Any) -> None: ...

    def seed(self, workspace: Workspace) -> Workspace:
        """Store ``workspace`` and its YAML tokens/opt-outs unless held already; return the stored one."""
        ...

    def seed_extras(self, workspace: Workspace, *, actor: str) -> None: ...

    def differences(self, workspace: Workspace) -> list[str]:
        """Dotted fields where ``workspace`` differs from the stored version."""
        ...

    def tokens(self) -> list[TokenRecord]:
        """Tokens that authenticate now (not revoked, not expired)."""
        ...

    def all_tokens(self, workspace_id: str | None = None) -> list[TokenRecord]: ...

    def add_token(
        self, *, workspace_id: str, name: str, role: str, digest: str, expires_at: str | None = None,
        actor: str = "seed",
    ) -> TokenRecord: ...

    def revoke_token(self, workspace_id: str, token_id: str, *, actor: str) -> TokenRecord | None: ...

    def optouts(self, workspace_id: str) -> list[OptOutEntry]: ...

    def add_optout(
        self, workspace_id: str, number: str, *, source: str, actor: str, region: str | None = None
    ) -> OptOutEntry: ...

    def remove_optout(self, workspace_id: str, entry_id: str) -> OptOutEntry | None: ...

    # the voice.ivr.optout.OptOutList protocol, used at call set-up
    def contains(self, workspace_id: str, digest: str) -> bool: ...

    def remember(self, workspace_id: str, number: str, *, source: str, actor: str) -> None: ...

    def close(self) -> None: ...
