"""The server process's state and its HTTP application (FastAPI): health, and the routers of the
listeners (WebRTC signalling, media streams) and the admin API.

Routes and listeners see the process through :class:`voice.server_state.ServerState`;
:class:`ServerProcess` is the implementation: it loads the engines and starts the SIP listener.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from concierge.config import Workspace
from voice.admin import admin_router
from voice.engines import Engines
from voice.gc_pacing import PACER
from voice.media_ws import media_router
from voice.sip_server import SipServer
from voice.webrtc_routes import webrtc_router


class ServerProcess:
    """Everything one server process shares between calls: configuration, models, listeners.

    Implements :class:`~voice.server_state.ServerState` for the routes and the SIP listener."""

    def __init__(self, *, workspace: Workspace, data_dir: Path) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.engines: Engines | None = None
        self.ready = False
        self.calls: dict[str, Any] = {}
        self._listeners: list[SipServer] = []

    async def start(self, *, host: str, sip_port: int) -> None:
        loop = asyncio.get_running_loop()
        engines = await loop.run_in_executor(None, lambda: Engines.load(self.workspace, self.data_dir))
        self.engines = engines
        await engines.start()
        sip = SipServer(state=self, host=host, port=sip_port)
        await sip.start()
        self._listeners.append(sip)
        self.ready = True

    async def shutdown(self, *, deadline_s: float) -> None:
        self.ready = False
        for listener in self._listeners:
            await listener.stop(deadline_s=deadline_s)
        if self.engines is not None:
            await self.engines.close()


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
    - Let the media clock run the full GC passes right after it sends (:mod:`voice.gc_pacing`).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    PACER.enable()


def create_app(state: ServerProcess) -> FastAPI:
    app = FastAPI(title="DialPhone Smart Virtual Concierge", version="0.1.0")
    app.state.dialphone = state

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        if not state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ready", "workspace": state.workspace.id, "calls": len(state.calls)})

    app.include_router(media_router(state))
    app.include_router(webrtc_router(state))  # POST /api/offer, GET / (the browser page), /static
    app.include_router(admin_router(state))  # /admin/api/... and the console at /admin
    return app
