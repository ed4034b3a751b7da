"""One suite, both backends: every test runs on SQLite and on a throw-away PostgreSQL
(tests/pg_cluster.py). Configuration store, tokens, opt-outs, approvals."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from concierge.approvals import ApprovalStatus
from concierge.config import load_workspace
from concierge.exceptions import ApprovalError
from voice.ivr.optout import number_digest, resolve
from voice.store import SqlApprovalQueue, SqlConfigStore, State, VersionConflict, open_state
from voice.store.db import make_engine, open_engine
from voice.store.tokens import digest, expiry, match, new_token

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def state(url: str) -> State:
    s = open_state(url, poll_s=0.5)
    yield s
    s.config.close()


def _yaml_ws():  # type: ignore[no-untyped-def]
    ws = load_workspace(REPO / "examples" / "workspace.yaml")
    token = new_token()
    sec = ws.security.model_copy(update={
        "vault_key_b64": "c2VjcmV0LXZhdWx0LWtleS1zZWNyZXQtdmF1bHQta2V5", "audit_signing_key_b64": "c2lnbmluZw==",
        "api_tokens": [{"name": "alice", "role": "admin", "token": token}],
    })
    return ws.model_copy(update={"security": sec, "optout_numbers": ["+1 212 555 0177"]}), token


def _raw_dump(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as c:
        tables = [r[0] for r in c.execute(sa.text(
            "SELECT name FROM sqlite_master WHERE type='table'" if url.startswith("sqlite")
            else "SELECT tablename FROM pg_tables WHERE schemaname='public'"))]
        out = [json.dumps([list(map(str, row)) for row in c.execute(sa.text(f'SELECT * FROM "{t}"'))]) for t in tables]
    engine.dispose()
    return "\n".join(out)


def test_seed_keeps_secrets_and_numbers_out_of_the_store(state: State, url: str) -> None:
    ws, token = _yaml_ws()
    stored = state.config.seed(ws)
    assert stored.security.vault_key_b64 is None and stored.optout_numbers == []
    assert state.config.version(ws.id) == 1
    dump = _raw_dump(url)
    for secret in ("c2VjcmV0LXZhdWx0", "c2lnbmluZw==", token, "demo-media-stream-secret", "2125550177", "555 0177"):
        assert secret not in dump
    assert match(token, state.config.tokens()) is not None  # the YAML token was seeded as its digest
    assert state.config.contains(ws.id, number_digest(ws.id, "(212) 555-0177"))
    state.config.seed(ws)  # a second start adds nothing
    assert len(state.config.tokens()) == 1 and len(state.config.optouts(ws.id)) == 1


def test_yaml_differences_are_named_and_the_stored_version_runs(state: State) -> None:
    ws, _ = _yaml_ws()
    state.config.seed(ws)
    edited = ws.model_copy(update={"greeting": "Changed.", "brain": ws.brain.model_copy(update={"model": "x"})})
    assert state.config.differences(edited) == ["brain.model", "greeting"]
    assert state.config.seed(edited).greeting == ws.greeting


def test_a_stale_version_is_a_conflict_never_an_overwrite(state: State) -> None:
    ws, _ = _yaml_ws()
    state.config.seed(ws)
    assert state.config.save(ws.model_copy(update={"greeting": "A"}), actor="a", expected_version=1) == 2
    with pytest.raises(VersionConflict) as info:
        state.config.save(ws.model_copy(update={"greeting": "B"}), actor="b", expected_version=1)
    assert info.value.current == 2
    loaded = state.config.load_versioned(ws.id)
    assert loaded is not None and loaded[0].greeting == "A" and loaded[1] == 2


def test_concurrent_saves_from_two_stores_give_one_conflict(url: str) -> None:
    a, b = SqlConfigStore(url), SqlConfigStore(url)
    ws, _ = _yaml_ws()
    a.seed(ws)
    outcomes = []
    for store, text in ((a, "from a"), (b, "from b")):
        try:
            outcomes.append(store.save(ws.model_copy(update={"greeting": text}), actor=text, expected_version=1))
        except VersionConflict:
            outcomes.append("409")
    assert outcomes == [2, "409"]
    a.close()
    b.close()


def test_tokens_expire_and_revoke(state: State) -> None:
    t1, t2, t3 = new_token(), new_token(), new_token()
    ws = "demo"
    r1 = state.config.add_token(workspace_id=ws, name="a", role="admin", digest=digest(t1), expires_at=expiry("1d"))
    state.config.add_token(workspace_id=ws, name="b", role="auditor", digest=digest(t2),
                           expires_at=expiry("1h", now=datetime.now(UTC) - timedelta(hours=2)))
    r3 = state.config.add_token(workspace_id=ws, name="c", role="supervisor", digest=digest(t3))
    active = state.config.tokens()
    assert match(t1, active) is not None and match(t2, active) is None and match(t3, active) is not None
    assert {t.name: t.status for t in state.config.all_tokens(ws)} == {"a": "active", "b": "expired", "c": "active"}
    revoked = state.config.revoke_token(ws, r3.id, actor="admin:alice")
    assert revoked is not None and revoked.status == "revoked" and revoked.revoked_by == "admin:alice"
    assert match(t3, state.config.tokens()) is None
    assert state.config.revoke_token("other", r1.id, actor="x") is None  # another workspace's token
    assert "digest" not in r1.as_dict()


def test_optouts_normalize_in_the_workspace_region(state: State) -> None:
    ws, _ = _yaml_ws()
    gb = ws.model_copy(update={"default_region": "GB", "optout_numbers": []})
    state.config.save(gb, actor="test")
    entry = state.config.add_optout(gb.id, "07700 900123", source="admin", actor="admin:a")
    again = state.config.add_optout(gb.id, "+44 7700 900123", source="admin", actor="admin:a")
    assert entry.id == again.id and len(state.config.optouts(gb.id)) == 1
    assert entry.masked.endswith("23") and "7700" not in entry.masked
    d = resolve(gb, "+447700900123", state.config)
    assert (d.ai, d.trigger) == (False, "caller_list")
    assert state.config.remove_optout(gb.id, entry.id) is not None
    assert resolve(gb, "+447700900123", state.config).ai


def test_an_optout_added_through_one_store_applies_through_another(url: str) -> None:
    a, b = SqlConfigStore(url), SqlConfigStore(url)
    ws, _ = _yaml_ws()
    a.seed(ws.model_copy(update={"optout_numbers": []}))
    b.add_optout(ws.id, "+1 212 555 0199", source="admin", actor="admin:b")
    assert not resolve(ws, "2125550199", a).ai
    a.close()
    b.close()


def _submit(q: SqlApprovalQueue, call: str = "c1"):  # type: ignore[no-untyped-def]
    return q.submit(workspace_id="demo", call_id=call, proposal_id="p1", department="clinical",
                    reason="needs a nurse", context=[{"role": "caller", "text": "my card is [CREDIT_CARD_1]"}])


async def test_approvals_are_decided_once_and_wake_the_waiter(state: State) -> None:
    q = state.approvals
    await q.start()
    req = await _submit(q)
    assert [r.id for r in await q.pending("demo")] == [req.id] and await q.pending("other") == []
    waiter = asyncio.create_task(q.wait(req.id, 10))
    await asyncio.sleep(0.05)
    done = await q.approve(req.id, supervisor="supervisor:bob", note="ok")
    got = await asyncio.wait_for(waiter, 2)
    assert got.status is ApprovalStatus.APPROVED and got.decided_by == "supervisor:bob"
    assert got.context == ({"role": "caller", "text": "my card is [CREDIT_CARD_1]"},)
    with pytest.raises(ApprovalError):
        await q.reject(req.id, supervisor="supervisor:eve")
    with pytest.raises(ApprovalError):
        await q.approve("apr-nope", supervisor="supervisor:eve")
    assert done.status is ApprovalStatus.APPROVED
    await q.close()


async def test_an_undecided_request_expires_and_decided_ones_are_pruned(state: State) -> None:
    q = state.approvals
    req = await _submit(q)
    got = await q.wait(req.id, 0.3)
    assert got.status is ApprovalStatus.EXPIRED and got.decided_by == "timeout"
    kept = await _submit(q, "c2")
    assert await q.prune(retention_s=3600) == 0
    assert await q.prune(retention_s=60, now=datetime.now(UTC) + timedelta(hours=2)) == 1
    assert await q.get(req.id) is None
    # a pending request older than the orphan limit (its process ended) is expired, then pruned
    assert await q.prune(retention_s=0, now=datetime.now(UTC) + timedelta(hours=2)) >= 1
    assert await q.get(kept.id) is None


async def test_a_decision_through_another_queue_reaches_the_waiter(url: str) -> None:
    a = SqlApprovalQueue(open_engine(url), poll_s=1.0)
    b = SqlApprovalQueue(open_engine(url), poll_s=1.0)
    await a.start()
    await b.start()
    try:
        req = await _submit(a)
        waiter = asyncio.create_task(a.wait(req.id, 10))
        await asyncio.sleep(0.1)
        assert [r.id for r in await b.pending("demo")] == [req.id]
        t0 = time.perf_counter()
        await b.approve(req.id, supervisor="supervisor:bob")
        got = await asyncio.wait_for(waiter, 3)
        elapsed = time.perf_counter() - t0
        assert got.status is ApprovalStatus.APPROVED
        if a.postgresql:  # NOTIFY, not the 1 s poll
            assert elapsed < 0.2, elapsed
    finally:
        await a.close()
        await b.close()
