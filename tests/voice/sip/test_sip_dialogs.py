"""Dialog details and edge cases of SipCore: routes, delayed offer, RFC 2543 peers, TCP, floods."""

from __future__ import annotations

from voice.sip.core import SipConfig, SipCore
from voice.sip.dialog import Dialog
from voice.sip.events import CallEnded, CallEstablished, EndReason, IncomingCall
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.offer_answer import MediaConfig, answer_offer, make_offer
from voice.sip.sdp import SessionDescription

MEDIA = MediaConfig(address="192.0.2.10", port=40000)


def statuses(core: SipCore) -> list[int]:
    out = []
    for d in core.datagrams_to_send():
        msg = SipMessage.parse(d.data)
        assert isinstance(msg, SipResponse)
        out.append(msg.status)
    return out


def last_response(core: SipCore) -> SipResponse:
    msg = SipMessage.parse(core.datagrams_to_send()[-1].data)
    assert isinstance(msg, SipResponse)
    return msg


def test_record_route_copied_and_route_set_used(core: SipCore, peer) -> None:
    rr = ("Record-Route: <sip:p2.example.com;lr>", "Record-Route: <sip:p1.example.com;lr>")
    core.receive_datagram(peer.invite(extra=rr), peer.addr, 0.0)
    (ev,) = core.events()
    assert isinstance(ev, IncomingCall) and ev.offer is not None
    core.answer(ev.call, answer_offer(ev.offer, MEDIA).answer, 0.0)
    ok = last_response(core)
    assert ok.headers.get_all("Record-Route") == ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    peer.to_tag = ok.to_addr.tag
    core.receive_datagram(peer.request("ACK", branch="z9hG4bKa"), peer.addr, 0.1)
    core.events()
    core.send_bye(ev.call, 1.0)
    bye = SipMessage.parse(core.datagrams_to_send()[0].data)
    assert isinstance(bye, SipRequest)
    assert bye.headers.get_all("Route") == ["<sip:p2.example.com;lr>", "<sip:p1.example.com;lr>"]
    assert str(bye.uri) == "sip:caller@203.0.113.5:5062"


def test_strict_route_moves_target_to_route(peer) -> None:
    invite = SipMessage.parse(peer.invite(extra=("Record-Route: <sip:strict.example.com>",)))
    assert isinstance(invite, SipRequest)
    dialog = Dialog.from_uas(invite, local_tag="l1")
    bye = dialog.create_request("BYE", via="SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKs")
    assert str(bye.uri) == "sip:strict.example.com"
    assert bye.headers.get_all("Route") == ["<sip:caller@203.0.113.5:5062>"]
    assert bye.cseq.number == 1 and dialog.accept_remote_cseq(314160) and not dialog.accept_remote_cseq(5)


def test_delayed_offer_answer_in_ack(core: SipCore, peer) -> None:
    core.receive_datagram(peer.invite(body=b""), peer.addr, 0.0)
    (ev,) = core.events()
    assert isinstance(ev, IncomingCall) and ev.offer is None
    core.answer(ev.call, make_offer(MEDIA), 0.0)
    peer.to_tag = last_response(core).to_addr.tag
    answer = bytes(answer_offer(make_offer(MEDIA), MediaConfig(address="203.0.113.5", port=49170)).answer)
    core.receive_datagram(
        peer.request("ACK", branch="z9hG4bKa", body=answer, ctype="application/sdp"), peer.addr, 0.1
    )
    (est,) = core.events()
    assert isinstance(est, CallEstablished) and est.answer is not None and est.answer.media[0].port == 49170


def test_bad_bodies(core: SipCore, peer) -> None:
    core.receive_datagram(peer.invite(body=b"v=1\r\n"), peer.addr, 0.0)
    assert statuses(core) == [400]
    mixed = (
        b"--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1\r\nContent-Type: application/sdp\r\n\r\n"
        + peer.invite().split(b"\r\n\r\n", 1)[1]
        + b"\r\n--b1--\r\n"
    )
    core.receive_datagram(
        peer.request("INVITE", branch="z9hG4bKm1", body=mixed, ctype="multipart/mixed;boundary=b1"),
        peer.addr,
        0.0,
    )
    assert statuses(core) == [100]
    (ev,) = core.events()
    assert isinstance(ev, IncomingCall) and ev.offer is not None and ev.offer.media[0].port == 49170
    no_sdp = b"--b1\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b1--\r\n"
    core.receive_datagram(
        peer.request("INVITE", branch="z9hG4bKm2", body=no_sdp, ctype="multipart/mixed;boundary=b1"),
        peer.addr,
        0.0,
    )
    assert statuses(core) == [415]
    core.receive_datagram(
        peer.request(
            "INVITE",
            branch="z9hG4bKm3",
            body=b"x",
            extra=("Content-Encoding: gzip",),
            ctype="application/sdp",
        ),
        peer.addr,
        0.0,
    )
    assert statuses(core) == [415]


