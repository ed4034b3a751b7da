"""The admin router: API under ``/admin/api`` (OpenAPI in the app's ``/openapi.json``), console at ``/admin``.

    app.include_router(admin_router(state))

``admin_router`` uses the given configuration store (the server passes the one its settings
name; default: SQLite ``<data_dir>/state.db``), seeds it from the workspace the server was started
with on first start, and makes the stored version the one the server runs (so changes made through
the API survive a restart). Where the YAML differs from the stored version it logs a warning naming
the fields (apply the YAML with ``dialphone config import FILE``). The running copy keeps the
process's secrets, which are never stored (:meth:`AdminService.runtime`). The store's opt-out list
is registered for call set-up (:func:`voice.ivr.optout.register_list`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse, JSONResponse

from voice.admin.deps import AdminRoute, Guards
from voice.admin.routes_config import config_router
from voice.admin.routes_ops import ops_router
from voice.admin.routes_tokens import tokens_router
from voice.admin.service import AdminService
from voice.admin.sqlite_store import SqliteConfigStore
from voice.admin.store import ConfigStore
from voice.ivr.optout import register_list

STATIC = Path(__file__).resolve().parent / "static"
MODEL_CARDS = Path(__file__).resolve().parents[2] / "docs" / "model-cards"
_CONSOLE_FILES = {"console.js": "text/javascript", "editors.js": "text/javascript", "console.css": "text/css"}
log = logging.getLogger("dialphone.admin")


def admin_router(state: Any, *, store: ConfigStore | None = None, model_cards_dir: Path | None = None) -> APIRouter:
    if store is None:
        store = SqliteConfigStore(Path(state.data_dir) / "state.db")
    service = AdminService(state=state, store=store, model_cards_dir=model_cards_dir or MODEL_CARDS)
    if state.workspace is not None:
        start = state.workspace
        changed = store.differences(start)
        stored = store.seed(start)
        version = store.version(stored.id)
        if changed:
            log.warning(
                "workspace %s: the YAML differs from stored version %d in %s; the stored version runs "
                "(apply the YAML with `dialphone config import FILE`)", stored.id, version, ", ".join(changed),
            )
        state.workspace = service.runtime(stored)
        service.applied_version = version
        if state.engines is not None:
            state.engines.workspace = state.workspace
        register_list(state.workspace.id, store)
    state.admin = service
    guards = Guards(service)

    root = APIRouter()
    api = APIRouter(prefix="/admin/api", route_class=AdminRoute)
    api.include_router(config_router(service, guards))
    api.include_router(ops_router(service, guards))
    api.include_router(tokens_router(service, guards))
    root.include_router(api)

    @root.get("/admin", include_in_schema=False)
    async def console() -> FileResponse:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    @root.get("/admin/static/{name}", include_in_schema=False)
    async def console_file(name: str) -> Response:
        media = _CONSOLE_FILES.get(name)
        if media is None:
            return JSONResponse({"detail": "not found"}, 404)
        return FileResponse(STATIC / name, media_type=media)

    return root
