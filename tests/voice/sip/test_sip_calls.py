"""SipCore call flows with a scripted peer and a fake clock (no sockets)."""

from __future__ import annotations

import pytest

from voice.sip.core import SipConfig, SipCore, ip_allowlist
from voice.sip.events import (
    CallEnded,
    CallEstablished,
    DtmfInfo,
    EndReason,
    IncomingCall,
    OptionsReceived,
    ReferResult,
    ReInvite,
)
from voice.sip.exceptions import SdpNegotiationError, SipCallError
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.offer_answer import MediaConfig, answer_offer
from voice.sip.sdp import Direction, SessionDescription

MEDIA = MediaConfig(address="192.0.2.10", port=40000)


def responses(core: SipCore) -> list[SipResponse]:
    out = []
    for d in core.datagrams_to_send():
        msg = SipMessage.parse(d.data)
        assert isinstance(msg, SipResponse)
        out.append(msg)
    return out


def requests(core: SipCore) -> list[tuple[SipRequest, tuple[str, int]]]:
    out = []
    for d in core.datagrams_to_send():
        msg = SipMessage.parse(d.data)
        assert isinstance(msg, SipRequest)
        out.append((msg, d.addr))
    return out


def incoming(core: SipCore, peer, now: float = 0.0) -> IncomingCall:
    core.receive_datagram(peer.invite(), peer.addr, now)
    events = core.events()
    assert len(events) == 1 and isinstance(events[0], IncomingCall)
    return events[0]


def established(core: SipCore, peer) -> str:
    """INVITE -> 100 -> 180 -> 200 -> ACK; returns the call handle."""
    ev = incoming(core, peer)
    core.ring(ev.call, 0.01)
    assert ev.offer is not None
    core.answer(ev.call, answer_offer(ev.offer, MEDIA).answer, 0.02)
    ok = responses(core)[-1]
    peer.to_tag = ok.to_addr.tag
    core.receive_datagram(peer.request("ACK", branch="z9hG4bKack1"), peer.addr, 0.05)
    assert core.events() == [CallEstablished(ev.call)]
    return ev.call


def test_invite_to_bye_full_flow(core: SipCore, peer) -> None:
    core.receive_datagram(peer.invite(), peer.addr, 0.0)
    trying = responses(core)
    assert [r.status for r in trying] == [100]
    assert trying[0].to_addr.tag is None
    top = trying[0].vias[0]
    assert top.param("rport") == "5062" and top.param("received") is None  # host already matches the source
    (ev,) = core.events()
    assert isinstance(ev, IncomingCall)
    assert ev.caller == "sip:+15551230000@example.com" and ev.source == peer.addr
    assert ev.offer is not None and [m.formats for m in ev.offer.media] == [["8", "0", "101"]]
    core.ring(ev.call, 0.01)
    (ringing,) = responses(core)
    assert ringing.status == 180 and ringing.to_addr.tag
    neg = answer_offer(ev.offer, MEDIA)
    assert neg.codec.name == "PCMA" and neg.dtmf_payload_type == 101
    core.answer(ev.call, neg.answer, 0.02)
    (ok,) = responses(core)
    assert ok.status == 200 and ok.to_addr.tag == ringing.to_addr.tag
    assert ok.content_type is not None and ok.content_type.mime == "application/sdp"
    assert SessionDescription.parse(ok.body).media[0].port == 40000
    assert str(ok.contacts[0].uri) == "sip:concierge@192.0.2.10:5060"
    assert ok.cseq.number == 314159 and ok.call_id == peer.call_id
    peer.to_tag = ok.to_addr.tag
    core.receive_datagram(peer.request("ACK", branch="z9hG4bKack1"), peer.addr, 0.1)
    assert core.events() == [CallEstablished(ev.call)]
    assert core.datagrams_to_send() == []
    core.tick(10.0)
    assert core.datagrams_to_send() == []  # no 2xx retransmission after the ACK
    core.receive_datagram(peer.request("BYE", branch="z9hG4bKbye1", cseq=314160), peer.addr, 20.0)
    assert [r.status for r in responses(core)] == [200]
    assert core.events() == [CallEnded(ev.call, EndReason.REMOTE_BYE)]
    assert core.active_calls() == []


