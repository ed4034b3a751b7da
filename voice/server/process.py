"""The server process's state: the engines it loads once, the SIP listener it starts, its calls.

Routes and listeners see the process through :class:`voice.pipeline.server_state.ServerState`;
:class:`ServerProcess` is the implementation: it loads the engines and starts the SIP listener.
Its HTTP app is :func:`voice.server.app.create_app`; :mod:`voice.server.main` runs both.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from concierge.config import Workspace
from voice.pipeline.engines import Engines
from voice.store import State
from voice.telephony.gc_pacing import PACER
from voice.telephony.listener import SipServer


class ServerProcess:
    """Everything one server process shares between calls: configuration, models, listeners.

    Implements :class:`~voice.pipeline.server_state.ServerState` for the routes and the SIP listener."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        data_dir: Path,
        stores: State | None = None,
        audit_store: Any = None,
        audit_db: Path | None = None,
        signing_key: bytes | None = None,
        overlay: Callable[[Workspace], Workspace] | None = None,
        config_poll_s: float = 1.0,
        approvals_retention_s: float = 86_400.0,
    ) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.engines: Engines | None = None
        self.ready = False
        self.calls: dict[str, Any] = {}
        self.admin: Any = None  # the admin service (voice.admin.router sets it)
        self.stores = stores  # the state store the settings name (None: the admin router's SQLite default)
        self.config_store = stores.config if stores is not None else None
        self.overlay = overlay  # stored workspace -> this process's running copy (voice.settings)
        self._audit_store = audit_store
        self._audit_db = audit_db
        self._signing_key = signing_key
        self._poll_s = config_poll_s
        self._retention_s = approvals_retention_s
        self._listeners: list[SipServer] = []
        self._housekeeping: asyncio.Task[None] | None = None

    async def start(self, *, host: str, sip_port: int) -> None:
        loop = asyncio.get_running_loop()
        engines = await loop.run_in_executor(
            None,
            lambda: Engines.load(self.workspace, self.data_dir, audit_db=self._audit_db, audit_store=self._audit_store,
                                 signing_key=self._signing_key),
        )
        self.engines = engines
        if self.stores is not None:
            engines.approvals = self.stores.approvals
            await self.stores.approvals.start()
        await engines.start()
        self._housekeeping = asyncio.create_task(self._keep_house(), name="housekeeping")
        sip = SipServer(state=self, host=host, port=sip_port)
        await sip.start()
        self._listeners.append(sip)
        self.ready = True

    async def _keep_house(self) -> None:
        """Run versions saved by other processes (every ``config_poll_s``); prune decided approval
        requests past their retention (every minute)."""
        next_prune = 0.0
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                if self.admin is not None and await self.admin.refresh():
                    log.info("workspace %s: running stored version %d", self.workspace.id, self.admin.applied_version)
                if self.engines is not None and loop.time() >= next_prune:
                    next_prune = loop.time() + 60.0
                    pruned = await self.engines.approvals.prune(retention_s=self._retention_s)
                    if pruned:
                        log.info("pruned %d decided approval requests", pruned)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a store hiccup must not end housekeeping
                log.warning("housekeeping failed: %s", type(exc).__name__)

    async def shutdown(self, *, deadline_s: float) -> None:
        self.ready = False
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        for listener in self._listeners:
            await listener.stop(deadline_s=deadline_s)
        if self.engines is not None:
            await self.engines.close()
        if self.stores is not None:
            await self.stores.close()
        if self._audit_store is not None:
            self._audit_store.close()


log = logging.getLogger("dialphone.server")
SWITCH_INTERVAL_S = 0.0001


def settle_heap() -> None:
    """Tune the interpreter for real-time media once everything is loaded (the server process only:
    ``dialphone serve`` calls it after start-up; a test process embedding the app keeps its defaults).

    - Freeze the start-up heap (models, spaCy, pipecat, pydantic schemas) out of the garbage
      collector's view: a full collection holds the GIL while it scans, and over that heap it stalled
      the RTP media thread 200-400 ms at a time.
    - Switch threads every 0.1 ms instead of 5: the media thread gives up the GIL on every socket call
      (a select, a recvfrom per packet in, a sendto per packet out: ~80 per 20 ms tick with 20 calls)
      and, while the event loop is busy, waits a whole switch interval to take it back each time. At
      5 ms it waited up to 180 ms a tick; at 1 ms, 20 SIP calls still had 13-16 RTP gaps over 40 ms a
      run; at 0.1 ms the gaps left were full GC passes (``dialphone bench concurrency --via sip --calls 20``).
    - Let the media clock run the full GC passes right after it sends (:mod:`voice.telephony.gc_pacing`).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    PACER.enable()
