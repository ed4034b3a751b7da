"""The HTTP application (FastAPI): health, and the routers other parts mount (admin, media, signalling)."""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from concierge.config import Workspace

log = logging.getLogger("dialphone.app")


class ServerState:
    """Everything one server process shares between calls: configuration, models, listeners."""

    def __init__(self, *, workspace: Workspace, data_dir: Path) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.engines: Any = None
        self.ready = False
        self.calls: dict[str, Any] = {}
        self._listeners: list[Any] = []

    async def start(self, *, host: str, sip_port: int) -> None:
        from voice.engines import Engines

        loop = asyncio.get_running_loop()
        self.engines = await loop.run_in_executor(None, lambda: Engines.load(self.workspace, self.data_dir))
        await self.engines.start()
        try:
            from voice.sip_server import SipServer
        except ImportError:
            log.warning("SIP listener not available in this build")
        else:
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


SWITCH_INTERVAL_S = 0.001


def settle_heap() -> None:
    """Tune the interpreter for real-time media once everything is loaded (the server process only:
    ``dialphone serve`` calls it after start-up; a test process embedding the app keeps its defaults).

    - Freeze the start-up heap (models, spaCy, pipecat, pydantic schemas) out of the garbage
      collector's view: a full collection holds the GIL while it scans, and over that heap it stalled
      the RTP media thread 200-400 ms at a time.
    - Switch threads every 1 ms instead of 5: with the event loop busy (20 SIP calls set up at once),
      the media thread waited up to 180 ms for the GIL; at 1 ms the RTP it sends has no gap over
      ~40 ms (``dialphone bench concurrency --via sip --calls 20``).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def create_app(state: ServerState) -> FastAPI:
    app = FastAPI(title="DialPhone Smart Virtual Concierge", version="0.1.0")
    app.state.dialphone = state

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        if not state.ready:
            return JSONResponse({"status": "starting"}, status_code=503)
        return JSONResponse({"status": "ready", "workspace": state.workspace.id, "calls": len(state.calls)})

    from voice.media_ws import media_router
    from voice.webrtc_routes import webrtc_router

    app.include_router(media_router(state))
    app.include_router(webrtc_router(state))  # POST /api/offer, GET / (the browser page), /static
    from voice.admin import admin_router

    app.include_router(admin_router(state))  # /admin/api/... and the console at /admin
    return app
