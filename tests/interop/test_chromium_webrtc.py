"""Headless Chromium calls the concierge from the browser page over WebRTC.

Debian's chromium (``scripts/system-deps.sh``) driven by Playwright with ``executable_path``: no
browser is downloaded. The fake microphone plays a fixture; the server transcribes, redacts and
routes; the page shows the tokenized transcript and the routing decision. A screenshot is kept
under ``artifacts/``.
"""

from __future__ import annotations

import shutil
import sys
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "voice"))
from media_server import MediaServer

from voice.admin import Role
from voice.admin.tokens import digest, new_token
from voice.audio import read_audio, to_int16_bytes

pytestmark = [pytest.mark.interop, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
RATE = 16000
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    srv = MediaServer(tmp_path_factory.mktemp("webrtc-server")).start()
    yield srv
    srv.stop()


def caller_wav(repo_root: Path, out: Path, fixture: str = "billing_16k.wav", tail_s: int = 6) -> Path:
    """A fixture (billing by default), then ``tail_s`` of line noise; the fake microphone loops it."""
    pcm, _ = read_audio(repo_root / "fixtures" / "audio" / fixture, RATE)
    tail = np.random.default_rng(7).normal(0, 10 / 32768, RATE * tail_s).astype(np.float32)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(to_int16_bytes(np.concatenate([pcm, tail])))
    return out


def test_browser_page_calls_transcribes_and_routes(server: MediaServer, repo_root: Path, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian chromium missing: run scripts/system-deps.sh"
    wav = caller_wav(repo_root, tmp_path / "caller.wav")
    artifacts = repo_root / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"],
        )
        try:
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.goto(server.http + "/")
            assert page.locator("#status[data-state=idle]").text_content() == "Ready: press Call"
            page.click("#call")
            page.wait_for_selector("#status[data-state=connected]", timeout=20_000)
            page.wait_for_selector("#transcript li", timeout=30_000)
            try:
                page.wait_for_selector("#routing[data-department=billing][data-decision]", timeout=30_000)
                page.wait_for_selector("#transfer:not([hidden])", timeout=10_000)
            finally:
                page.screenshot(path=str(artifacts / "chromium_webrtc_call.png"), full_page=True)
            caller_text = page.locator("#transcript li .caller").first.text_content() or ""
            decision = page.locator("#decision").text_content() or ""
            transfer = page.locator("#transfer").text_content() or ""
            status = page.locator("#status[data-state=transferred]").text_content() or ""
            page.click("#hangup")
            page.wait_for_selector("#status[data-state=ended]", timeout=5_000)
        finally:
            browser.close()
    assert caller_text.startswith("You: ") and len(caller_text) > len("You: ") + 5, console
    assert decision == "Transferring you to Billing…", decision  # plain words, no rule ids
    assert transfer == "Transferred to Billing — you can hang up."
    assert status == "Transferred to Billing — you can hang up"


def test_browser_keypad_digits_reach_the_server_as_a_token(server: MediaServer, tmp_path: Path) -> None:
    """The page's keypad sends DTMF over the data channel; the server tokenizes the typed card, and the
    page's transcript (what the server sends back) holds the token, not the digits."""
    from playwright.sync_api import sync_playwright

    wav = tmp_path / "quiet.wav"
    with wave.open(str(wav), "wb") as w:  # line noise only: the caller says nothing
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(to_int16_bytes(np.random.default_rng(3).normal(0, 10 / 32768, RATE * 8).astype(np.float32)))
    card = "4076123498765438"
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"],
        )
        try:
            page = browser.new_page()
            page.goto(server.http + "/")
            page.click("#call")
            page.wait_for_selector("#status[data-state=connected]", timeout=20_000)
            for key in card + "#":
                page.click(f"#keypad button[data-key='{key}']")
            page.wait_for_selector("#transcript li .caller", timeout=20_000)
            caller = page.locator("#transcript li .caller").first.text_content() or ""
            page.click("#hangup")
        finally:
            browser.close()
    assert "(typed on the keypad) [CREDIT_CARD_1]" in caller, caller
    assert not any(ch.isdigit() for ch in caller.replace("[CREDIT_CARD_1]", ""))


def test_caller_page_through_a_supervisor_approval_in_plain_words(
    server: MediaServer, repo_root: Path, tmp_path: Path
) -> None:
    """A clinical caller on the page, a supervisor in the console of the same server: the page says it
    waits for a supervisor (and the concierge says it is asking, not transferring), the supervisor
    approves with one click, and the page says where the caller went and what to do next."""
    from playwright.sync_api import sync_playwright

    token = new_token()
    server.call(lambda: server.state.admin.store.add_token(  # type: ignore[union-attr]
        workspace_id="demo", name="page-supervisor", role=Role.SUPERVISOR, digest=digest(token)))
    server.reset_rate_limit()
    # the clinical request once: the noise after it outlasts the test, so the loop never repeats it
    wav = caller_wav(repo_root, tmp_path / "caller.wav", fixture="clinical_16k.wav", tail_s=60)
    with sync_playwright() as pw:
        browser = pw.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True,
            args=[*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}"],
        )
        try:
            console = browser.new_page()
            console.goto(server.http + "/admin")
            console.fill("[data-testid=token]", token)
            console.click("[data-testid=signin]")
            console.wait_for_selector("[data-testid=approvals-empty]:visible", timeout=10_000)
            page = browser.new_page()
            page.goto(server.http + "/")
            page.click("#call")
            waiting = page.wait_for_selector("#status[data-state=waiting]", timeout=40_000)
            assert waiting is not None and waiting.text_content() == "Waiting for a supervisor…"
            decision = page.locator("#decision").text_content() or ""
            assert decision == "Waiting for a supervisor to approve your transfer to Clinical…", decision
            page.wait_for_selector("#transcript li .reply:has-text('Concierge')", timeout=10_000)
            reply = page.locator("#transcript li .reply").first.text_content() or ""
            page.screenshot(path=str(tmp_path / "caller_waiting.png"), full_page=True)
            console.locator("[data-testid^=approve-]").first.click(timeout=10_000)
            console.wait_for_selector("[data-testid^=decided-]", timeout=5_000)
            try:
                page.wait_for_selector("#status[data-state=transferred]", timeout=15_000)
            finally:
                page.screenshot(path=str(tmp_path / "caller_transferred.png"), full_page=True)
            status = page.locator("#status").text_content() or ""
            transfer = page.locator("#transfer")
            shown = transfer.text_content() or ""
            target = transfer.get_attribute("data-target")
            texts = page.locator("main").inner_text()
            page.click("#hangup")
            page.wait_for_selector("#status[data-state=ended]", timeout=5_000)
        finally:
            browser.close()
    assert reply == "Concierge: I'm asking a supervisor to approve the transfer to clinical.", reply
    assert status == "Transferred to Clinical — you can hang up"
    assert shown == "Transferred to Clinical — you can hang up." and target == "queue:clinical"
    for internal in ("needs_approval", "requires_approval", "supervisor_approved", "queue:"):
        assert internal not in texts, internal
