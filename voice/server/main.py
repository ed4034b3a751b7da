"""The server process: loads the models once, then serves HTTP (health, admin, media) and SIP.

Start-up order: deployment settings (:mod:`voice.settings`), checks that need no model (the ports
free, the brain's API key there: :class:`StartError`, one line), the state store (seeded from the
YAML on first start; a warning names the fields where the YAML differs from the stored version),
models (with progress on stderr), audit log, listeners. The ready line names the brain in use, where
callers and the admin console connect, and how many admin tokens exist. ``GET /healthz``
answers 503 until every model is loaded and the listeners are up, then 200; ``GET /readyz`` 200
while the process takes new calls.

SIGTERM drains (a worker leaving a pool): new calls are refused (SIP 503 to INVITE and OPTIONS, so
the dispatcher's probe takes the worker out), live calls run on to their end for up to
``drain_timeout_s``, then the process shuts down. SIGINT (or a second SIGTERM) shuts down at once,
in order with a deadline: stop accepting, end each call (BYE), wait, cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from audit.pg_store import PgAuditStore
from concierge.config import ConfigError, load_workspace
from voice.ivr.optout import configure_identifiers
from voice.server.app import create_app
from voice.server.logs import configure as configure_logging
from voice.server.preflight import StartError, brain_label, check_brain, check_ports
from voice.server.process import ServerProcess, settle_heap
from voice.settings import Settings
from voice.store import StoreError, open_state

log = logging.getLogger("dialphone.server")


class _HttpServer(uvicorn.Server):
    """uvicorn without its own signal handling: this process shuts down calls first, then HTTP."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings) -> None:
    started = time.monotonic()
    host, sip_port, http_port = settings.host, settings.sip_port, settings.http_port
    workspace = load_workspace(settings.config)
    check_brain(settings.runtime_workspace(workspace))
    check_ports(host, http_port=http_port, sip_port=sip_port)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    configure_identifiers(settings.optout_key())
    signing_key = settings.signing_key()
    for warning in settings.warnings():
        log.warning("%s", warning)
    url = settings.database_url_value()
    stores = await asyncio.to_thread(open_state, url, poll_s=1.0)
    audit_store = await asyncio.to_thread(PgAuditStore, url) if settings.uses_postgresql else None
    log.info("state store: %s; audit log: %s", "postgresql" if settings.uses_postgresql else "sqlite",
             "postgresql" if audit_store is not None else settings.audit_db_path())
    state = ServerProcess(
        workspace=workspace,  # the YAML: seeds the store; the running copy is overlay(stored)
        data_dir=settings.data_dir,
        stores=stores,
        audit_store=audit_store,
        audit_db=settings.audit_db_path(),
        signing_key=signing_key,
        overlay=lambda stored: settings.runtime_workspace(stored, start=workspace),
        config_poll_s=settings.config_poll_s,
        approvals_retention_s=settings.approvals_retention_s,
        rtp_ports=settings.rtp_ports(),
    )
    app = create_app(state)
    uv = _HttpServer(
        uvicorn.Config(
            app,
            host=host,
            port=http_port,
            log_level="warning",
            lifespan="off",
            ws_max_size=65536,
            ws_per_message_deflate=False,  # media frames are already compressed audio: deflate only costs CPU
        )
    )
    http_task = asyncio.create_task(uv.serve(), name="http")
    signals = _Signals(asyncio.get_running_loop())
    try:
        await state.start(host=host, sip_port=sip_port)
        settle_heap()
        running = state.engines.workspace if state.engines is not None else workspace
        tokens = await asyncio.to_thread(_admin_tokens, stores, workspace.id)
        web = f"http://{host}:{http_port}"
        print(
            f"dialphone: ready in {time.monotonic() - started:.1f}s — {brain_label(running)}; callers: {web}/ "
            f"sip:{host}:{sip_port} ws://{host}:{http_port}/media/twilio; admin console: {web}/admin "
            f"({tokens} admin token(s){'' if tokens else ': create one with dialphone admin token create'}); "
            f"workspace {workspace.id}, version {state.admin.applied_version}",
            file=sys.stderr,
            flush=True,
        )
        if await signals.wait() == signal.SIGTERM:
            drain = asyncio.create_task(state.drain(limit_s=settings.drain_timeout_s), name="drain")
            now = asyncio.create_task(signals.wait(), name="signals")
            await asyncio.wait({drain, now}, return_when=asyncio.FIRST_COMPLETED)
            for task in (drain, now):
                task.cancel()
    finally:
        await state.shutdown(deadline_s=5.0)
        uv.should_exit = True
        await asyncio.wait_for(http_task, timeout=10)


class _Signals:
    """SIGINT and SIGTERM as an awaitable: :meth:`wait` returns the next one to arrive."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._queue: asyncio.Queue[signal.Signals] = asyncio.Queue()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self._queue.put_nowait, sig)

    async def wait(self) -> signal.Signals:
        return await self._queue.get()


def _admin_tokens(stores: Any, workspace_id: str) -> int:
    """How many admin API tokens of the workspace authenticate now (never their values)."""
    return sum(1 for t in stores.config.tokens() if t.workspace_id == workspace_id)


def run_server(settings: Settings) -> int:
    configure_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(serve(settings))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"dialphone: {exc}", file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"dialphone: {exc}", file=sys.stderr)
        return 2
    return 0
