"""The admin router inside the server's own app (voice.server.app.create_app), before the engines load."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from concierge.config import load_workspace
from voice.admin import Role
from voice.admin.tokens import digest, new_token
from voice.ivr.optout import register_list
from voice.server.app import create_app
from voice.server.process import ServerProcess

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.asyncio
async def test_server_app_serves_the_admin_api_and_refuses_unaudited_changes(tmp_path: Path) -> None:
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    token = new_token()
    ws = ws.model_copy(update={"security": ws.security.model_copy(
        update={"api_tokens": [{"name": "alice", "role": "admin", "sha256": digest(token)}]})})
    state = ServerProcess(workspace=ws, data_dir=tmp_path)
    app = create_app(state)
    try:
        assert (tmp_path / "state.db").exists()  # the YAML seeded the store, tokens included
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            schema = (await client.get("/openapi.json")).json()
            assert "/admin/api/workspaces/{ws}/ivr" in schema["paths"]
            assert (await client.get("/admin")).status_code == 200
            h = {"Authorization": f"Bearer {token}"}
            who = (await client.get("/admin/api/whoami", headers=h)).json()
            assert who == {"name": "alice", "role": Role.ADMIN.value, "workspace_id": "demo"}
            r = await client.put("/admin/api/workspaces/demo/features", headers=h,
                                 json={"ai_enabled": False})
            assert r.status_code == 503  # no audit log yet: the change is refused, not made unaudited
            assert state.workspace.features.ai_enabled
            r = await client.get("/admin/api/workspaces/demo/approvals", headers=h)
            assert r.status_code == 403
    finally:
        register_list("demo", None)
        state.admin.store.close()  # type: ignore[attr-defined]