def test_2xx_retransmitted_until_ack_then_bye_on_timer_h(core: SipCore, peer) -> None:
    ev = incoming(core, peer)
    assert ev.offer is not None
    core.answer(ev.call, answer_offer(ev.offer, MEDIA).answer, 0.0)
    responses(core)
    sent_at = []
    now = 0.0
    while now < 40.0:
        deadline = core.next_deadline()
        assert deadline is not None
        now = deadline
        core.tick(now)
        out = core.datagrams_to_send()
        if any(SipMessage.parse(d.data).start_line() == "SIP/2.0 200 OK" for d in out):
            sent_at.append(round(now, 3))
        if core.events():
            break
    # timer G: T1, 2T1, 4T1, then capped at T2 = 4 s
    assert sent_at[:6] == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5]
    assert now == pytest.approx(32.0)  # timer H = 64*T1
    bye = [SipMessage.parse(d.data) for d in out if d.data.startswith(b"BYE")]
    assert len(bye) == 1


def test_invite_retransmission_gets_last_response(core: SipCore, peer) -> None:
    data = peer.invite()
    core.receive_datagram(data, peer.addr, 0.0)
    core.events()
    (trying,) = responses(core)
    core.receive_datagram(data, peer.addr, 0.5)
    assert [r.status for r in responses(core)] == [100]
    assert core.events() == []  # not a second call


def test_cancel_before_answer(core: SipCore, peer) -> None:
    ev = incoming(core, peer)
    responses(core)
    core.receive_datagram(peer.request("CANCEL", branch="z9hG4bK776asdhds"), peer.addr, 1.0)
    assert [r.status for r in responses(core)] == [200, 487]
    assert core.events() == [CallEnded(ev.call, EndReason.CANCELLED)]
    with pytest.raises(SipCallError):
        core.answer(ev.call, b"v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\n", 1.1)
    # the ACK for the 487 is absorbed by the transaction; 487 is not retransmitted afterwards
    core.receive_datagram(peer.request("ACK", branch="z9hG4bK776asdhds", to_tag="x"), peer.addr, 1.2)
    core.tick(5.0)
    assert core.datagrams_to_send() == [] and core.events() == []


def test_cancel_without_transaction_is_481(core: SipCore, peer) -> None:
    core.receive_datagram(peer.request("CANCEL", branch="z9hG4bKnone"), peer.addr, 0.0)
    assert [r.status for r in responses(core)] == [481]


def test_reject_retransmits_until_ack(core: SipCore, peer) -> None:
    ev = incoming(core, peer)
    responses(core)
    core.reject(ev.call, 486, 0.0)
    assert [r.status for r in responses(core)] == [486]
    assert core.events() == [CallEnded(ev.call, EndReason.REJECTED, 486)]
    core.tick(0.5)
    assert [r.status for r in responses(core)] == [486]  # timer G
    core.receive_datagram(peer.request("ACK", branch="z9hG4bK776asdhds", to_tag="t"), peer.addr, 0.6)
    core.tick(1.5)
    assert core.datagrams_to_send() == []


def test_reinvite_hold_and_unhold(core: SipCore, peer) -> None:
    call = established(core, peer)
    hold = SessionDescription.parse(peer.invite().split(b"\r\n\r\n", 1)[1])
    hold.media[0].attributes = [(n, v) for n, v in hold.media[0].attributes if n != "sendrecv"] + [
        ("sendonly", None)
    ]
    data = peer.request("INVITE", branch="z9hG4bKre1", cseq=314160, body=bytes(hold), ctype="application/sdp")
    core.receive_datagram(data, peer.addr, 5.0)
    (ok,) = responses(core)
    answer = SessionDescription.parse(ok.body)
    assert ok.status == 200 and answer.media[0].direction is Direction.RECVONLY
    assert answer.origin.session_version == "1" and answer.media[0].formats == ["8", "101"]
    (ev,) = core.events()
    assert isinstance(ev, ReInvite) and ev.on_hold and ev.call == call
    core.receive_datagram(peer.request("ACK", branch="z9hG4bKack2", cseq=314160), peer.addr, 5.1)
    unhold = peer.request(
        "INVITE",
        branch="z9hG4bKre2",
        cseq=314161,
        body=peer.invite().split(b"\r\n\r\n")[1],
        ctype="application/sdp",
    )
    unhold = unhold.replace(
        b"Contact: <sip:caller@203.0.113.5:5062>", b"Contact: <sip:caller@203.0.113.5:5070>"
    )
    core.receive_datagram(unhold, peer.addr, 6.0)
    (ok2,) = responses(core)
    assert SessionDescription.parse(ok2.body).media[0].direction is Direction.SENDRECV
    assert SessionDescription.parse(ok2.body).origin.session_version == "2"
    (ev2,) = core.events()
    assert isinstance(ev2, ReInvite) and not ev2.on_hold
    core.send_bye(call, 7.0)
    ((bye, _),) = requests(core)
    assert str(bye.uri) == "sip:caller@203.0.113.5:5070"  # the re-INVITE refreshed the remote target


