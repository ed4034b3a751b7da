"""The admin API's behaviour: audited changes applied to new calls, 422 naming the field, hashed
tokens, opt-outs, approvals recording the supervisor, audit export, model cards, live calls."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from pathlib import Path

import pytest

from audit.events import ROW_FIELDS
from audit.store import RowQuery
from audit.verify_sources import verify_export
from concierge.approvals import ApprovalStatus
from concierge.config import Transport
from tests.voice.admin.conftest import AdminEnv
from voice.admin import Role, SqliteConfigStore, admin_router
from voice.admin.tokens import TokenRecord, digest, match, new_token
from voice.pipeline.calls import new_call
from voice.pipeline.inproc import InprocTransport
from voice.server.process import ServerProcess
from voice.testing.ivr_harness import drive_call

pytestmark = pytest.mark.asyncio(loop_scope="session")

A, S, U = Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR
W = "/admin/api/workspaces/demo"


def config_events(env: AdminEnv) -> list[dict[str, object]]:
    store = env.engines.audit_log._store
    return [r.to_dict() for r in store.rows("demo", RowQuery(types=("config.changed",)))]


async def test_a_change_is_audited_stored_and_used_by_the_next_call(admin: AdminEnv) -> None:
    n = len(config_events(admin))
    r = await admin.client.put(f"{W}/features", headers=admin.auth("demo", A),
                               json={"ai_enabled": False, "concierge": True, "transcription": True, "recording": False})
    assert r.status_code == 200 and r.json()["ai_enabled"] is False
    await asyncio.sleep(0)
    events = config_events(admin)[n:]
    assert len(events) == 1
    ev = events[0]
    assert ev["actor"] == "admin:admin-demo"
    assert ev["payload"]["admin"] == "admin:admin-demo" and ev["payload"]["key"] == "features"  # type: ignore[index]
    assert ev["payload"]["before"]["ai_enabled"] is True and ev["payload"]["after"]["ai_enabled"] is False  # type: ignore[index]
    # the next call resolves against the new configuration, without a restart
    session = new_call(engines=admin.engines, transport=InprocTransport(sample_rate=8000), kind=Transport.INPROC,
                       sample_rate=8000)
    assert session.optout.ai is False  # type: ignore[attr-defined]
    # and the store holds it: a restarted server starts from the stored version, not the YAML
    admin.store.close()
    reopened = SqliteConfigStore(admin.data_dir / "config.db")
    restarted = ServerProcess(workspace=admin.state.workspace.model_copy(update={"features": admin.state.workspace.features.model_copy(update={"ai_enabled": True})}), data_dir=admin.data_dir)
    admin_router(restarted, store=reopened)
    assert restarted.workspace.features.ai_enabled is False
    assert reopened.version("demo") >= 2
    admin.store = reopened


async def test_a_new_ivr_prompt_is_rendered_before_the_change_applies(admin: AdminEnv) -> None:
    menu = admin.engines.workspace.ivr.model_dump(mode="json")
    menu["greeting"] = "Welcome to the admin test line."
    r = await admin.client.put(f"{W}/ivr", headers=admin.auth("demo", A), json=menu)
    assert r.status_code == 200
    assert admin.engines.workspace.ivr.greeting == menu["greeting"]
    assert (menu["greeting"], 8000) in admin.engines.prompts and (menu["greeting"], 16000) in admin.engines.prompts


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/ivr", {"options": [{"digit": "x", "department": "billing", "prompt": "p"}]}, "digit"),
        ("PUT", "/ivr", {"timeout_s": -1}, "timeout_s"),
        ("PUT", "/ivr", {"options": [{"digit": "1", "department": "nope", "prompt": "p"}]}, "ivr"),
        ("PUT", "/features", {"ai_enabled": "maybe"}, "ai_enabled"),
        ("PUT", "/features", {"telepathy": True}, "telepathy"),
        ("PUT", "/departments/billing/hours", {"weekly": {"mon": ["9-5"]}}, "weekly"),
        ("PUT", "/departments/billing/hours", {"timezone": "Mars/Olympus"}, "timezone"),
        ("PUT", "/departments/billing/routing", {"targets": {"carrier-pigeon": "x"}}, "targets"),
        ("PUT", "/departments/billing", {"name": "sales", "description": "d"}, "name"),
        ("DELETE", "/departments/billing", None, "departments"),
        ("POST", "/optouts", {"number": "call me maybe"}, "number"),
        ("PATCH", "", {"name": ""}, "name"),
        ("PUT", "/ivr", {"greeting": "x" * 501}, "greeting"),
        ("PUT", "/ivr", {"options": [{"digit": "1", "department": "billing", "prompt": " "}]}, "prompt"),
    ],
)
async def test_invalid_payloads_get_422_naming_the_field(
    admin: AdminEnv, method: str, path: str, body: object, field: str
) -> None:
    before = admin.engines.workspace
    r = await admin.client.request(method, W + path, json=body, headers=admin.auth("demo", A))
    assert r.status_code == 422, r.text
    locs = [".".join(str(p) for p in d["loc"]) for d in r.json()["detail"]]
    assert any(field in loc for loc in locs), locs
    assert admin.engines.workspace is before  # nothing applied


async def test_tokens_are_stored_hashed_and_matched_exactly(admin: AdminEnv) -> None:
    raw = b"".join(p.read_bytes() for p in admin.data_dir.glob("config.db*"))
    for token in admin.tokens.values():
        assert token.encode() not in raw
        assert digest(token).encode() in raw
    recs = [TokenRecord(str(i), "demo", f"n{i}", Role.ADMIN, digest(new_token())) for i in range(50)]
    t = new_token()
    recs.insert(25, TokenRecord("x", "demo", "alice", Role.AUDITOR, digest(t)))
    assert match(t, recs) == recs[25]
    assert match(t[:-1], recs) is None and match(t + "a", recs) is None


async def test_opt_out_list_through_the_api(admin: AdminEnv) -> None:
    number = "+1 (212) 555-0188"
    r = await admin.client.post(f"{W}/optouts", headers=admin.auth("demo", A), json={"number": number})
    assert r.status_code == 201
    entry = r.json()
    assert entry["masked"].endswith("88") and "555" not in entry["masked"]
    listed = (await admin.client.get(f"{W}/optouts", headers=admin.auth("demo", A))).json()
    assert [e["id"] for e in listed] == [entry["id"]]
    assert b"5550188" not in (admin.data_dir / "config.db").read_bytes()
    ev = config_events(admin)[-1]
    assert ev["payload"]["key"] == "optouts"  # type: ignore[index]
    assert ev["payload"]["after"] == {"id": entry["id"], "masked": entry["masked"]}  # type: ignore[index]
    assert "5550188" not in json.dumps(ev) and "555-0188" not in json.dumps(ev)
    # the registered list decides the next call from that number
    r2 = await drive_call(admin.engines, rate=8000, caller="212-555-0188", digits="1")
    assert not r2.ai and r2.events == ["call.started", "optout.applied", "ivr.routed", "call.ended"]
    r = await admin.client.delete(f"{W}/optouts/{entry['id']}", headers=admin.auth("demo", A))
    assert r.status_code == 204
    session = new_call(engines=admin.engines, transport=InprocTransport(sample_rate=8000), kind=Transport.INPROC,
                       sample_rate=8000, caller=number)
    assert session.optout.ai  # type: ignore[attr-defined]


async def test_a_supervisor_decision_records_who_decided_and_wakes_the_call(admin: AdminEnv) -> None:
    q = admin.engines.approvals
    req = await q.submit(workspace_id="demo", call_id="c-1", proposal_id="p-1", department="clinical",
                         reason="caller intent matches clinical",
                         context=[{"role": "user", "text": "my card is [CREDIT_CARD_1]"}])
    waiter = asyncio.create_task(q.wait(req.id, 5.0))
    listed = (await admin.client.get(f"{W}/approvals", headers=admin.auth("demo", S))).json()
    mine = [a for a in listed if a["id"] == req.id]
    assert mine and mine[0]["context"] == [{"role": "user", "text": "my card is [CREDIT_CARD_1]"}]
    r = await admin.client.post(f"{W}/approvals/{req.id}/approve", headers=admin.auth("demo", S), json={"note": "ok"})
    assert r.status_code == 200 and r.json()["decided_by"] == "supervisor:supervisor-demo"
    done = await asyncio.wait_for(waiter, 2)
    assert done.status is ApprovalStatus.APPROVED and done.decided_by == "supervisor:supervisor-demo"
    again = await admin.client.post(f"{W}/approvals/{req.id}/reject", headers=admin.auth("demo", S))
    assert again.status_code == 409
    other = await q.submit(workspace_id="other", call_id="c-2", proposal_id="p-2", department="clinical",
                           reason="r", context=[])
    r = await admin.client.post(f"{W}/approvals/{other.id}/approve", headers=admin.auth("demo", S))
    assert r.status_code == 404
    assert (await q.get(other.id)).status is ApprovalStatus.PENDING  # type: ignore[union-attr]
    await q.reject(other.id, supervisor="cleanup")


async def test_audit_export_streams_a_verifiable_jsonl_and_a_csv(admin: AdminEnv, tmp_path: Path) -> None:
    await admin.client.patch(W, headers=admin.auth("demo", A), json={"greeting": "Hello, export test."})
    r = await admin.client.get(f"{W}/audit/export", params={"format": "jsonl"}, headers=admin.auth("demo", U))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
    path = tmp_path / "export.jsonl"
    path.write_text(r.text)
    records = [json.loads(line) for line in r.text.splitlines()]
    assert records[0]["record"] == "header" and records[-1]["record"] == "trailer"
    assert all(rec["row"]["workspace_id"] == "demo" for rec in records if rec["record"] == "event")
    assert verify_export(path).ok
    r = await admin.client.get(f"{W}/audit/export", params={"format": "csv"}, headers=admin.auth("demo", U))
    rows = list(csv.reader(io.StringIO(r.text)))
    assert tuple(rows[0]) == ROW_FIELDS and len(rows) > 1
    exported = [e for e in admin.engines.audit_log._store.rows("demo", RowQuery(types=("audit.exported",)))]
    # each export on the record when it started and when it completed, tied by its export id
    assert [(e.payload["format"], e.payload["status"]) for e in exported[-4:]] == [
        ("jsonl", "started"), ("jsonl", "completed"), ("csv", "started"), ("csv", "completed")]
    assert exported[-4].payload["export_id"] == exported[-3].payload["export_id"] != exported[-1].payload["export_id"]
    assert exported[-3].payload["rows"] >= 1 and "rows" not in exported[-4].payload
    assert exported[-1].actor == "auditor:auditor-demo"
    r = await admin.client.get(f"{W}/audit/export", params={"since": "2026-01-01T00:00:00"}, headers=admin.auth("demo", U))
    assert r.status_code == 422


async def test_model_cards_are_served_when_present(admin: AdminEnv, tmp_path: Path) -> None:
    h = admin.auth("demo", U)
    assert (await admin.client.get("/admin/api/model-cards", headers=h)).json() == ["faster-whisper-tiny-en"]
    r = await admin.client.get("/admin/api/model-cards/faster-whisper-tiny-en", headers=h)
    assert r.status_code == 200 and r.text.startswith("# faster-whisper")
    assert (await admin.client.get("/admin/api/model-cards/missing", headers=h)).status_code == 404
    assert (await admin.client.get("/admin/api/model-cards/..%2Fconfig", headers=h)).status_code in (404, 422)
    admin.state.admin.model_cards_dir = tmp_path / "none"  # type: ignore[attr-defined]
    assert (await admin.client.get("/admin/api/model-cards", headers=h)).json() == []
    assert (await admin.client.get("/admin/api/model-cards/faster-whisper-tiny-en", headers=h)).status_code == 404


async def test_live_calls_show_mode_and_opt_out_without_caller_data(admin: AdminEnv) -> None:
    from voice.pipeline.calls import live_calls

    before = set(live_calls(admin.engines))
    admin.engines.workspace = admin.engines.workspace.model_copy(
        update={"features": admin.engines.workspace.features.model_copy(update={"ai_enabled": False})}
    )
    call = asyncio.create_task(drive_call(admin.engines, rate=8000, caller="+1 212 555 0166", digits="1",
                                          before_digits_s=1.0))
    for _ in range(200):  # until the call's pipeline runs (building the first call can take a while)
        if set(live_calls(admin.engines)) - before:
            break
        await asyncio.sleep(0.025)
    r = await admin.client.get(f"{W}/calls", headers=admin.auth("demo", S))
    await call
    live = [c for c in r.json() if c["call_id"] not in before]
    assert len(live) == 1 and live[0]["mode"] == "ivr" and live[0]["optout_scope"] == "workspace"
    assert "2125550166" not in r.text and "555 0166" not in r.text
    assert set(live_calls(admin.engines)) == before  # listed only while it runs


async def test_openapi_documents_every_admin_route_with_bearer_auth(admin: AdminEnv) -> None:
    schema = (await admin.client.get("/openapi.json")).json()
    paths = [p for p in schema["paths"] if p.startswith("/admin/api/")]
    assert len(paths) >= 18
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    console = await admin.client.get("/admin")
    assert console.status_code == 200 and "DialPhone admin console" in console.text
    assert (await admin.client.get("/admin/static/console.js")).status_code == 200
    assert (await admin.client.get("/admin/static/secret.db")).status_code == 404



@pytest.mark.parametrize("text", ["Press one 😀 for billing.", "Billing\u0000 line.", "١٢٣ ﷽", "\u202eevil"])
async def test_odd_prompt_texts_are_rendered_or_refused_never_a_server_error(admin: AdminEnv, text: str) -> None:
    menu = admin.engines.workspace.ivr.model_dump(mode="json")
    menu["greeting"] = text
    r = await admin.client.put(f"{W}/ivr", headers=admin.auth("demo", A), json=menu)
    assert r.status_code in (200, 422), r.text
    if r.status_code == 200:
        assert (text, 8000) in admin.engines.prompts
