"""WebRTC signalling and calls on a real server, with aiortc as the remote peer."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from media_server import MediaServer

from voice.testing.remote import at_rate, drive_turns, fill_result
from voice.testing.remote_webrtc import WebRtcCaller
from voice.testing.replay import CallResult
from voice.testing.scenarios import load_scenario
from voice.webrtc.transport import audio_codecs, host_candidates_only

pytestmark = pytest.mark.slow


async def test_webrtc_call_routes_with_transfer_on_the_data_channel(
    media_server: MediaServer, fixtures_dir: Path
) -> None:
    scenario = at_rate(load_scenario(fixtures_dir / "billing_16k.yaml"), 16000)
    call = WebRtcCaller(media_server.http)
    result = CallResult(scenario=scenario.name, rate=16000)
    await call.open()
    try:
        result.caller_turns = await drive_turns(call.line, scenario)
    finally:
        await call.finish()
    fill_result(result, call.report, call.line, started_at=call.started_at)

    assert audio_codecs(call.answer_sdp)[0].lower().startswith("opus/48000")
    candidates = [ln for ln in call.answer_sdp.splitlines() if ln.startswith("a=candidate:")]
    assert candidates and all(" typ host" in ln for ln in candidates)
    assert call.transfers == [("billing", "queue:billing")]
    assert call.report is not None, "no final report after hang-up"
    assert result.rows and result.rows[0].caller.strip()
    assert result.caller_turns[0].latency_ms is not None
    assert "transfer.executed" in result.events


async def test_offer_endpoint_refuses_bad_offers_and_serves_the_page(media_server: MediaServer) -> None:
    async with httpx.AsyncClient(base_url=media_server.http, timeout=10) as http:
        assert (await http.post("/api/offer", json={"sdp": "v=0", "type": "answer"})).status_code == 422
        assert (await http.post("/api/offer", content=b"{not json")).status_code == 422
        assert (await http.post("/api/offer", json={"sdp": "x" * 30_000, "type": "offer"})).status_code == 422
        bad = await http.post("/api/offer", json={"sdp": "v=0\r\nthis is not sdp\r\n", "type": "offer"})
        assert bad.status_code == 400 and "this is not sdp" not in bad.text
        page = await http.get("/")
        assert page.status_code == 200 and 'id="call"' in page.text
        assert (await http.get("/static/app.js")).status_code == 200
        assert (await http.get("/static/..%2Fapp.py")).status_code == 404
    assert media_server.active_calls() == 0


def test_host_candidates_only_drops_reflexive_and_relay() -> None:
    sdp = (
        "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:0 PCMU/8000\r\n"
        "a=candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host\r\n"
        "a=candidate:2 1 udp 1694498815 203.0.113.7 5000 typ srflx raddr 127.0.0.1 rport 5000\r\n"
        "a=candidate:3 1 udp 16777215 198.51.100.2 3478 typ relay raddr 0.0.0.0 rport 0\r\n"
    )
    out = host_candidates_only(sdp)
    assert "typ host" in out and "srflx" not in out and "relay" not in out
    assert audio_codecs(out) == ["opus/48000/2", "PCMU/8000"]
