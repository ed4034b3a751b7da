"""Two ``dialphone serve`` processes on one PostgreSQL (a throw-away cluster), as a deployment
behind a SIP dispatcher would run them: an approval raised on A is decided through B's admin API
and A's call proceeds; an opt-out added on B is in A's list; concurrent edits give one 409; the
audit events of both verify as one chain; SIGKILL of A mid-call loses no committed audit event."""

from __future__ import annotations

import asyncio
import base64
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from audit.backends import open_store
from audit.signing import generate_private_key_pem, load_private_key
from audit.verify_sources import verify_store
from tests.pg_cluster import PgCluster, free_port
from voice.testing.remote_ws import replay_ws
from voice.testing.scenarios import load_scenario
from voice.testing.twilio_api import TwilioApiServer

REPO = Path(__file__).resolve().parents[3]
SECRET = "two-servers-media-secret"
FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))
pytestmark = pytest.mark.slow


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    http: str
    log: Path

    @property
    def ws(self) -> str:
        return self.http.replace("http://", "ws://") + "/media/twilio"


@dataclass
class Deployment:
    url: str
    a: Server
    b: Server
    env: dict[str, str]
    key_pem: bytes
    admin: str
    supervisor: str
    twilio: TwilioApiServer

    def h(self, token: str, version: int | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {token}"}
        if version is not None:
            out["If-Match"] = f'"{version}"'
        return out


def _cli(env: dict[str, str], *args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "voice.cli", *args], cwd=REPO, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


def _start(name: str, env: dict[str, str], tmp: Path) -> Server:
    port = free_port()
    log = tmp / f"{name}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice.cli", "serve", "--http-port", str(port), "--sip-port", str(free_port()),
         "--data-dir", str(tmp / name)],
        cwd=REPO, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
    )
    return Server(name, proc, f"http://127.0.0.1:{port}", log)


