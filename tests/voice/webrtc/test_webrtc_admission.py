"""WebRTC admission: a signed single-use call token from the server, a rate per client address, and
every new peer connection counted against ``sip.max_calls`` however the offer names itself."""

from __future__ import annotations

import httpx
import pytest
from media_server import MediaServer, wait_until

from voice.testing.remote_webrtc import WebRtcCaller
from voice.webrtc.admission import Admission, AdmissionError, CallTokens, RateLimiter

OFFER = (
    "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 00:11\r\n"
)


def test_call_tokens_are_signed_short_lived_single_use_and_bound_to_the_address() -> None:
    now = [1000.0]
    tokens = CallTokens(secret=b"k" * 32, ttl_s=60, clock=lambda: now[0])
    token = tokens.issue("192.0.2.7")
    with pytest.raises(AdmissionError, match="signature"):
        tokens.redeem(token, "192.0.2.8")  # another address
    tokens.redeem(token, "192.0.2.7")
    with pytest.raises(AdmissionError, match="already used"):
        tokens.redeem(token, "192.0.2.7")
    late = tokens.issue("192.0.2.7")
    now[0] += 61
    with pytest.raises(AdmissionError, match="expired"):
        tokens.redeem(late, "192.0.2.7")
    for bad in (None, "", "c1.1.2", "c1.x.nonce.mac", "z" * 300, token.replace("c1.", "c2.", 1)):
        with pytest.raises(AdmissionError):
            tokens.redeem(bad, "192.0.2.7")
    forged = CallTokens(secret=b"j" * 32, clock=lambda: now[0]).issue("192.0.2.7")
    with pytest.raises(AdmissionError, match="signature"):
        tokens.redeem(forged, "192.0.2.7")


def test_rate_limiter_holds_each_address_to_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate_per_min=6, burst=2, max_keys=2, clock=lambda: now[0])
    assert limiter.take("a") == 0 and limiter.take("a") == 0
    assert limiter.take("a") == pytest.approx(10.0)  # one every 10 s after the burst
    assert limiter.take("b") == 0  # other addresses are not held back
    now[0] += 10
    assert limiter.take("a") == 0
    limiter.take("c")
    assert len(limiter._buckets) == 2  # bounded


def test_admission_counts_offers_in_flight_beside_running_calls() -> None:
    admission = Admission()
    first = admission.reserve(running=0, limit=2)
    second = admission.reserve(running=0, limit=2)
    assert first is not None and second is not None
    assert admission.reserve(running=0, limit=2) is None
    first.release()
    first.release()  # idempotent
    assert admission.pending == 1
    assert admission.reserve(running=1, limit=2) is None


@pytest.mark.slow
async def test_offer_needs_a_token_from_the_server(media_server: MediaServer) -> None:
    async with httpx.AsyncClient(base_url=media_server.http, timeout=10) as http:
        assert (await http.post("/api/offer", json={"sdp": OFFER, "type": "offer"})).status_code == 401
        bad = await http.post("/api/offer", json={"sdp": OFFER, "type": "offer", "token": "c1.1.2.3"})
        assert bad.status_code == 401 and "c1.1.2.3" not in bad.text
        grant = await http.post("/api/call-token")
        assert grant.status_code == 200 and grant.json()["expires_in"] > 0
    assert media_server.active_calls() == 0


@pytest.mark.slow
async def test_token_requests_are_rate_limited_per_address(media_server: MediaServer) -> None:
    media_server.reset_rate_limit()
    async with httpx.AsyncClient(base_url=media_server.http, timeout=10) as http:
        codes = [(await http.post("/api/call-token")).status_code for _ in range(40)]
    assert 200 in codes and 429 in codes
    assert codes.index(429) >= 5  # a burst first, then the rate
    refused = codes.index(429)
    assert all(c == 429 for c in codes[refused:refused + 3])
    media_server.reset_rate_limit()


@pytest.mark.slow
async def test_a_made_up_pc_id_is_a_new_call_and_counts_against_the_limit(media_server: MediaServer) -> None:
    media_server.set_max_calls(1)
    first = WebRtcCaller(media_server.http)
    assert first.pc is not None
    try:
        media_server.reset_rate_limit()
        await first.open()
        assert wait_until(lambda: media_server.active_calls() == 1)
        async with httpx.AsyncClient(base_url=media_server.http, timeout=10) as http:
            for pc_id in (None, "SmallWebRTCConnection#999", "made-up-" + "x" * 20):
                token = (await http.post("/api/call-token")).json()["token"]
                body = {"sdp": OFFER, "type": "offer", "token": token}
                if pc_id is not None:
                    body["pc_id"] = pc_id
                res = await http.post("/api/offer", json=body)
                assert res.status_code == 503 and res.headers["retry-after"], pc_id
    finally:
        await first.finish()
        media_server.set_max_calls(32)
    assert wait_until(lambda: media_server.active_calls() == 0, timeout_s=15)