def test_glare_offerless_reinvite_and_dialog_errors(core: SipCore, peer) -> None:
    core.receive_datagram(peer.invite(), peer.addr, 0.0)
    (ev,) = core.events()
    assert ev.offer is not None
    core.answer(ev.call, answer_offer(ev.offer, MEDIA).answer, 0.0)
    peer.to_tag = last_response(core).to_addr.tag
    core.receive_datagram(peer.request("INVITE", branch="z9hG4bKr0", cseq=314160), peer.addr, 0.05)
    assert statuses(core) == [491]  # before the ACK: still answering the first INVITE
    core.receive_datagram(peer.request("ACK", branch="z9hG4bKa"), peer.addr, 0.1)
    core.events()
    core.receive_datagram(peer.request("INVITE", branch="z9hG4bKr1", cseq=314161), peer.addr, 1.0)
    ok = last_response(core)
    assert ok.status == 200 and SessionDescription.parse(ok.body).origin.session_version == "1"
    for method in ("NOTIFY", "INFO", "OPTIONS"):
        core.receive_datagram(peer.request(method, branch=f"z9hG4bK{method}", to_tag="other"), peer.addr, 2.0)
        assert statuses(core) == [481]
    core.receive_datagram(
        peer.request("NOTIFY", branch="z9hG4bKev", cseq=314170, extra=("Event: dialog",)), peer.addr, 2.0
    )
    assert statuses(core) == [489]
    core.receive_datagram(peer.request("ACK", branch="z9hG4bKx", to_tag="unknown"), peer.addr, 2.0)
    assert core.datagrams_to_send() == [] and core.stats["dropped"] == 1


def test_bye_before_answer_ends_invite_with_487(core: SipCore, peer) -> None:
    core.receive_datagram(peer.invite(), peer.addr, 0.0)
    (ev,) = core.events()
    core.ring(ev.call, 0.0)
    peer.to_tag = last_response(core).to_addr.tag
    core.receive_datagram(peer.request("BYE", branch="z9hG4bKb", cseq=314160), peer.addr, 1.0)
    assert statuses(core) == [200, 487]
    assert core.events() == [CallEnded(ev.call, EndReason.REMOTE_BYE)]


def test_rfc2543_peer_without_branch(core: SipCore) -> None:
    invite = (
        b"INVITE sip:concierge@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP gw.example.com\r\n"
        b"From: <sip:+13035551111@gw.example.com>\r\nTo: <sip:concierge@192.0.2.10>\r\n"
        b"Call-ID: 2543@gw\r\nCSeq: 56 INVITE\r\nContent-Length: 0\r\n\r\n"
    )
    core.receive_datagram(invite, ("198.51.100.4", 5060), 0.0)
    assert statuses(core) == [100]
    core.receive_datagram(invite, ("198.51.100.4", 5060), 0.5)
    assert statuses(core) == [100] and len(core.events()) == 1  # matched without a branch
    cancel = invite.replace(b"INVITE sip", b"CANCEL sip").replace(b"56 INVITE", b"56 CANCEL")
    core.receive_datagram(cancel, ("198.51.100.4", 5060), 1.0)
    responses = core.datagrams_to_send()
    assert [SipMessage.parse(d.data).start_line() for d in responses] == [
        "SIP/2.0 200 OK",
        "SIP/2.0 487 Request Terminated",
    ]
    vias = SipMessage.parse(responses[0].data).vias
    assert vias[0].param("received") == "198.51.100.4"


def test_reliable_transport_has_no_retransmissions(peer) -> None:
    core = SipCore(SipConfig(host="192.0.2.10", transport="TCP"))
    core.receive_datagram(peer.invite(), peer.addr, 0.0, reliable=True)
    (ev,) = core.events()
    core.ring(ev.call, 0.0)
    ringing = SipMessage.parse(core.datagrams_to_send()[-1].data)
    assert str(ringing.contacts[0].uri) == "sip:concierge@192.0.2.10:5060;transport=tcp"
    core.reject(ev.call, 486, 0.0)
    core.datagrams_to_send()
    core.tick(5.0)
    assert core.datagrams_to_send() == []


def test_responses_that_match_nothing_are_dropped(core: SipCore) -> None:
    two_vias = (
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKq\r\nVia: SIP/2.0/UDP x\r\n"
        b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: q\r\nCSeq: 1 BYE\r\nl: 0\r\n\r\n"
    )
    core.receive_datagram(two_vias, ("198.51.100.4", 5060), 0.0)
    core.receive_datagram(two_vias.replace(b"Via: SIP/2.0/UDP x\r\n", b""), ("198.51.100.4", 5060), 0.0)
    assert core.datagrams_to_send() == [] and core.events() == [] and core.stats["dropped"] == 2


def test_invite_flood_is_rate_limited_without_hurting_calls(peer) -> None:
    core = SipCore(SipConfig(host="192.0.2.10", invite_rate=5.0, invite_burst=3))
    peer_type = type(peer)
    first = peer_type(call_id="keep@example.com", from_tag="k")
    core.receive_datagram(first.invite(branch="z9hG4bKkeep"), first.addr, 0.0)
    (ev,) = core.events()
    assert statuses(core) == [100]
    codes = []
    for i in range(20):
        p = peer_type(call_id=f"flood{i}@example.com", from_tag=f"f{i}", addr=("198.51.100.66", 5060))
        core.receive_datagram(p.invite(branch=f"z9hG4bKflood{i}"), p.addr, 0.001 * i)
        codes += statuses(core)
    assert codes.count(100) == 2 and codes.count(503) == 18 and core.stats["rate_limited"] == 18
    core.events()
    assert ev.offer is not None
    core.answer(ev.call, answer_offer(ev.offer, MEDIA).answer, 0.3)  # the call in progress goes on
    assert statuses(core) == [200]
    later = peer_type(call_id="later@example.com", from_tag="l")
    core.receive_datagram(later.invite(branch="z9hG4bKlater"), later.addr, 1.0)
    assert statuses(core) == [100]  # the bucket refilled
