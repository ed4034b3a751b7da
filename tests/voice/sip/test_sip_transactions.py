"""Transaction state machines driven by a fake clock: timers A, B, D, E, F, G, H, I, J, K."""

from __future__ import annotations

import pytest

from voice.sip.builder import make_response
from voice.sip.client_transaction import ClientInviteTransaction, ClientNonInviteTransaction, ClientState
from voice.sip.exceptions import SipTransactionError
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.timers import Timers
from voice.sip.transaction import (
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteState,
    ServerNonInviteTransaction,
)


def request(method: str) -> SipRequest:
    data = (
        f"{method} sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a.example.com;branch=z9hG4bKt1\r\n"
        f"To: <sip:b@example.com>\r\nFrom: <sip:a@example.com>;tag=f\r\nCall-ID: c\r\n"
        f"CSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n"
    ).encode()
    msg = SipMessage.parse(data)
    assert isinstance(msg, SipRequest)
    return msg


def run(tx, until: float) -> list[float]:  # type: ignore[no-untyped-def]
    """Tick at each deadline up to ``until``; the times at which something was sent."""
    sent = []
    while tx.deadline is not None and tx.deadline <= until:
        now = tx.deadline
        res = tx.tick(now)
        if res.send:
            sent.append(round(now, 3))
    return sent


def test_invite_server_error_response_g_h() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, now=0.0)
    assert tx.respond(make_response(invite, 100), 0.0)
    assert tx.receive(invite, 0.2).send  # retransmitted INVITE -> last response again
    tx.respond(make_response(invite, 486, to_tag="t"), 1.0)
    assert tx.state is ServerInviteState.COMPLETED
    sent = []
    now = 1.0
    while tx.deadline is not None:
        now = tx.deadline
        res = tx.tick(now)
        if res.send:
            sent.append(round(now - 1.0, 3))
        if res.timed_out:
            break
    assert sent == [0.5, 1.5, 3.5, 7.5, 11.5, 15.5, 19.5, 23.5, 27.5, 31.5]
    assert res.timed_out and now == pytest.approx(33.0) and tx.state is ServerInviteState.TERMINATED


def test_invite_server_ack_then_timer_i() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, now=0.0)
    tx.respond(make_response(invite, 404, to_tag="t"), 0.0)
    res = tx.receive(request("ACK"), 0.7)
    assert res.acked and tx.state is ServerInviteState.CONFIRMED
    assert tx.deadline == pytest.approx(5.7)  # timer I = T4
    assert tx.receive(request("ACK"), 1.0).send == ()  # ACK retransmissions absorbed
    tx.tick(5.7)
    assert tx.state is ServerInviteState.TERMINATED and tx.deadline is None
    with pytest.raises(SipTransactionError):
        tx.respond(make_response(invite, 200), 6.0)


def test_invite_server_2xx_accepted_and_reliable() -> None:
    invite = request("INVITE")
    tx = ServerInviteTransaction(invite, now=0.0)
    tx.respond(make_response(invite, 200, to_tag="t"), 0.0)
    assert tx.state is ServerInviteState.ACCEPTED
    assert run(tx, 4.0) == [0.5, 1.5, 3.5]
    assert tx.receive(request("ACK"), 4.0).acked and tx.state is ServerInviteState.TERMINATED
    reliable = ServerInviteTransaction(invite, now=0.0, reliable=True)
    reliable.respond(make_response(invite, 200, to_tag="t"), 0.0)
    assert run(reliable, 31.0) == []  # no retransmission over TCP, only timer H
    assert reliable.tick(32.0).timed_out


def test_non_invite_server_timer_j() -> None:
    bye = request("BYE")
    tx = ServerNonInviteTransaction(bye, now=0.0)
    assert tx.receive(bye, 0.1).send == ()  # Trying: nothing to resend yet
    tx.respond(make_response(bye, 200), 0.2)
    assert tx.receive(bye, 1.0).send  # Completed: resend the final response
    assert tx.deadline == pytest.approx(32.2)
    tx.tick(32.2)
    assert tx.state is ServerNonInviteState.TERMINATED
    fast = ServerNonInviteTransaction(bye, now=0.0, reliable=True)
    fast.respond(make_response(bye, 200), 0.0)
    fast.tick(0.0)
    assert fast.state is ServerNonInviteState.TERMINATED


def _resp(req: SipRequest, status: int) -> SipResponse:
    return make_response(req, status, to_tag="r")


def test_client_non_invite_timers_e_f_k() -> None:
    bye = request("BYE")
    tx = ClientNonInviteTransaction(bye, now=0.0)
    assert tx.start() == bytes(bye)
    assert run(tx, 10.0) == [0.5, 1.5, 3.5, 7.5]
    res = tx.receive(_resp(bye, 200), 10.0)
    assert res.response is not None and res.response.status == 200 and tx.state is ClientState.COMPLETED
    assert tx.receive(_resp(bye, 200), 10.5).response is None  # retransmitted response absorbed
    tx.tick(15.0)  # timer K = T4
    assert tx.state is ClientState.TERMINATED
    lost = ClientNonInviteTransaction(bye, now=0.0, timers=Timers(t1=0.1, t2=0.4))
    sent = run(lost, 100.0)
    assert (
        len(sent) == 17 and sent[-1] == 6.3 and lost.state is ClientState.TERMINATED
    )  # timer F = 64*T1 = 6.4 s
    proceeding = ClientNonInviteTransaction(bye, now=0.0)
    proceeding.receive(_resp(bye, 100), 0.1)
    assert run(proceeding, 9.0) == [0.5, 4.5, 8.5]  # after a 1xx, E fires at T2


def test_client_invite_timers_a_b_d() -> None:
    invite = request("INVITE")
    tx = ClientInviteTransaction(invite, now=0.0)
    assert run(tx, 20.0) == [0.5, 1.5, 3.5, 7.5, 15.5]  # timer A doubles without a cap
    assert tx.tick(32.0).timed_out  # timer B
    tx2 = ClientInviteTransaction(invite, now=0.0)
    tx2.receive(_resp(invite, 180), 0.2)
    assert run(tx2, 5.0) == []  # Proceeding: A stopped
    res = tx2.receive(_resp(invite, 486), 1.0)
    ack = SipMessage.parse(res.send[0])
    assert isinstance(ack, SipRequest) and ack.method == "ACK" and ack.cseq.method == "ACK"
    assert ack.to_addr.tag == "r" and ack.vias[0].branch == "z9hG4bKt1"
    assert tx2.receive(_resp(invite, 486), 2.0).send  # retransmitted 486 -> ACK again
    assert tx2.deadline == pytest.approx(33.0)  # timer D
    tx3 = ClientInviteTransaction(invite, now=0.0)
    assert tx3.receive(_resp(invite, 200), 0.3).response is not None
    assert tx3.state is ClientState.TERMINATED  # the TU ACKs a 2xx
