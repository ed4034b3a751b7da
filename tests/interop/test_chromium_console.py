"""The admin console in headless Chromium, end to end.

A clinical-department call (the fixture, replayed in process through :func:`voice.pipeline.calls.new_call`)
waits for a supervisor: the supervisor signs in to the console, sees the pending transfer live with
the tokenized context, approves it with one click, and the call continues (the transfer executes).
An admin then adds a caller to the opt-out list and an auditor exports the log, both in the
browser. Debian's chromium (``scripts/system-deps.sh``) is driven by Playwright with
``executable_path`` (no browser download) and a fresh profile; screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import uvicorn
from fastapi import FastAPI

from audit.store import RowQuery
from concierge.audit_sink import MemoryAuditSink
from concierge.config import load_workspace
from voice.admin import Role, SqliteConfigStore, admin_router
from voice.admin.tokens import digest, new_token
from voice.ivr import prerender
from voice.ivr.optout import number_digest, register_list
from voice.pipeline.engines import Engines
from voice.server.process import ServerProcess
from voice.testing.ivr_harness import drive_call
from voice.testing.scenarios import load_scenario

pytestmark = [pytest.mark.interop, pytest.mark.asyncio(loop_scope="module")]

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHROMIUM_PRESENT = Path(CHROMIUM).exists()
FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))


@dataclass
class Console:
    url: str
    engines: Engines
    store: SqliteConfigStore
    tokens: dict[Role, str] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def console(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Console]:
    tmp = tmp_path_factory.mktemp("console")
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    engines = Engines.load(ws, tmp)
    await engines.start()
    prerender(ws, engines.prompts)
    engines.audit = MemoryAuditSink()
    state = ServerProcess(workspace=ws, data_dir=tmp)
    state.engines = engines
    state.ready = True
    store = SqliteConfigStore(tmp / "config.db")
    app = FastAPI(title="console test")
    app.include_router(admin_router(state, store=store))
    env = Console(url="", engines=engines, store=store)
    for role in Role:
        token = new_token()
        store.add_token(workspace_id=ws.id, name=f"{role.value}-1", role=role, digest=digest(token))
        env.tokens[role] = token
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    env.url = f"http://127.0.0.1:{port}"
    try:
        yield env
    finally:
        server.should_exit = True
        await serving
        register_list(ws.id, None)
        store.close()
        await engines.close()


async def _browser(tmp_path: Path) -> Any:
    from playwright.async_api import async_playwright

    pw = await async_playwright().start()
    ctx = await pw.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        accept_downloads=True,
    )
    return pw, ctx


async def _sign_in(page: Any, url: str, token: str) -> None:
    await page.goto(url + "/admin")
    await page.fill("[data-testid=token]", token)
    await page.click("[data-testid=signin]")
    await page.wait_for_selector("nav:not([hidden]) button", timeout=10_000 * FACTOR)


async def test_supervisor_approves_a_waiting_transfer_and_the_call_continues(console: Console, tmp_path: Path) -> None:
    assert CHROMIUM_PRESENT, "Debian chromium missing: run scripts/system-deps.sh"
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    clinical = load_scenario(REPO / "fixtures" / "audio" / "clinical_16k.yaml")
    sessions: list[Any] = []
    call = asyncio.create_task(drive_call(
        console.engines, rate=16000, speech=[t.pcm16 for t in clinical.turns], linger_s=60.0,
        on_session=sessions.append,
    ))
    pw, ctx = await _browser(tmp_path)
    try:
        page = await ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await _sign_in(page, console.url, console.tokens[Role.SUPERVISOR])
        card = page.locator("[data-testid^=approval-]").first
        await card.wait_for(timeout=30_000 * FACTOR)  # appears live, while the caller waits
        assert sessions and sessions[0].transport.recording.transfers == []
        text = await card.inner_text()
        assert "clinical" in text and "medication" in text  # the tokenized context the brain had
        await page.screenshot(path=str(artifacts / "console_pending_approval.png"), full_page=True)
        await page.locator("[data-testid^=approve-]").first.click()
        decided = page.locator("[data-testid^=decided-]").first
        await decided.wait_for(timeout=5_000 * FACTOR)
        assert (await decided.inner_text()) == "approved by supervisor:supervisor-1"
        recording = sessions[0].transport.recording
        for _ in range(int(100 * FACTOR)):  # the call continues: the transfer executes
            if recording.transfers:
                break
            await asyncio.sleep(0.05)
        await page.screenshot(path=str(artifacts / "console_approved.png"), full_page=True)
        assert recording.transfers == [("clinical", "clinical")]
        decisions = [d for d in sessions[0].log.decisions if d.get("approver") == "supervisor:supervisor-1"]
        assert decisions and decisions[0]["decision"] == "allow"
        assert errors == []
    finally:
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        await ctx.close()
        await pw.stop()


async def test_admin_edits_the_opt_out_list_and_auditor_exports(console: Console, tmp_path: Path) -> None:
    artifacts = REPO / "artifacts"
    artifacts.mkdir(exist_ok=True)
    pw, ctx = await _browser(tmp_path)
    try:
        page = await ctx.new_page()
        await _sign_in(page, console.url, console.tokens[Role.ADMIN])
        await page.click("[data-testid=tab-optouts]")
        await page.fill("[data-testid=optout-number]", "+1 212 555 0155")
        await page.click("[data-testid=optout-add]")
        await page.wait_for_selector("[data-testid=optouts] td:has-text('55')", timeout=5_000 * FACTOR)
        assert console.store.contains("demo", number_digest("demo", "+1 212 555 0155"))
        await page.click("[data-testid=tab-features]")
        await page.uncheck("[data-testid=feature-recording]")
        await page.click("[data-testid=features-save]")
        await page.wait_for_selector("#status:has-text('saved')", timeout=5_000 * FACTOR)
        await page.screenshot(path=str(artifacts / "console_admin.png"), full_page=True)

        auditor = await ctx.new_page()
        await _sign_in(auditor, console.url, console.tokens[Role.AUDITOR])
        await auditor.click("[data-testid=export-jsonl]")
        link = auditor.locator("[data-testid=export-result] a")
        await link.wait_for(timeout=10_000 * FACTOR)
        assert "lines" in (await link.inner_text())
        async with auditor.expect_download() as dl:
            await link.click()
        saved = tmp_path / "export.jsonl"
        await (await dl.value).save_as(str(saved))
        assert saved.read_text().startswith('{"') and '"record":"trailer"' in saved.read_text()
        await auditor.screenshot(path=str(artifacts / "console_auditor.png"), full_page=True)
    finally:
        await ctx.close()
        await pw.stop()


def _config_events(console: Console) -> int:
    return len(list(console.engines.audit_log._store.rows("demo", RowQuery(types=("config.changed",)))))


async def test_admin_edits_hours_and_the_ivr_menu_and_a_failed_save_changes_nothing(console: Console, tmp_path: Path) -> None:
    """One browser session: a failed sign-in, then an admin's: the banner is cleared; the hours editor
    (a range on Sunday, a time zone from the picker) and the routing are saved as one change; a bad
    time zone saves nothing and audits nothing; the IVR editor adds, re-points and removes options; the
    live calls view shows its empty state and refreshes by itself; sign-out returns to the sign-in."""
    pw, ctx = await _browser(tmp_path)
    t = 10_000 * FACTOR
    call: asyncio.Task[Any] | None = None
    try:
        page = await ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        await page.goto(console.url + "/admin")
        await page.fill("[data-testid=token]", "dpk_not-a-real-token")
        await page.click("[data-testid=signin]")
        await page.wait_for_selector("#status.error:has-text('sign-in failed')", timeout=t)
        await page.fill("[data-testid=token]", console.tokens[Role.ADMIN])
        await page.click("[data-testid=signin]")
        await page.wait_for_selector("[data-testid=save-sales]", timeout=t)
        status = page.locator("#status")
        assert (await status.inner_text()).strip() == "" and await status.get_attribute("class") == ""

        # hours and routing of one department: one request, one version, one audit event
        version, events = console.store.version("demo"), _config_events(console)
        await page.click("[data-testid=add-range-sales-sun]")
        await page.fill("[data-testid=from-sales-sun]", "11:00")
        await page.fill("[data-testid=to-sales-sun]", "15:30")
        await page.fill("[data-testid=tz-sales]", "Europe/Paris")
        await page.fill("[data-testid=target-sales-webrtc]", "queue:sales-desk")
        await page.click("[data-testid=save-sales]")
        await page.wait_for_selector("#status:has-text('saved sales')", timeout=t)
        stored = console.store.load("demo")
        assert stored is not None
        sales = stored.department("sales")
        assert sales is not None and sales.hours.timezone == "Europe/Paris"
        assert sales.hours.weekly["sun"] == ["11:00-15:30"] and sales.hours.weekly["mon"] == ["08:00-20:00"]
        assert sales.targets["webrtc"] == "queue:sales-desk"
        assert console.store.version("demo") == version + 1 and _config_events(console) == events + 1

        # a bad time zone: the routing beside it is not saved either, and nothing is audited
        await page.fill("[data-testid=target-sales-webrtc]", "queue:must-not-be-saved")
        await page.fill("[data-testid=tz-sales]", "Mars/Olympus")
        await page.click("[data-testid=save-sales]")
        await page.wait_for_selector("#status.error:has-text('timezone')", timeout=t)
        await page.screenshot(path=str(tmp_path / "console_hours_failed_save.png"), full_page=True)
        again = console.store.load("demo")
        assert again is not None and again.department("sales") == sales
        assert console.store.version("demo") == version + 1 and _config_events(console) == events + 1

        # the IVR menu: a new key for sales, then the billing option removed
        await page.click("[data-testid=tab-ivr]")
        await page.wait_for_selector("[data-testid=ivr-dept-0]", timeout=t)
        assert (await page.locator("#status").inner_text()).strip() == ""  # the error belonged to the other tab
        await page.click("[data-testid=ivr-add]")
        await page.select_option("[data-testid=ivr-dept-5]", "sales")
        await page.fill("[data-testid=ivr-prompt-5]", "For new plans, press 6.")
        await page.click("[data-testid=ivr-remove-0]")
        await page.click("[data-testid=ivr-save]")
        await page.wait_for_selector("#status:has-text('IVR menu saved')", timeout=t)
        await page.screenshot(path=str(tmp_path / "console_ivr.png"), full_page=True)
        ivr = console.engines.workspace.ivr
        assert [o.digit for o in ivr.options] == ["2", "3", "4", "5", "6"]
        assert (ivr.options[-1].department, ivr.options[-1].prompt) == ("sales", "For new plans, press 6.")

        # live calls: an empty state, then a call appears without reloading the view
        await page.click("[data-testid=tab-calls]")
        await page.wait_for_selector("[data-testid=calls-empty]:visible", timeout=t)
        call = asyncio.create_task(drive_call(console.engines, rate=16000, linger_s=30.0))
        await page.wait_for_selector("[data-testid=calls] td", timeout=t)
        await page.screenshot(path=str(tmp_path / "console_calls.png"), full_page=True)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)

        await page.click("[data-testid=signout]")
        await page.wait_for_selector("#login:not([hidden])", timeout=t)
        assert await page.locator("#tabs").is_hidden() and await page.locator("#views").inner_text() == ""
        await page.reload()
        await page.wait_for_selector("#login:not([hidden])", timeout=t)
        assert await page.locator("[data-testid=signout]").is_hidden()
        await page.screenshot(path=str(tmp_path / "console_signed_out.png"), full_page=True)
        assert errors == []
    finally:
        if call is not None:
            call.cancel()
            await asyncio.gather(call, return_exceptions=True)
        await ctx.close()
        await pw.stop()
