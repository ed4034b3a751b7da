"""The HTTP application (FastAPI): health, and the routers of the listeners (WebRTC signalling,
media streams) and the admin API, all on one port.

    GET /healthz        liveness: 503 {"status": "starting"} until the models and listeners are up,
                        then 200 ({"status": "ready"}, or {"status": "draining"} after SIGTERM)
    GET /readyz         readiness: 200 only while the process takes new calls (503 starting, draining)
    GET /metrics        Prometheus text format (:mod:`voice.server.metrics`); no caller data in it
    /media/twilio       WebSocket media streams (:mod:`voice.media_streams.websocket`)
    POST /api/offer, /  WebRTC signalling and the browser page (:mod:`voice.webrtc.signalling`)
    /admin, /admin/api  the admin console and API (:mod:`voice.admin`)
"""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse, Response

from voice.admin import admin_router
from voice.media_streams.websocket import media_router
from voice.server.metrics import CONTENT_TYPE
from voice.server.process import ServerProcess
from voice.webrtc.signalling import webrtc_router


def create_app(state: ServerProcess) -> FastAPI:
    app = FastAPI(title="DialPhone Smart Virtual Concierge", version="0.1.0")
    app.state.dialphone = state

    @app.get("/healthz", tags=["health"])
    async def healthz() -> JSONResponse:
        if not state.ready and not state.draining:
            return JSONResponse({"status": "starting"}, status_code=503)
        status = "draining" if state.draining else "ready"
        return JSONResponse({"status": status, "workspace": state.workspace.id, "calls": len(state.calls)})

    @app.get("/readyz", tags=["health"])
    async def readyz() -> JSONResponse:
        if state.ready:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "draining" if state.draining else "starting"}, status_code=503)

    @app.get("/metrics", tags=["health"])
    async def metrics() -> Response:
        return Response(await state.metrics.render(), media_type=CONTENT_TYPE)

    app.include_router(media_router(state))
    app.include_router(webrtc_router(state))  # POST /api/offer, GET / (the browser page), /static
    # /admin/api/... and the console at /admin, on the store the settings name (else SQLite in the data folder)
    app.include_router(admin_router(state, store=getattr(state, "config_store", None)))
    return app
