"""Hypothesis fuzzing: every input is accepted or rejected with the documented exception.

SIP (random bytes, mutated RFC 4475 messages, grammar-shaped header values, and the whole
SipCore), SDP, RTP and RFC 4733 payloads. ``bench/bench_sip_fuzz.py`` runs 100,000 inputs.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice.rtp.dtmf import TelephoneEvent
from voice.rtp.exceptions import RtpParseError
from voice.rtp.packet import RtpPacket
from voice.sip.core import SipConfig, SipCore
from voice.sip.exceptions import SdpNegotiationError, SdpParseError, SipParseError
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.offer_answer import MediaConfig, answer_offer
from voice.sip.sdp import SessionDescription

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SHARED = Path(os.environ.get("DIALPHONE_SHARED") or Path(__file__).resolve().parents[4] / "shared")
TORTURE = sorted((SHARED / "sip" / "rfc4475").glob("*.dat"))
SEEDS = [p.read_bytes() for p in TORTURE] or [b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n"]
GRAMMAR_CHARS = st.sampled_from(list("abcAZ09 \t;,:=<>\"\\@%/.-_~?&[]+*!'()") + ["\r\n ", "\xe9", "\x00"])
HEADERS = [
    "Via",
    "v",
    "From",
    "f",
    "To",
    "t",
    "Contact",
    "m",
    "Call-ID",
    "i",
    "CSeq",
    "Max-Forwards",
    "Content-Length",
    "l",
    "Content-Type",
    "c",
    "Route",
    "Record-Route",
    "Require",
    "Accept",
    "X-Other",
]


def check_sip(data: bytes) -> None:
    try:
        msg = SipMessage.parse(data)
    except SipParseError:
        return
    assert isinstance(msg, SipRequest | SipResponse)
    once = bytes(msg)
    assert bytes(SipMessage.parse(once)) == once


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.integers(0, 3))
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        if op == 0 and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == 1:
            data[pos:pos] = draw(
                st.sampled_from([b"\r\n", b" ", b";", b",", b'"', b"<", b">", b"%", b":", b"\x00"])
            )
        elif op == 2:
            del data[pos : pos + draw(st.integers(1, 16))]
        else:
            data[pos:pos] = data[draw(st.integers(0, max(0, len(data) - 1))) :][: draw(st.integers(1, 40))]
    return bytes(data)


@st.composite
def shaped(draw: st.DrawFn) -> bytes:
    start = draw(
        st.sampled_from(["INVITE sip:a@b.example.com SIP/2.0", "SIP/2.0 200 OK", "BYE sip:x SIP/2.0"])
    )
    lines = [start]
    for _ in range(draw(st.integers(0, 8))):
        value = "".join(draw(st.lists(GRAMMAR_CHARS, max_size=40)))
        lines.append(f"{draw(st.sampled_from(HEADERS))}: {value}")
    body = draw(st.binary(max_size=40))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


@FUZZ
@given(st.binary(max_size=300))
def test_sip_random_bytes(data: bytes) -> None:
    check_sip(data)


@FUZZ
@given(mutated())
def test_sip_mutated_torture_messages(data: bytes) -> None:
    check_sip(data)


@FUZZ
@given(shaped())
def test_sip_grammar_shaped_headers(data: bytes) -> None:
    check_sip(data)


@FUZZ
@given(st.lists(st.one_of(mutated(), shaped()), min_size=1, max_size=4))
def test_sip_core_never_raises(datagrams: list[bytes]) -> None:
    core = SipCore(SipConfig(host="192.0.2.10"))
    for i, data in enumerate(datagrams):
        core.receive_datagram(data, ("192.0.2.9", 5060), now=i * 0.1)
        core.tick(i * 0.1 + 0.05)
    for dgram in core.datagrams_to_send():
        assert dgram.addr == ("192.0.2.9", 5060) and dgram.data.startswith(b"SIP/2.0 ")
    core.events()


SDP_LINES = st.sampled_from(
    [
        "v=0",
        "o=- 1 1 IN IP4 192.0.2.1",
        "s=-",
        "c=IN IP4 192.0.2.1",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "m=audio 5004 RTP/AVP 0 8 101",
        "m=audio 0 RTP/AVP 0",
        "m=video 5006 RTP/AVP 31",
        "a=rtpmap:101 telephone-event/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:96 PCMA",
        "a=rtpmap:x",
        "a=sendonly",
        "a=inactive",
        "a=ptime:30",
        "a=ptime:x",
        "a=fmtp:101 0-16",
        "m=audio 1/2 RTP/AVP 97",
        "b=AS:64",
        "x",
        "",
    ]
)


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=200),
        st.lists(st.one_of(SDP_LINES, st.text(max_size=20)), max_size=12).map(
            lambda lines: ("v=0\r\n" + "\r\n".join(lines)).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_sdp_parse_and_answer(data: bytes) -> None:
    try:
        sdp = SessionDescription.parse(data)
    except SdpParseError:
        return
    once = bytes(sdp)
    assert bytes(SessionDescription.parse(once)) == once
    try:
        answer_offer(sdp, MediaConfig(address="192.0.2.10", port=4000))
    except SdpNegotiationError:
        pass


@FUZZ
@given(st.binary(max_size=80))
def test_rtp_packets(data: bytes) -> None:
    try:
        pkt = RtpPacket.parse(data)
    except RtpParseError:
        return
    assert RtpPacket.parse(bytes(pkt)) == pkt
    if pkt.padding_size == 0:
        assert bytes(pkt) == data


@FUZZ
@given(st.binary(max_size=8))
def test_telephone_events(data: bytes) -> None:
    try:
        ev = TelephoneEvent.parse(data)
    except RtpParseError:
        assert len(data) != 4
        return
    assert bytes(ev) == data
