"""The server process's state: the engines it loads once, the SIP listener it starts, its calls.

Routes and listeners see the process through :class:`voice.pipeline.server_state.ServerState`;
:class:`ServerProcess` is the implementation: it loads the engines and starts the SIP listener.
Its HTTP app is :func:`voice.server.app.create_app`; :mod:`voice.server.main` runs both.

In a pool behind a dispatcher: ``ready`` is what ``/readyz`` reports (models loaded, listeners up,
not draining); :meth:`ServerProcess.drain` takes the process out (503 to new INVITEs and to OPTIONS,
new WebSocket and WebRTC calls refused) and lets live calls run to their end, up to a limit.
Metrics (:mod:`voice.server.metrics`) are fed by a hook on every call the engines build.
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

from concierge.config import Transport, Workspace
from voice.pipeline.engines import Engines
from voice.server.call_metrics import MeteredAuditSink, TurnHarvest, call_hook, watch_loop_lag
from voice.server.metrics import ServerMetrics
from voice.store import State
from voice.telephony.gc_pacing import PACER
from voice.telephony.listener import SipServer
from voice.telephony.media import PortRange


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
        rtp_ports: tuple[int, int] | None = None,
        metrics: ServerMetrics | None = None,
    ) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.engines: Engines | None = None
        self.ready = False  # takes new calls (GET /readyz): started and not draining
        self.draining = False
        self.metrics = metrics or ServerMetrics()
        self.metrics.bind(self)
        self.harvest = TurnHarvest(self.metrics)
        self.metrics.on_scrape.append(self.harvest.harvest)
        self.rtp_ports = rtp_ports
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
        self._lag: asyncio.Task[None] | None = None

    def sip_listeners(self) -> list[SipServer]:
        return list(self._listeners)

    async def start(self, *, host: str, sip_port: int) -> None:
        loop = asyncio.get_running_loop()
        engines = await loop.run_in_executor(
            None,
            lambda: Engines.load(self.workspace, self.data_dir, audit_db=self._audit_db, audit_store=self._audit_store,
                                 signing_key=self._signing_key),
        )
        engines.audit = MeteredAuditSink(engines.audit, self.metrics)
        self.engines = engines
        if self.stores is not None:
            engines.approvals = self.stores.approvals
            await self.stores.approvals.start()
        await engines.start()
        self._housekeeping = asyncio.create_task(self._keep_house(), name="housekeeping")
        ports = PortRange(*self.rtp_ports) if self.rtp_ports is not None else None
        sip = SipServer(state=self, host=host, port=sip_port, rtp_ports=ports)
        await sip.start()
        self._listeners.append(sip)
        engines.call_hooks.append(call_hook(self.metrics, self.harvest))  # after the listener's warm-up call
        self._lag = asyncio.create_task(watch_loop_lag(self.metrics), name="loop-lag")
        self.ready = True

    async def drain(self, *, limit_s: float) -> int:
        """Leave the pool: refuse new calls on every transport (SIP answers 503 to INVITE and OPTIONS),
        wait for live calls to end, up to ``limit_s``. Returns how many calls are still running."""
        self.draining = True
        self.ready = False  # /readyz 503; the WebSocket and WebRTC routes refuse new calls
        for listener in self._listeners:
            listener.drain()
        log.info("draining: %d live calls, up to %.0fs", self._live(), limit_s)
        loop = asyncio.get_running_loop()
        end = loop.time() + limit_s
        while True:  # polled: calls end on three transports, each its own way
            left = self._live()
            if not left or loop.time() >= end:
                break
            await asyncio.sleep(0.1)
        if left:
            log.warning("drain limit reached with %d calls left: they are ended now", left)
        else:
            log.info("drained: no call left")
        return left

    def _live(self) -> int:
        """SIP calls (from the INVITE on) and the other transports' running calls."""
        sip = sum(len(listener.calls) for listener in self._listeners)
        other = sum(1 for session in list(self.calls.values()) if getattr(session, "kind", None) is not Transport.SIP)
        return sip + other

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
        for task in (self._housekeeping, self._lag):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
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
