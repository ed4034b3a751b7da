"""SDP parse/serialize and RFC 3264 offer/answer choices."""

from __future__ import annotations

import pytest

from voice.sip.exceptions import SdpNegotiationError, SdpParseError
from voice.sip.offer_answer import MediaConfig, answer_offer, make_offer, reanswer
from voice.sip.sdp import Direction, SessionDescription

MEDIA = MediaConfig(address="192.0.2.10", port=40000)


def sdp(media: str, *, conn: str = "203.0.113.5", session_attrs: str = "") -> SessionDescription:
    text = f"v=0\r\no=- 1 1 IN IP4 {conn}\r\ns=-\r\nc=IN IP4 {conn}\r\nt=0 0\r\n{session_attrs}{media}"
    return SessionDescription.parse(text.encode())


def test_round_trip_and_fields() -> None:
    data = (
        b"v=0\r\no=alice 2890844526 2890844526 IN IP4 host.example.com\r\ns=call\r\n"
        b"c=IN IP4 192.0.2.5\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
        b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:30\r\na=sendonly\r\n"
        b"m=video 51372 RTP/AVP 31\r\na=rtpmap:31 H261/90000\r\n"
    )
    s = SessionDescription.parse(data)
    assert bytes(s) == data
    audio = s.media[0]
    assert audio.rtpmaps() == {0: ("PCMU", 8000, 1), 101: ("TELEPHONE-EVENT", 8000, 1)}
    assert audio.fmtp(101) == "0-15" and audio.ptime == 30 and audio.direction is Direction.SENDONLY
    assert s.media_connection(s.media[1]) is not None and s.media_direction(s.media[1]) is Direction.SENDRECV
    assert SessionDescription.parse(data.replace(b"\r\n", b"\n")).media[0].port == 49170


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "SDP does not start with v=0"),
        (b"v=1\r\n", "SDP does not start with v=0"),
        (b"v=0\r\ns=-\r\n", "SDP has no o= line"),
        (b"v=0\r\no=- 1 1 IN IP4\r\n", "malformed o= line"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nm =audio 1 RTP/AVP 0\r\n", "malformed SDP line"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 99999 RTP/AVP 0\r\n", "malformed m= port"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nm=audio 1 RTP/AVP\r\n", "malformed m= line"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nc=IN IP4\r\n", "malformed c= line"),
        (b"v=0\r\no=- 1 1 IN IP4 h\r\nv=0\r\n", "more than one v= line"),
        (b"v=0\r\no=- 1 1 IN IP4 \xff\r\n", "SDP is not valid UTF-8"),
    ],
)
def test_sdp_errors(data: bytes, message: str) -> None:
    with pytest.raises(SdpParseError) as info:
        SessionDescription.parse(data)
    assert str(info.value) == message


def test_answer_follows_offer_order_and_keeps_dtmf_pt() -> None:
    offer = sdp("m=audio 5004 RTP/AVP 0 8 96\r\na=rtpmap:96 telephone-event/8000\r\na=ptime:30\r\n")
    res = answer_offer(offer, MEDIA)
    assert res.codec.name == "PCMU" and res.codec.payload_type == 0
    assert res.dtmf_payload_type == 96 and res.ptime == 30
    assert (res.remote_address, res.remote_port) == ("203.0.113.5", 5004)
    m = res.answer.media[0]
    assert m.formats == ["0", "96"] and m.port == 40000 and m.direction is Direction.SENDRECV
    assert m.attribute("ptime") == "20"
    pcma_first = answer_offer(sdp("m=audio 5004 RTP/AVP 8 0\r\n"), MEDIA)
    assert pcma_first.codec.name == "PCMA" and pcma_first.dtmf_payload_type is None
    only_pcma = answer_offer(
        sdp("m=audio 5004 RTP/AVP 0 8\r\n"), MediaConfig(address="192.0.2.10", port=1, codecs=("PCMA",))
    )
    assert only_pcma.codec.name == "PCMA"


def test_dynamic_pt_and_rejected_streams() -> None:
    offer = sdp(
        "m=video 6000 RTP/AVP 31\r\nm=audio 5004 RTP/AVP 112\r\na=rtpmap:112 pcmu/8000\r\n"
        "m=audio 5006 RTP/AVP 0\r\n"
    )
    res = answer_offer(offer, MEDIA)
    assert res.codec.payload_type == 112 and res.codec.name == "PCMU"
    assert [m.port for m in res.answer.media] == [0, 40000, 0]
    assert bytes(SessionDescription.parse(bytes(res.answer))) == bytes(res.answer)


def test_no_common_codec_raises() -> None:
    with pytest.raises(SdpNegotiationError, match="no audio codec in common"):
        answer_offer(sdp("m=audio 5004 RTP/AVP 18 9\r\na=rtpmap:18 G729/8000\r\n"), MEDIA)
    with pytest.raises(SdpNegotiationError):
        answer_offer(sdp("m=audio 0 RTP/AVP 0\r\n"), MEDIA)
    with pytest.raises(SdpNegotiationError):  # PCMU at 16 kHz is not G.711
        answer_offer(sdp("m=audio 5004 RTP/AVP 97\r\na=rtpmap:97 PCMU/16000\r\n"), MEDIA)


@pytest.mark.parametrize(
    ("offer_attr", "conn", "ours", "hold"),
    [
        ("a=sendrecv\r\n", "203.0.113.5", Direction.SENDRECV, False),
        ("a=sendonly\r\n", "203.0.113.5", Direction.RECVONLY, True),
        ("a=recvonly\r\n", "203.0.113.5", Direction.SENDONLY, False),
        ("a=inactive\r\n", "203.0.113.5", Direction.INACTIVE, True),
        ("", "0.0.0.0", Direction.SENDRECV, True),  # RFC 2543 hold
    ],
)
def test_hold_directions(offer_attr: str, conn: str, ours: Direction, hold: bool) -> None:
    res = answer_offer(sdp("m=audio 5004 RTP/AVP 0\r\n" + offer_attr, conn=conn), MEDIA)
    assert res.direction is ours and res.on_hold is hold
    assert res.answer.media[0].direction is ours


def test_session_level_direction_and_reanswer() -> None:
    offer = sdp(
        "m=audio 5004 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
        session_attrs="a=inactive\r\n",
    )
    first = answer_offer(offer, MEDIA)
    assert first.direction is Direction.INACTIVE
    again = reanswer(
        first.answer, sdp("m=audio 5004 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"), version=1
    )
    assert again.codec.name == "PCMA"  # the codec already in use is kept
    assert again.answer.origin.session_version == "1" and again.answer.media[0].port == 40000
    assert again.dtmf_payload_type == 101


def test_make_offer_is_answerable() -> None:
    offer = make_offer(MEDIA)
    res = answer_offer(SessionDescription.parse(bytes(offer)), MediaConfig(address="198.51.100.1", port=5000))
    assert res.codec.name == "PCMU" and res.dtmf_payload_type == 101
