"""Configuration changes: validate the whole workspace, audit, store, apply to new calls.

Every change goes through :meth:`AdminService.change`: the *stored* version is read (never this
process's running copy, which another process may have overtaken), the change applied and the
workspace validated as a whole (an IVR option naming a removed department is refused, naming the
field); a ``config.changed`` event with the admin's identity and the value before and after is
written durably; the store saves the next version; and if it is the workspace the server runs, it
replaces ``ServerState.workspace`` and ``Engines.workspace`` after its IVR prompts are pre-rendered,
so the next call uses it and no call waits for synthesis.

Concurrency: a change names the version it is based on (``If-Match``) or is based on the version
it read; a stored version that moved on answers 409 (:class:`VersionConflict`), never a silent
overwrite. Changes of one workspace are serialized across processes (a PostgreSQL advisory lock,
:meth:`voice.store.SqlConfigStore.workspace_lock`), so the audit event and the save cannot be split
by another writer. :meth:`AdminService.refresh` picks up versions saved by other processes.
"""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from audit import builders
from concierge.config import Workspace
from voice.admin.exceptions import ChangeRejected, VersionConflict
from voice.admin.roles import Principal
from voice.admin.store import ConfigStore
from voice.ivr import prerender

Mutation = Callable[[dict[str, Any]], None]


class AuditUnavailable(Exception):
    """The audit log is not running: changes are refused rather than made unaudited."""


ABSENT = "<absent>"  # before a creation / after a removal (the audit payload holds no nulls)


def _lookup(data: Any, path: tuple[str, ...], fields: tuple[str, ...] | None = None) -> Any:
    """The value at ``path``; a list of departments is indexed by name. ``fields`` picks a subset."""
    for part in path:
        if isinstance(data, dict):
            data = data.get(part)
        elif isinstance(data, list):
            data = next((x for x in data if isinstance(x, dict) and x.get("name") == part), None)
        else:
            return None
    if fields is not None and isinstance(data, dict):
        return {f: data.get(f) for f in fields}
    return data


