"""SIP message grammar: compact names, folding, lists, quoting, escapes, exact error messages."""

from __future__ import annotations

import pytest

from voice.sip.address import NameAddr, parse_address_list
from voice.sip.exceptions import SipParseError
from voice.sip.fields import Headers
from voice.sip.framing import StreamFramer
from voice.sip.headers import CSeq, MediaType, parse_vias
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.uri import AbsoluteUri, SipUri, parse_uri, unescape

CANONICAL = (
    b"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
    b"Max-Forwards: 70\r\n"
    b"To: Bob <sip:bob@biloxi.example.com>\r\n"
    b'From: "Alice, A." <sip:alice@atlanta.example.com>;tag=1928301774\r\n'
    b"Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
    b"CSeq: 314159 INVITE\r\n"
    b"Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
    b"Content-Type: application/sdp\r\n"
    b"Content-Length: 4\r\n"
    b"\r\n"
    b"v=0\r"
)


def test_canonical_message_round_trips_exactly() -> None:
    msg = SipMessage.parse(CANONICAL)
    assert isinstance(msg, SipRequest)
    assert bytes(msg) == CANONICAL
    assert msg.method == "INVITE" and isinstance(msg.uri, SipUri) and msg.uri.user == "bob"
    assert msg.from_addr.display_name == "Alice, A." and msg.from_addr.tag == "1928301774"
    assert msg.to_addr.display_name == "Bob" and msg.to_addr.tag is None
    assert msg.cseq == CSeq(314159, "INVITE")
    assert msg.body == b"v=0\r"


def test_compact_names_folding_and_multiple_values() -> None:
    data = (
        b"OPTIONS sip:a@b.example.com SIP/2.0\r\n"
        b"v: SIP/2.0/UDP one.example.com;branch=z9hG4bK1,\r\n"
        b"   SIP/2.0/TCP two.example.com:5070 ;branch=z9hG4bK2\r\n"
        b"f: <sip:x@y.example.com>;tag=9\r\nt: sip:a@b.example.com\r\ni: cid\r\n"
        b'm: <sip:c1@h.example.com>;q=0.5, "Two, Three" <sip:c2@h.example.com>\r\n'
        b"CSeq: 7\r\n  OPTIONS\r\nl: 0\r\n\r\n"
    )
    msg = SipMessage.parse(data)
    assert [(v.transport, v.host, v.port, v.branch) for v in msg.vias] == [
        ("UDP", "one.example.com", None, "z9hG4bK1"),
        ("TCP", "two.example.com", 5070, "z9hG4bK2"),
    ]
    assert msg.call_id == "cid" and msg.cseq == CSeq(7, "OPTIONS") and msg.content_length == 0
    assert [c.display_name for c in msg.contacts] == [None, "Two, Three"]
    assert msg.contacts[0].param("q") == "0.5"
    again = bytes(msg)
    assert bytes(SipMessage.parse(again)) == again
    assert b"CSeq: 7 OPTIONS\r\n" in again  # folding became one space


def test_response_parsing() -> None:
    data = (
        b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h.example.com;branch=z9hG4bKa\r\n"
        b"To: <sip:a@b.example.com>;tag=x\r\nFrom: <sip:c@d.example.com>;tag=y\r\nCall-ID: z\r\n"
        b"CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    msg = SipMessage.parse(data)
    assert isinstance(msg, SipResponse) and msg.status == 180 and msg.reason == "Ringing"
    assert bytes(msg) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty start line"),
        (b"\r\n\r\n", "empty start line"),
        (b"INVITE sip:a@b SIP/2.0\r\nVia SIP/2.0/UDP h\r\n\r\n", "header line without ':'"),
        (b"INVITE sip:a@b SIP/2.0\r\n bad: x\r\n\r\n", "continuation line before the first header"),
        (b"INVITE sip:a@b SIP/2.0\r\nVi a: x\r\n\r\n", "invalid header name"),
        (b"INVITE sip:a@b SIP/2.0\r\nX: a\nb\r\n\r\n", "bare CR or LF in message head"),
        (b"INVITE sip:a@b SIP/2.0\r\nX: \xff\r\n\r\n", "message head is not valid UTF-8"),
        (b"INVITE sip:a@b SIP/2.0\r\nX: y\r\n", "message head is not terminated by an empty line"),
        (b"INVITE  sip:a@b SIP/2.0\r\n\r\n", "malformed request line"),
        (b"INVITE <sip:a@b> SIP/2.0\r\n\r\n", "malformed Request-URI"),
        (b"INV@TE sip:a@b SIP/2.0\r\n\r\n", "malformed request method"),
        (b"INVITE sip:a@b SIP/2\r\n\r\n", "malformed SIP version"),
        (b"INVITE sip:a@@b SIP/2.0\r\n\r\n", "more than one '@' in SIP URI"),
        (b"INVITE sip:a@b:99999 SIP/2.0\r\n\r\n", "URI port out of range"),
        (b"INVITE 1sip:a SIP/2.0\r\n\r\n", "URI has no valid scheme"),
        (b"SIP/2.0 2000 OK\r\n\r\n", "malformed status code"),
        (b"SIP/2.0 099 Low\r\n\r\n", "malformed status code"),
        (b"SIP/2.0 200\r\n\r\n", "malformed status line"),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 5\r\n\r\nab",
            "Content-Length larger than the datagram",
        ),
        (b"OPTIONS sip:a@b SIP/2.0\r\nl: 1\r\nl: 1\r\n\r\na", "more than one Content-Length"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nl: -1\r\n\r\n", "malformed Content-Length"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 2147483648 OPTIONS\r\n\r\n", "CSeq number out of range"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCSeq: 1\r\n\r\n", "malformed CSeq"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards: 256\r\n\r\n", "Max-Forwards out of range"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nCall-ID: a@b@c\r\n\r\n", "malformed Call-ID"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b>\r\nt: <sip:c@d>\r\n\r\n", "more than one To header"),
        (b'OPTIONS sip:a@b SIP/2.0\r\nTo: "x <sip:a@b>\r\n\r\n', "unterminated quoted string in to"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nTo: < sip:a@b>\r\n\r\n", "white space inside <> in to"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nTo: <sip:a@b\r\n\r\n", "missing '>' in to"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nTo: Bell, A <sip:a@b>\r\n\r\n", "URI has no valid scheme"),
        (
            b"OPTIONS sip:a@b SIP/2.0\r\nContact: sip:a@b?x=y\r\n\r\n",
            "URI with headers must be enclosed in <> in contact",
        ),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;;\r\n\r\n", "expected a token in Via"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP\r\n\r\n", "expected white space after Via protocol"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h:70000\r\n\r\n", "invalid Via port"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h,\r\n\r\n", "empty value after ',' in Via"),
        (b"OPTIONS sip:a%4@b SIP/2.0\r\n\r\n", "bad escape in SIP URI user"),
        (b"OPTIONS sip:a@b;=x SIP/2.0\r\n\r\n", "empty SIP URI parameter"),
        (b"OPTIONS sip:a@b SIP/2.0\r\nContent-Type: application\r\n\r\n", "expected '/' in media type"),
    ],
)
def test_parse_errors_have_exact_messages(data: bytes, message: str) -> None:
    with pytest.raises(SipParseError) as info:
        SipMessage.parse(data)
    assert str(info.value) == message


