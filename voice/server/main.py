"""The server process: loads the models once, then serves HTTP (health, admin, media) and SIP.

Start-up order: configuration, models (with progress on stderr), audit log, listeners. ``GET /healthz``
answers 503 until every model is loaded and the listeners are up, then 200. SIGINT/SIGTERM shut down
in order with a deadline: stop accepting, end each call, wait, cancel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from concierge.config import ConfigError, load_workspace
from voice.server.app import create_app
from voice.server.logs import configure as configure_logging
from voice.server.process import ServerProcess, settle_heap

log = logging.getLogger("dialphone.server")


class _HttpServer(uvicorn.Server):
    """uvicorn without its own signal handling: this process shuts down calls first, then HTTP."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(*, config: Path, host: str, sip_port: int, http_port: int, data_dir: Path) -> None:
    started = time.monotonic()
    workspace = load_workspace(config)
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240
    state = ServerProcess(workspace=workspace, data_dir=data_dir)
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await state.start(host=host, sip_port=sip_port)
        settle_heap()
        print(
            f"dialphone: ready in {time.monotonic() - started:.1f}s — http://{host}:{http_port}/ "
            f"sip:{host}:{sip_port} (workspace {workspace.id})",
            file=sys.stderr,
            flush=True,
        )
        await stop.wait()
    finally:
        await state.shutdown(deadline_s=5.0)
        uv.should_exit = True
        await asyncio.wait_for(http_task, timeout=10)


def run_server(*, config: Path, host: str, sip_port: int, http_port: int, data_dir: Path) -> int:
    configure_logging()
    try:
        asyncio.run(serve(config=config, host=host, sip_port=sip_port, http_port=http_port, data_dir=data_dir))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return 0