class AdminService:
    def __init__(self, *, state: Any, store: ConfigStore, model_cards_dir: Path) -> None:
        self.state = state
        self.store = store
        self.model_cards_dir = model_cards_dir
        self._lock = asyncio.Lock()
        start = getattr(state, "workspace", None)
        self._start_security = start.security if start is not None else None
        self.applied_version = 0  # the stored version the running copy was made from

    def runtime(self, stored: Workspace) -> Workspace:
        """The running copy of a stored workspace: the process's secrets and deployment overrides
        (``state.overlay``, from :mod:`voice.settings`), else the start-up workspace's secrets."""
        overlay = getattr(self.state, "overlay", None)
        if overlay is not None:
            return overlay(stored)  # type: ignore[no-any-return]
        if self._start_security is None:
            return stored
        return stored.model_copy(update={"security": self._start_security})

    # -- reading --------------------------------------------------------------
    def workspace(self, workspace_id: str) -> Workspace | None:
        active = self.state.workspace
        if active is not None and active.id == workspace_id:
            return active  # type: ignore[no-any-return]
        return self.store.load(workspace_id)

    def audit_log(self) -> Any:
        engines = self.state.engines
        log = getattr(engines, "audit_log", None) if engines is not None else None
        if log is None or not getattr(log, "running", False):
            raise AuditUnavailable("the audit log is not running")
        return log

    def audit_store(self) -> Any:
        return getattr(self.audit_log(), "_store", None)

    # -- changing -------------------------------------------------------------
    async def change(
        self,
        principal: Principal,
        workspace_id: str,
        key: tuple[str, ...],
        mutate: Mutation,
        *,
        fields: tuple[str, ...] | None = None,
        expected_version: int | None = None,
    ) -> Workspace:
        """Apply ``mutate`` to the stored workspace's JSON form. ``key`` is the changed path (``()``
        with ``fields`` for top-level fields); the audit event holds that value before and after.
        ``expected_version``: the version the caller saw (If-Match); VersionConflict if stale."""
        async with self._lock:
            handle = await asyncio.to_thread(self.store.workspace_lock, workspace_id)
            try:
                return await self._change_locked(
                    principal, workspace_id, key, mutate, fields=fields, expected_version=expected_version
                )
            finally:
                await asyncio.to_thread(self.store.workspace_unlock, handle)

    async def _change_locked(
        self, principal: Principal, workspace_id: str, key: tuple[str, ...], mutate: Mutation, *,
        fields: tuple[str, ...] | None, expected_version: int | None,
    ) -> Workspace:
        found = await asyncio.to_thread(self.store.load_versioned, workspace_id)
        if found is None:
            raise KeyError(workspace_id)
        current, version = found
        if expected_version is not None and expected_version != version:
            raise VersionConflict(workspace_id, expected=expected_version, current=version)
        data = current.model_dump(mode="json")
        before = copy.deepcopy(_lookup(data, key, fields))  # a mutation in place must not change it
        mutate(data)
        after = _lookup(data, key, fields)
        try:
            new = Workspace.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = tuple(err["loc"]) or key
            raise ChangeRejected(tuple(p for p in loc), str(err["msg"])) from None
        await self._prerender(self.runtime(new))
        log = self.audit_log()
        await log.append(
            builders.config_changed(
                workspace_id=workspace_id,
                admin=principal.identity,
                key=".".join(key) or "workspace",
                before=ABSENT if before is None else before,
                after=ABSENT if after is None else after,
            ),
            durable=True,
        )
        saved = await asyncio.to_thread(self.store.save, new, actor=principal.identity, expected_version=version)
        await self.apply(new, version=saved)
        return self.runtime(new)

    async def record(self, principal: Principal, workspace_id: str, key: str, before: Any, after: Any) -> None:
        """Audit a change that is not part of the workspace document (the opt-out list)."""
        await self.audit_log().append(
            builders.config_changed(
                workspace_id=workspace_id,
                admin=principal.identity,
                key=key,
                before=ABSENT if before is None else before,
                after=ABSENT if after is None else after,
            ),
            durable=True,
        )

    async def refresh(self) -> bool:
        """Run the newest stored version if another process (or ``dialphone config import``) saved
        one; True when it changed. The server calls this every ``config_poll_s``."""
        state = self.state
        if state.workspace is None:
            return False
        found = await asyncio.to_thread(self.store.load_versioned, state.workspace.id)
        if found is None or found[1] == self.applied_version:
            return False
        async with self._lock:
            await self.apply(found[0], version=found[1])
        return True

    async def apply(self, stored: Workspace, *, version: int | None = None) -> None:
        """Make ``stored`` (its running copy) the one new calls use, if the server runs it."""
        state = self.state
        if state.workspace is None or state.workspace.id != stored.id:
            return
        workspace = self.runtime(stored)
        await self._prerender(workspace)
        engines = state.engines
        if engines is not None and engines.workspace.id == workspace.id:
            engines.workspace = workspace
        state.workspace = workspace
        if version is not None:
            self.applied_version = version

    async def _prerender(self, workspace: Workspace) -> None:
        """Render the IVR prompts of the workspace the server runs; a prompt that cannot be
        synthesized rejects the change (a caller would otherwise hear nothing)."""
        state = self.state
        engines = state.engines
        if engines is None or state.workspace is None or state.workspace.id != workspace.id:
            return
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(engines.tts_executor, prerender, workspace, engines.prompts)
        except Exception as exc:  # synthesis or WAV decoding failed: refuse, naming the menu
            raise ChangeRejected(("ivr",), f"a prompt cannot be rendered ({type(exc).__name__})") from None

    # -- model cards ----------------------------------------------------------
    def model_cards(self) -> list[str]:
        folder = self.model_cards_dir
        if not folder.is_dir():
            return []
        return sorted(p.stem for p in folder.glob("*.md") if _CARD.match(p.stem))

    def model_card(self, name: str) -> str | None:
        if not _CARD.match(name) or name not in self.model_cards():
            return None
        return (self.model_cards_dir / f"{name}.md").read_text(encoding="utf-8")


_CARD = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
