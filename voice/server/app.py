"""The HTTP application (FastAPI): health, and the routers of the listeners (WebRTC signalling,
media streams) and the admin API, all on one port.

    GET /healthz        503 {"status": "starting"} until the models and listeners are up, then 200
    /media/twilio       WebSocket media streams (:mod:`voice.media_streams.websocket`)
    POST /api/offer, /  WebRTC signalling and the browser page (:mod:`voice.webrtc.signalling`)
    /admin, /admin/api  the admin console and API (:mod:`voice.admin`)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from voice.admin import admin_router
from voice.media_streams.websocket import media_router
from voice.server.process import ServerProcess
from voice.webrtc.signalling import webrtc_router


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
    # /admin/api/... and the console at /admin, on the store the settings name (else SQLite in the data folder)
    app.include_router(admin_router(state, store=getattr(state, "config_store", None)))
    return app
