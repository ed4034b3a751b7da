"""The admin API over real engines (loaded once per session), a fresh SQLite store per test.

Two workspaces share the store: ``demo`` (the one the server runs) and ``other``; each has one
token per role. Tests run on the session loop: ``pytest.mark.asyncio(loop_scope="session")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from concierge.audit_sink import MemoryAuditSink
from concierge.config import Workspace, load_workspace
from voice.admin import Role, SqliteConfigStore, admin_router
from voice.admin.tokens import digest, new_token
from voice.ivr import prerender
from voice.ivr.optout import register_list
from voice.pipeline.engines import Engines
from voice.server.process import ServerProcess

REPO = Path(__file__).resolve().parents[3]
ROLES = (Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engines]:
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    loaded = Engines.load(ws, tmp_path_factory.mktemp("admin-var"))
    await loaded.start()
    prerender(ws, loaded.prompts)
    loaded.audit = MemoryAuditSink()
    yield loaded
    await loaded.close()


@dataclass
class AdminEnv:
    state: ServerProcess
    store: SqliteConfigStore
    client: httpx.AsyncClient
    app: FastAPI
    engines: Engines
    data_dir: Path
    tokens: dict[tuple[str, Role], str] = field(default_factory=dict)
    names: dict[tuple[str, Role], str] = field(default_factory=dict)

    def auth(self, ws: str, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(ws, role)]}"}


def other_workspace(demo: Workspace) -> Workspace:
    return demo.model_copy(update={"id": "other", "name": "Other Corp", "greeting": "Other greeting."})


@asynccontextmanager
async def admin_env(engines: Engines, tmp_path: Path) -> AsyncIterator[AdminEnv]:
    yaml_ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    before = engines.workspace
    cards = tmp_path / "model-cards"
    cards.mkdir()
    (cards / "faster-whisper-tiny-en.md").write_text("# faster-whisper tiny.en\n\nASR model card.\n")
    state = ServerProcess(workspace=yaml_ws, data_dir=tmp_path)
    state.engines = engines
    state.ready = True
    store = SqliteConfigStore(tmp_path / "config.db")
    store.seed(other_workspace(yaml_ws))
    app = FastAPI(title="admin test")
    app.include_router(admin_router(state, store=store, model_cards_dir=cards))
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://admin.test")
    env = AdminEnv(state=state, store=store, client=client, app=app, engines=engines, data_dir=tmp_path)
    for ws in ("demo", "other"):
        for role in ROLES:
            token = new_token()
            name = f"{role.value}-{ws}"
            store.add_token(workspace_id=ws, name=name, role=role, digest=digest(token))
            env.tokens[(ws, role)] = token
            env.names[(ws, role)] = name
    try:
        yield env
    finally:
        await client.aclose()
        register_list("demo", None)
        engines.workspace = before
        store.close()


@pytest_asyncio.fixture(loop_scope="session")
async def admin(engines: Engines, tmp_path: Path) -> AsyncIterator[AdminEnv]:
    """A fresh store and app per test."""
    async with admin_env(engines, tmp_path) as env:
        yield env


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def admin_shared(engines: Engines, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[AdminEnv]:
    """One store and app for a whole module (the authorization matrix)."""
    async with admin_env(engines, tmp_path_factory.mktemp("admin-shared")) as env:
        yield env