def test_reinvite_without_common_codec_is_488_and_call_survives(core: SipCore, peer) -> None:
    call = established(core, peer)
    g729 = (
        b"v=0\r\no=caller 1 2 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
        b"m=audio 49170 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
    )
    core.receive_datagram(
        peer.request("INVITE", branch="z9hG4bKre3", cseq=314160, body=g729, ctype="application/sdp"),
        peer.addr,
        3.0,
    )
    assert [r.status for r in responses(core)] == [488]
    assert core.active_calls() == [call]


def test_refer_and_notify_sipfrag(core: SipCore, peer) -> None:
    call = established(core, peer)
    core.send_refer(call, "sip:desk@pbx.example.com", 10.0)
    ((refer, addr),) = requests(core)
    assert addr == peer.addr and refer.method == "REFER"
    assert refer.headers.get("Refer-To") == "<sip:desk@pbx.example.com>"
    assert refer.from_addr.tag == peer.to_tag and refer.to_addr.tag == peer.from_tag
    assert str(refer.uri) == "sip:caller@203.0.113.5:5062"  # the remote target from the INVITE's Contact
    assert refer.cseq.number == 2
    core.receive_datagram(peer.answer(refer, 202, "Accepted"), peer.addr, 10.05)
    assert core.events() == [ReferResult(call, 202, False)]
    for n, (frag, state) in enumerate(
        [
            (b"SIP/2.0 100 Trying\r\n", "active;expires=60"),
            (b"SIP/2.0 200 OK\r\n", "terminated;reason=noresource"),
        ]
    ):
        notify = peer.request(
            "NOTIFY",
            branch=f"z9hG4bKn{n}",
            cseq=314160 + n,
            body=frag,
            ctype="message/sipfrag;version=2.0",
            extra=("Event: refer", f"Subscription-State: {state}"),
        )
        core.receive_datagram(notify, peer.addr, 11.0 + n)
        assert [r.status for r in responses(core)] == [200]
    assert core.events() == [ReferResult(call, 100, False), ReferResult(call, 200, True)]
    core.tick(20.0)
    assert core.datagrams_to_send() == []  # REFER transaction completed: no retransmission


def test_refer_rejected_and_refer_timeout(core: SipCore, peer) -> None:
    call = established(core, peer)
    core.send_refer(call, "sip:desk@pbx.example.com", 1.0)
    ((refer, _),) = requests(core)
    core.receive_datagram(peer.answer(refer, 603, "Decline"), peer.addr, 1.1)
    assert core.events() == [ReferResult(call, 603, True)]
    core.send_refer(call, "sip:desk@pbx.example.com", 2.0)
    ((refer2, _),) = requests(core)
    now = 2.0
    retransmits = 0
    while (deadline := core.next_deadline()) is not None and deadline < 100:
        now = deadline
        core.tick(now)
        retransmits += sum(d.data.startswith(b"REFER") for d in core.datagrams_to_send())
    assert retransmits == 10  # timer E: 0.5, 1, 2, 4, 4, ... until F = 32 s
    assert core.events() == [ReferResult(call, 408, True)]


def test_local_bye(core: SipCore, peer) -> None:
    call = established(core, peer)
    core.send_bye(call, 3.0)
    ((bye, _),) = requests(core)
    assert bye.method == "BYE" and bye.cseq.number == 2
    assert core.events() == [CallEnded(call, EndReason.LOCAL_BYE)]
    core.receive_datagram(peer.answer(bye, 200, "OK"), peer.addr, 3.05)
    core.tick(60.0)
    assert core.datagrams_to_send() == []
    with pytest.raises(SipCallError):
        core.send_bye(call, 61.0)