def _wait_ready(s: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert s.proc.poll() is None, s.log.read_text()[-3000:]
        try:
            if httpx.get(s.http + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{s.name} not ready: " + s.log.read_text()[-3000:])


@pytest.fixture(scope="module")
def twilio() -> Iterator[TwilioApiServer]:
    """Twilio's REST API (the local stand-in) on a loop of its own: media-stream transfers go there."""
    api = TwilioApiServer()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="twilio-api", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(api.start(), loop).result(30)
    try:
        yield api
    finally:
        asyncio.run_coroutine_threadsafe(api.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@pytest.fixture(scope="module")
def deployment(twilio: TwilioApiServer, pg_cluster: PgCluster,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("two-servers")
    url = pg_cluster.new_database("two")
    pem = generate_private_key_pem()
    env = {**os.environ, "DIALPHONE_DATABASE_URL": url, "DIALPHONE_MEDIA_STREAM_SECRET": SECRET,
           "DIALPHONE_AUDIT_SIGNING_KEY_B64": base64.b64encode(pem).decode(),
           "DIALPHONE_OPTOUT_KEY_B64": base64.b64encode(b"k" * 32).decode(), "DIALPHONE_CONFIG_POLL_S": "0.5",
           "DIALPHONE_TWILIO_ACCOUNT_SID": twilio.account_sid, "DIALPHONE_TWILIO_AUTH_TOKEN": twilio.auth_token,
           "DIALPHONE_TWILIO_API_BASE": twilio.base_url, "PYTHONPATH": str(REPO)}
    tokens = {}
    for role in ("admin", "supervisor"):
        out = _cli(env, "tokens", "create", "--workspace", "demo", "--role", role, "--name", f"{role}-it",
                   "--expires-in", "1d")
        tokens[role] = out.split("shown once: ", 1)[1].split()[0]
    a = _start("a", env, tmp)
    b = _start("b", env, tmp)
    try:
        _wait_ready(a, 300 * FACTOR)
        _wait_ready(b, 300 * FACTOR)
        yield Deployment(url, a, b, env, pem, tokens["admin"], tokens["supervisor"], twilio)
    finally:
        for s in (a, b):
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
        for s in (a, b):
            try:
                s.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                s.proc.kill()


def test_the_ready_line_says_what_is_running(deployment: Deployment) -> None:
    s = deployment.a
    deadline = time.monotonic() + 10
    while "dialphone: ready" not in s.log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(x for x in s.log.read_text().splitlines() if x.startswith("dialphone: ready"))
    ws = s.http.replace("http://", "ws://")
    for part in ("brain embedded", f"callers: {s.http}/", f"{ws}/media/twilio", f"admin console: {s.http}/admin",
                 "(2 admin token(s))"):
        assert part in line, line


def test_an_optout_added_on_b_is_in_a_s_list(deployment: Deployment) -> None:
    d = deployment
    r = httpx.post(d.b.http + "/admin/api/workspaces/demo/optouts", json={"number": "+1 212 555 0161"},
                   headers=d.h(d.admin))
    assert r.status_code == 201, r.text
    listed = httpx.get(d.a.http + "/admin/api/workspaces/demo/optouts", headers=d.h(d.admin)).json()
    assert r.json()["id"] in [e["id"] for e in listed]


def test_concurrent_edits_give_one_409_never_a_lost_update(deployment: Deployment) -> None:
    d = deployment
    version = httpx.get(d.a.http + "/admin/api/workspaces/demo", headers=d.h(d.admin)).json()["version"]

    def patch(server: Server, text: str) -> httpx.Response:
        return httpx.patch(server.http + "/admin/api/workspaces/demo", json={"greeting": text},
                           headers=d.h(d.admin, version), timeout=60)

    with ThreadPoolExecutor(2) as pool:
        ra, rb = pool.map(lambda args: patch(*args), [(d.a, "Greeting from A."), (d.b, "Greeting from B.")])
    assert sorted([ra.status_code, rb.status_code]) == [200, 409], (ra.text, rb.text)
    winner = "Greeting from A." if ra.status_code == 200 else "Greeting from B."
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the loser's process picks up the stored version
        seen = [httpx.get(s.http + "/admin/api/workspaces/demo", headers=d.h(d.admin)).json() for s in (d.a, d.b)]
        if all(x["greeting"] == winner and x["version"] == version + 1 for x in seen):
            break
        time.sleep(0.2)
    assert all(x["greeting"] == winner and x["version"] == version + 1 for x in seen), seen


async def test_an_approval_raised_on_a_is_decided_on_b_and_a_s_call_proceeds(deployment: Deployment) -> None:
    d = deployment
    scenario = load_scenario(REPO / "fixtures" / "audio" / "clinical_8k.yaml")
    call = asyncio.create_task(replay_ws(d.a.ws, scenario, secret=SECRET, auth_token=d.twilio.auth_token))
    pending: list[dict[str, object]] = []
    async with httpx.AsyncClient(timeout=10) as client:
        deadline = time.monotonic() + 60 * FACTOR
        while not pending and time.monotonic() < deadline and not call.done():
            r = await client.get(d.b.http + "/admin/api/workspaces/demo/approvals", headers=d.h(d.supervisor))
            pending = r.json()
            await asyncio.sleep(0.1)
        assert pending, "no approval request reached B"
        r = await client.post(f"{d.b.http}/admin/api/workspaces/demo/approvals/{pending[0]['id']}/approve",
                              json={"note": "from B"}, headers=d.h(d.supervisor))
        assert r.status_code == 200, r.text
    result = await asyncio.wait_for(call, 120 * FACTOR)
    assert [dept for dept, _ in result.transfers] == ["clinical"], (result.transfers, result.events)
    assert [r.status for r in d.twilio.requests] == [200] and "clinical" in d.twilio.requests[0].form["Twiml"]


def test_audit_events_of_both_verify_as_one_chain(deployment: Deployment) -> None:
    d = deployment
    key = load_private_key(d.key_pem)
    with closing(open_store(d.url, read_only=True)) as store:
        rows = list(store.rows("demo"))
        actors = {r.actor for r in rows if r.type == "config.changed"}
        (result,) = verify_store(store, public_key=key.public_key())
    assert result.ok, result.fault
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert {r.type for r in rows} >= {"config.changed", "transfer.decided", "transfer.executed"}
    assert any(a.startswith("admin:") for a in actors)


async def test_sigkill_mid_call_loses_no_committed_audit_event(deployment: Deployment) -> None:
    d = deployment
    scenario = load_scenario(REPO / "fixtures" / "audio" / "billing_8k.yaml")
    call = asyncio.create_task(replay_ws(d.a.ws, scenario, secret=SECRET, auth_token=d.twilio.auth_token))
    committed: list[tuple[int, str]] = []
    deadline = time.monotonic() + 60 * FACTOR
    with closing(open_store(d.url, read_only=True)) as store:
        start = store.head("demo")
        while time.monotonic() < deadline:
            head = store.head("demo")
            if head is not None and start is not None and head.seq >= start.seq + 2:
                committed = [(r.seq, r.row_hash) for r in store.rows("demo")]
                break
            await asyncio.sleep(0.05)
        assert committed, "the call wrote no audit event"
        d.a.proc.send_signal(signal.SIGKILL)
        d.a.proc.wait(timeout=10)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        after = {r.seq: r.row_hash for r in store.rows("demo")}
        assert all(after.get(seq) == h for seq, h in committed)
        (result,) = verify_store(store, public_key=load_private_key(d.key_pem).public_key())
        assert result.ok, result.fault