def test_leading_crlf_and_trailing_octets() -> None:
    msg = SipMessage.parse(b"\r\n\r\n" + CANONICAL + b"garbage")
    assert msg.body == b"v=0\r"


def test_uri_forms() -> None:
    uri = parse_uri("sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&x=1")
    assert isinstance(uri, SipUri)
    assert (uri.scheme, uri.user, uri.password, uri.host, uri.port) == (
        "sips",
        "alice",
        "secret",
        "[2001:db8::1]",
        5061,
    )
    assert uri.param("transport") == "tcp" and uri.param("lr") == "" and uri.is_loose_route
    assert uri.headers == "subject=hi&x=1"
    assert str(uri) == "sips:alice:secret@[2001:db8::1]:5061;transport=tcp;lr?subject=hi&x=1"
    user = parse_uri("sip:user;par=u%40example.net@example.com")
    assert isinstance(user, SipUri) and user.user == "user;par=u%40example.net"
    assert unescape("cal%6Cer") == "caller"
    tel = parse_uri("tel:+15551230000")
    assert isinstance(tel, AbsoluteUri) and str(tel) == "tel:+15551230000"


def test_name_addr_forms() -> None:
    a = NameAddr.parse('"Quote \\" and \\\\ slash" <sip:a@b.example.com>;tag=x;q=0.1')
    assert a.display_name == 'Quote " and \\ slash' and a.tag == "x"
    assert str(a) == '"Quote \\" and \\\\ slash" <sip:a@b.example.com>;tag=x;q=0.1'
    b = NameAddr.parse("sip:a@b.example.com;tag=1")  # addr-spec: ;tag belongs to the header
    assert b.tag == "1" and isinstance(b.uri, SipUri) and b.uri.params == []
    c = NameAddr.parse("Alice Smith<sip:a@b.example.com>")
    assert c.display_name == "Alice Smith"
    routes = parse_address_list(
        ["<sip:p1.example.com;lr>, <sip:p2.example.com;lr>", "<sip:p3.example.com>"], "route"
    )
    assert [r.uri.host for r in routes if isinstance(r.uri, SipUri)] == [
        "p1.example.com",
        "p2.example.com",
        "p3.example.com",
    ]


def test_typed_headers() -> None:
    (via,) = parse_vias(["SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;received=10.0.0.1;rport"])
    assert via.is_rfc3261 and via.sent_by == "192.0.2.1:5060" and via.param("rport") == ""
    assert str(via) == "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKx;received=10.0.0.1;rport"
    (cookie_only,) = parse_vias(["SIP/2.0/UDP h;branch=z9hG4bK"])
    assert not cookie_only.is_rfc3261
    mt = MediaType.parse('multipart/mixed;boundary="abc"')
    assert mt.mime == "multipart/mixed" and mt.param("boundary") == '"abc"'
    assert MediaType.parse("application/*").matches("application/sdp")
    h = Headers([("v", "a"), ("Via", "b"), ("To", "c")])
    assert h.get_all("VIA") == ["a", "b"] and "t" in h and h.count("via") == 2


def test_stream_framer() -> None:
    framer = StreamFramer()
    two = CANONICAL + b"\r\n\r\n" + CANONICAL
    out = []
    for i in range(0, len(two), 7):
        out += framer.feed(two[i : i + 7])
    assert out == [CANONICAL, CANONICAL] and framer.buffered == 0
    with pytest.raises(SipParseError, match="Content-Length is required on a stream transport"):
        StreamFramer().feed(b"OPTIONS sip:a@b SIP/2.0\r\nX: 1\r\n\r\n")
    with pytest.raises(SipParseError, match="message head too long"):
        StreamFramer(max_head=100).feed(b"OPTIONS sip:a@b SIP/2.0\r\nX: " + b"a" * 200)
    with pytest.raises(SipParseError, match="body too long"):
        StreamFramer(max_body=10).feed(b"OPTIONS sip:a@b SIP/2.0\r\nl: 11\r\n\r\n")