def test_options_and_in_dialog_info(core: SipCore, peer) -> None:
    core.receive_datagram(peer.request("OPTIONS", branch="z9hG4bKopt"), peer.addr, 0.0)
    (ok,) = responses(core)
    assert ok.status == 200 and "INVITE" in (ok.headers.get("Allow") or "")
    assert core.events() == [OptionsReceived(peer.addr)]
    call = established(core, peer)
    info = peer.request(
        "INFO",
        branch="z9hG4bKinfo",
        cseq=314160,
        body=b"Signal=5\r\nDuration=160\r\n",
        ctype="application/dtmf-relay",
    )
    core.receive_datagram(info, peer.addr, 1.0)
    assert [r.status for r in responses(core)] == [200]
    assert core.events() == [DtmfInfo(call, "5", 160)]


def test_unknown_dialog_and_old_cseq(core: SipCore, peer) -> None:
    core.receive_datagram(peer.request("BYE", branch="z9hG4bKb", to_tag="nope"), peer.addr, 0.0)
    assert [r.status for r in responses(core)] == [481]
    established(core, peer)
    old = peer.request(
        "INVITE",
        branch="z9hG4bKold",
        cseq=1,
        body=peer.invite().split(b"\r\n\r\n")[1],
        ctype="application/sdp",
    )
    core.receive_datagram(old, peer.addr, 1.0)
    assert [r.status for r in responses(core)] == [500]


def test_capacity_503_with_retry_after(core: SipCore, peer) -> None:
    peer_type = type(peer)
    calls = []
    for i in range(2):
        p = peer_type(call_id=f"cap{i}@example.com", from_tag=f"f{i}")
        core.receive_datagram(p.invite(branch=f"z9hG4bKcap{i}"), p.addr, 0.0)
        calls += [e.call for e in core.events() if isinstance(e, IncomingCall)]
    assert [r.status for r in responses(core)] == [100, 100]
    third = peer_type(call_id="cap3@example.com", from_tag="f3")
    core.receive_datagram(third.invite(branch="z9hG4bKcap3"), third.addr, 0.1)
    (busy,) = responses(core)
    assert busy.status == 503 and busy.headers.get("Retry-After") == "30"
    assert core.events() == []
    core.ring(calls[0], 0.2)  # calls in progress go on
    assert [r.status for r in responses(core)] == [180]
    core.reject(calls[1], 480, 0.3)
    responses(core)
    core.events()
    fourth = peer_type(call_id="cap4@example.com", from_tag="f4")
    core.receive_datagram(fourth.invite(branch="z9hG4bKcap4"), fourth.addr, 0.4)
    assert [r.status for r in responses(core)] == [100]  # room again
    core.accepting = False  # draining for shutdown
    fifth = peer_type(call_id="cap5@example.com", from_tag="f5")
    core.receive_datagram(fifth.invite(branch="z9hG4bKcap5"), fifth.addr, 0.5)
    assert [r.status for r in responses(core)] == [503]


def test_source_policy_403() -> None:
    core = SipCore(SipConfig(host="192.0.2.10", source_policy=ip_allowlist(["198.51.100.0/24"])))
    data = (
        b"OPTIONS sip:concierge@192.0.2.10 SIP/2.0\r\nVia: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bKx\r\n"
        b"To: <sip:concierge@192.0.2.10>\r\nFrom: <sip:a@203.0.113.5>;tag=1\r\nCall-ID: c1\r\n"
        b"CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    )
    core.receive_datagram(data, ("203.0.113.5", 5060), 0.0)
    assert [r.status for r in responses(core)] == [403]
    core.receive_datagram(data.replace(b"z9hG4bKx", b"z9hG4bKy"), ("198.51.100.7", 5060), 0.0)
    assert [r.status for r in responses(core)] == [200]
    core.receive_datagram(b"garbage\r\n\r\n", ("203.0.113.5", 5060), 0.0)
    assert core.datagrams_to_send() == []  # unframeable input from outside the allowlist: silence


def test_no_codec_in_common_answer_488(core: SipCore, peer) -> None:
    g729 = (
        b"v=0\r\no=caller 1 2 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\nt=0 0\r\n"
        b"m=audio 49170 RTP/AVP 18\r\na=rtpmap:18 G729/8000\r\n"
    )
    core.receive_datagram(peer.invite(body=g729), peer.addr, 0.0)
    (ev,) = core.events()
    assert isinstance(ev, IncomingCall) and ev.offer is not None
    with pytest.raises(SdpNegotiationError):
        answer_offer(ev.offer, MEDIA)
    core.reject(ev.call, 488, 0.1)
    assert [r.status for r in responses(core)] == [100, 488]
