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


def caller_wav(repo_root: Path, out: Path) -> Path:
    """The billing fixture, then 6 s of line noise; the fake microphone loops it."""
    pcm, _ = read_audio(repo_root / "fixtures" / "audio" / "billing_16k.wav", RATE)
    tail = np.random.default_rng(7).normal(0, 10 / 32768, RATE * 6).astype(np.float32)
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
            assert page.locator("#status").text_content() == "idle"
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
            page.click("#hangup")
            page.wait_for_selector("#status[data-state=ended]", timeout=5_000)
        finally:
            browser.close()
    assert caller_text.startswith("You: ") and len(caller_text) > len("You: ") + 5, console
    assert decision.startswith("billing: allow"), decision
    assert transfer == "transferred to billing (queue:billing)"


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
