"""A minimal SIP caller (UAC) with RTP, built on the sans-I/O builders and parsers of :mod:`voice.sip`.

It places one call to a SIP server the way a trunk or softphone would, for the replay harness,
the benchmarks and the tests::

    uac = await SipUac.open(("127.0.0.1", 5060), transport="udp", report=True)
    await uac.invite()                    # INVITE -> 100/180 -> 200 (SDP) -> ACK; uac.setup_ms
    uac.on_audio = lambda pcm, t: ...     # 8 kHz int16 of each RTP packet the server sends
    await uac.send_audio(pcm8k_20ms)      # one RTP packet (a queued DTMF packet goes first)
    uac.press("5")                        # RFC 4733 key press on the next packets
    await uac.bye()                       # or the server's BYE arrives: uac.ended_by_server

In-dialog requests from the server are answered: INFO (the tokenized call report, when asked for
with ``report=True``), REFER (202, then a NOTIFY saying ``refer_status``), BYE. Requests inside
the dialog carry its route set (the 200 OK's Record-Route, reversed: RFC 3261 12.1.2), so a proxy
in front of the server (Kamailio) keeps them. Every request goes to ``server`` (the first hop).
Not a general UA: one call, UDP or TCP, G.711 µ-law, no authentication, no forking.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import struct
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from voice.rtp import DtmfReceiver, DtmfSender, Packetizer, RtpPacket, RtpParseError, decode
from voice.sip import MediaConfig, SessionDescription, SipMessage, SipParseError, SipRequest, SipResponse
from voice.sip.address import NameAddr
from voice.sip.builder import make_request, make_response, new_branch, new_tag
from voice.sip.framing import StreamFramer
from voice.sip.offer_answer import make_offer
from voice.sip.sdp import Direction
from voice.sip.uri import Uri, parse_uri
from voice.telephony.call import REPORT_PARAM, REPORT_TYPE, remote_of

Addr = tuple[str, int]
T1 = 0.5
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux


@dataclass
class UacRecord:
    """What the caller side saw of its call."""

    statuses: list[int] = field(default_factory=list)
    refer_targets: list[str] = field(default_factory=list)
    report_turns: dict[int, dict[str, Any]] = field(default_factory=dict)
    report_decisions: list[dict[str, Any]] = field(default_factory=list)
    report_call: dict[str, Any] = field(default_factory=dict)  # the report's dialphone.call (ai or IVR)
    rtp_times: list[float] = field(default_factory=list)
    dtmf_received: int = 0
    final_status: int | None = None
    final_headers: dict[str, str] = field(default_factory=dict)
    digits: list[str] = field(default_factory=list)
    bye_status: int | None = None
    ended_by_server: bool = False

    def gaps_over(self, limit_s: float) -> int:
        t = self.rtp_times
        return sum(1 for a, b in zip(t, t[1:], strict=False) if b - a > limit_s)


class _SipUdp(asyncio.DatagramProtocol):
    def __init__(self, uac: SipUac) -> None:
        self.uac = uac

    def datagram_received(self, data: bytes, addr: tuple[str | bytes, int]) -> None:
        self.uac._on_sip(data)


class SipUac:
    def __init__(self, server: Addr, *, transport: str, local_host: str, report: bool, refer_status: int,
                 user: str = "caller") -> None:
        self.server = server
        self.user = user  # the user part of From and Contact (a trunk puts the caller's number there)
        self.transport = transport.lower()
        self.local_host = local_host
        self.report = report
        self.refer_status = refer_status
        self.record = UacRecord()
        self.on_audio: Any = None
        self.setup_ms: float | None = None
        self.answered_at = 0.0  # monotonic, when the 200 OK arrived
        self.call_id = secrets.token_hex(8) + "@" + local_host
        self.local_tag = new_tag()
        self.cseq = 1
        self.sip_port = 0
        self.rtp_port = 0
        self.remote_rtp: Addr | None = None
        self.remote_target: Uri | None = None
        self.route_set: list[NameAddr] = []
        self.to_header = ""
        self._invite: SipRequest | None = None
        self._udp: asyncio.DatagramTransport | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader_task: asyncio.Task[None] | None = None
        self._rtp_sock: socket.socket | None = None
        self._waiters: dict[tuple[int, str], asyncio.Future[SipResponse]] = {}
        self._packetizer = Packetizer(payload_type=0, codec="PCMU")
        self._dtmf = DtmfSender(self._packetizer, payload_type=101)
        self._dtmf_out: list[RtpPacket] = []
        self._dtmf_rx = DtmfReceiver(payload_type=101)
        self.ended = asyncio.Event()
        self.answered = asyncio.Event()

    @classmethod
    async def open(
        cls,
        server: Addr,
        *,
        transport: str = "udp",
        local_host: str = "127.0.0.1",
        report: bool = False,
        refer_status: int = 200,
        user: str = "caller",
    ) -> SipUac:
        uac = cls(server, transport=transport, local_host=local_host, report=report, refer_status=refer_status,
                  user=user)
        loop = asyncio.get_running_loop()
        uac._open_rtp(loop)
        if uac.transport == "tcp":
            reader, writer = await asyncio.open_connection(server[0], server[1])
            uac._writer = writer
            uac.sip_port = int(writer.get_extra_info("sockname")[1])
            uac._reader_task = loop.create_task(uac._read_stream(reader))
        else:
            udp, _ = await loop.create_datagram_endpoint(lambda: _SipUdp(uac), local_addr=(local_host, 0))
            uac._udp = udp
            uac.sip_port = int(udp.get_extra_info("sockname")[1])
        return uac

    # ------------------------------------------------------------------ SIP I/O

    async def _read_stream(self, reader: asyncio.StreamReader) -> None:
        framer = StreamFramer()
        with contextlib.suppress(ConnectionError, SipParseError):
            while data := await reader.read(65536):
                for message in framer.feed(data):
                    self._on_sip(message)

    def _send(self, msg: SipRequest | SipResponse) -> None:
        data = bytes(msg)
        if self._writer is not None:
            self._writer.write(data)
        elif self._udp is not None:
            self._udp.sendto(data, self.server)

    def _via(self) -> str:
        return f"SIP/2.0/{self.transport.upper()} {self.local_host}:{self.sip_port};branch={new_branch()};rport"

    def _contact(self) -> NameAddr:
        suffix = ";transport=tcp" if self.transport == "tcp" else ""
        return NameAddr(uri=parse_uri(f"sip:{self.user}@{self.local_host}:{self.sip_port}{suffix}"))

    async def _transact(self, req: SipRequest, *, timeout_s: float = 8.0) -> SipResponse:
        """Send ``req`` (retransmitting on UDP) until a final response arrives."""
        key = (req.cseq.number, req.method)
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[SipResponse] = loop.create_future()
        self._waiters[key] = fut
        deadline = loop.time() + timeout_s
        interval = T1
        try:
            self._send(req)
            while True:
                wait = min(interval, deadline - loop.time()) if self._udp is not None else deadline - loop.time()
                if wait <= 0:
                    raise TimeoutError(f"no final response to {req.method}")
                try:
                    return await asyncio.wait_for(asyncio.shield(fut), timeout=wait)
                except TimeoutError:
                    if req.method == "INVITE" and self.record.statuses:
                        continue  # provisional seen: the server has it, stop retransmitting
                    self._send(req)
                    interval = min(2 * interval, 4.0)
        finally:
            self._waiters.pop(key, None)

    def _on_sip(self, data: bytes) -> None:
        try:
            msg = SipMessage.parse(data)
        except SipParseError:
            return
        if isinstance(msg, SipResponse):
            self._on_response(msg)
        else:
            self._on_request(msg)

    def _on_response(self, resp: SipResponse) -> None:
        cseq = resp.cseq
        if cseq.method == "INVITE" and cseq.number == 1:
            self.record.statuses.append(resp.status)
            if resp.status >= 200 and self._invite is not None:
                self._ack(resp)
        elif cseq.method == "INVITE" and resp.status >= 200 and self.remote_target is not None:
            self._send(make_request(  # the ACK of a re-INVITE's final response
                "ACK", self.remote_target, via=self._via(), routes=self.route_set,
                from_addr=NameAddr.parse(f"<sip:{self.user}@{self.local_host}>;tag={self.local_tag}", "from"),
                to_addr=NameAddr.parse(self.to_header, "to"), call_id=self.call_id, cseq=cseq.number,
            ))
        fut = self._waiters.get((cseq.number, cseq.method))
        if fut is not None and not fut.done() and resp.status >= 200:
            fut.set_result(resp)

    def _on_request(self, req: SipRequest) -> None:
        method = req.method
        if method == "ACK":
            return
        if method == "BYE":
            self._send(make_response(req, 200))
            self.record.ended_by_server = True
            self.ended.set()
        elif method == "INFO":
            self._send(make_response(req, 200))
            self._on_report(req)
        elif method == "REFER":
            self._send(make_response(req, 202))
            target = (req.headers.get("refer-to") or "").strip().strip("<>")
            self.record.refer_targets.append(target)
            asyncio.get_running_loop().create_task(self._notify(self.refer_status))
        else:
            self._send(make_response(req, 200 if method in ("OPTIONS", "NOTIFY") else 501))

    def _on_report(self, req: SipRequest) -> None:
        ctype = req.content_type
        if ctype is None or ctype.mime != REPORT_TYPE:
            return
        try:
            message = json.loads(req.body)
        except ValueError:
            return
        if message.get("type") == "dialphone.turn":
            self.record.report_turns[int(message.get("turn", 0))] = message
        elif message.get("type") == "dialphone.decision":
            self.record.report_decisions.append(message)
        elif message.get("type") == "dialphone.call":
            self.record.report_call = message

    # ------------------------------------------------------------------ the call

    def _new_request(self, method: str, *, headers: tuple[tuple[str, str], ...] = (), body: bytes = b"",
                     content_type: str | None = None) -> SipRequest:
        assert self.remote_target is not None
        self.cseq += 1
        return make_request(
            method, self.remote_target, via=self._via(), routes=self.route_set,
            from_addr=NameAddr.parse(f"<sip:{self.user}@{self.local_host}>;tag={self.local_tag}", "from"),
            to_addr=NameAddr.parse(self.to_header, "to"), call_id=self.call_id, cseq=self.cseq,
            contact=self._contact(), headers=headers, body=body, content_type=content_type,
        )

    async def invite(self, *, timeout_s: float = 8.0) -> int:
        """Place the call; returns the final status (200 when answered)."""
        host, port = self.server
        params = (";transport=tcp" if self.transport == "tcp" else "") + (f";{REPORT_PARAM}" if self.report else "")
        uri = parse_uri(f"sip:concierge@{host}:{port}{params}")
        offer = make_offer(MediaConfig(address=self.local_host, port=self.rtp_port, codecs=("PCMU",)))
        self._invite = make_request(
            "INVITE", uri, via=self._via(),
            from_addr=NameAddr.parse(f"<sip:{self.user}@{self.local_host}>;tag={self.local_tag}", "from"),
            to_addr=NameAddr.parse(f"<sip:concierge@{host}:{port}>", "to"), call_id=self.call_id, cseq=1,
            contact=self._contact(), body=bytes(offer), content_type="application/sdp",
        )
        started = time.perf_counter()
        resp = await self._transact(self._invite, timeout_s=timeout_s)
        self.record.final_status = resp.status
        self.record.final_headers = {name.lower(): value for name, value in resp.headers}
        if resp.status < 300:
            self.setup_ms = (time.perf_counter() - started) * 1000
            self.answered_at = time.monotonic()
            self.answered.set()
        return resp.status

    def _ack(self, resp: SipResponse) -> None:
        assert self._invite is not None
        routes: list[NameAddr] = []
        if resp.status >= 300:  # the server's transaction ACKs itself on its own branch
            via = self._invite.headers.get_all("via")[0]
            uri: Uri = self._invite.uri
        else:
            via = self._via()
            contacts = resp.contacts
            uri = contacts[0].uri if contacts else self._invite.uri
            self.remote_target = uri
            self.route_set = routes = list(reversed(resp.record_routes))
            self.to_header = resp.headers.get("to") or ""
            if resp.body and self.remote_rtp is None:
                with contextlib.suppress(Exception):
                    self.remote_rtp = remote_of(SessionDescription.parse(resp.body))
        ack = make_request(
            "ACK", uri, via=via, routes=routes,
            from_addr=NameAddr.parse(self._invite.headers.get("from") or "", "from"),
            to_addr=NameAddr.parse(resp.headers.get("to") or "", "to"), call_id=self.call_id, cseq=1,
        )
        self._send(ack)

    async def _notify(self, status: int) -> None:
        reason = "OK" if status < 300 else "Service Unavailable"
        req = self._new_request(
            "NOTIFY", headers=(("Event", "refer"), ("Subscription-State", "terminated;reason=noresource")),
            body=f"SIP/2.0 {status} {reason}\r\n".encode(), content_type="message/sipfrag",
        )
        with contextlib.suppress(TimeoutError):
            await self._transact(req, timeout_s=4.0)

    async def reinvite(self, *, hold: bool) -> int:
        offer = make_offer(MediaConfig(address=self.local_host, port=self.rtp_port, codecs=("PCMU",)), version=self.cseq,
                           direction=Direction.SENDONLY if hold else Direction.SENDRECV)
        assert self._invite is not None
        req = self._new_request("INVITE", body=bytes(offer), content_type="application/sdp")
        resp = await self._transact(req)
        return resp.status

    async def options(self, *, timeout_s: float = 4.0) -> SipResponse:
        """An out-of-dialog OPTIONS (the health probe a trunk sends)."""
        host, port = self.server
        self.cseq += 1
        req = make_request(
            "OPTIONS", parse_uri(f"sip:concierge@{host}:{port}"), via=self._via(),
            from_addr=NameAddr.parse(f"<sip:{self.user}@{self.local_host}>;tag={new_tag()}", "from"),
            to_addr=NameAddr.parse(f"<sip:concierge@{host}:{port}>", "to"),
            call_id=secrets.token_hex(8), cseq=self.cseq,
        )
        return await self._transact(req, timeout_s=timeout_s)

    async def bye(self, *, timeout_s: float = 4.0) -> int | None:
        if self.ended.is_set() or self.remote_target is None:
            return None
        req = self._new_request("BYE")
        with contextlib.suppress(TimeoutError):
            self.record.bye_status = (await self._transact(req, timeout_s=timeout_s)).status
        self.ended.set()
        return self.record.bye_status

    async def cancel(self) -> int | None:
        """CANCEL the pending INVITE (same branch, RFC 3261 9.1)."""
        assert self._invite is not None
        inv = self._invite
        req = make_request(
            "CANCEL", inv.uri, via=inv.headers.get_all("via")[0],
            from_addr=NameAddr.parse(inv.headers.get("from") or "", "from"),
            to_addr=NameAddr.parse(inv.headers.get("to") or "", "to"), call_id=self.call_id, cseq=1,
        )
        return (await self._transact(req, timeout_s=4.0)).status

    # ------------------------------------------------------------------ RTP

    def _open_rtp(self, loop: asyncio.AbstractEventLoop) -> None:
        """A plain socket read with the kernel's receive timestamps, so the gaps measured in the
        server's RTP are the network's, not this caller's own event-loop stalls."""
        sock = socket.socket(socket.AF_INET6 if ":" in self.local_host else socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((self.local_host, 0))
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._rtp_sock = sock
        self.rtp_port = int(sock.getsockname()[1])
        loop.add_reader(sock.fileno(), self._read_rtp)

    def _read_rtp(self) -> None:
        sock = self._rtp_sock
        while sock is not None:
            try:
                data, ancillary, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(16))
            except OSError:  # drained (BlockingIOError) or an ICMP error
                return
            stamp: float | None = None
            for level, kind, cdata in ancillary:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
                    sec, nsec = struct.unpack("qq", cdata[:16])
                    stamp = sec + nsec / 1e9
            self._on_rtp(data, stamp)

    def _on_rtp(self, data: bytes, stamp: float | None = None) -> None:
        """``stamp``: the kernel's receive time (wall clock); arrival is then measured there, on
        the monotonic clock the caller line uses, not when this loop got round to the packet."""
        now = time.monotonic()
        if stamp is not None:
            now = min(now, stamp - (time.time() - now))
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            return
        self.record.rtp_times.append(now)
        if packet.payload_type == 0:
            if self.on_audio is not None:
                self.on_audio(decode("PCMU", packet.payload).astype("<i2").tobytes(), now)
        elif packet.payload_type == 101:
            self.record.dtmf_received += 1
            with contextlib.suppress(RtpParseError):
                digit = self._dtmf_rx.receive(packet)
                if digit is not None:
                    self.record.digits.append(digit)

    def press(self, digit: str, duration_ms: int = 120) -> None:
        self._dtmf_out.extend(self._dtmf.digit_packets(digit, duration_ms))

    async def send_audio(self, pcm8k: bytes) -> None:
        """One 20 ms frame (320 bytes of int16 at 8 kHz) as one RTP packet, or a queued DTMF packet."""
        if self.remote_rtp is None or self._rtp_sock is None:
            return
        if self._dtmf_out:
            packet = self._dtmf_out.pop(0)
        else:
            packets = self._packetizer.push(np.frombuffer(pcm8k, dtype="<i2"))
            if not packets:
                return
            packet = packets[0]
        with contextlib.suppress(OSError):
            self._rtp_sock.sendto(bytes(packet), self.remote_rtp)

    async def close(self) -> None:
        if self._rtp_sock is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._rtp_sock.fileno())
            self._rtp_sock.close()
            self._rtp_sock = None
        if self._udp is not None:
            self._udp.close()
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(Exception):
                await self._writer.wait_closed()
        if self._reader_task is not None:
            self._reader_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader_task
