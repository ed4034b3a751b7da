"""The SIP listener: answers calls on UDP and TCP and runs each as a pipeline over RTP.

    sip = SipServer(state=server_state, host="0.0.0.0", port=5060)
    await sip.start()                  # binds UDP and TCP (port 0: an ephemeral port, see .port)
    ...
    sip.drain()                        # pool member leaving: 503 to new INVITEs and to OPTIONS
    await sip.wait_idle(within_s=60)   # live calls go on to their end (True: none left)
    await sip.stop(deadline_s=5)       # stop accepting, BYE every call, wait, then cancel

Per INVITE: 100 Trying at once (the core), then in the call's own task 180 Ringing and 200 OK with
our SDP, one RTP socket per call on an ephemeral port or the next free port of ``rtp_ports``
(:mod:`voice.telephony.call`). BYE, CANCEL,
OPTIONS (health probe), re-INVITE hold / unhold, REFER with NOTIFY and INFO DTMF are handled by
:class:`voice.sip.SipCore`; admission comes from the workspace's ``sip`` section: sources outside
``trunk_allowlist`` get 403, calls over ``max_calls`` 503 with Retry-After (so do new calls while the
ASR is overloaded, when the workspace's ``overload.action`` is ``refuse``), new INVITEs over
``invite_rate_per_s`` a stateless 503 (requests inside calls are never limited). Timers follow
each core's ``next_deadline()``. Logs name calls by handle and count things; no caller data.

Draining (a worker behind a dispatcher leaving the pool): :meth:`SipServer.drain` makes every core
answer new INVITEs and out-of-dialog OPTIONS with 503, so the dispatcher's next probe takes this
worker out, while requests inside live calls (BYE, REFER's NOTIFY, re-INVITE) go on. ``stats`` and
``refused`` count what happened, by kind, never by caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from concierge.config import Transport
from voice.pipeline.calls import new_call
from voice.pipeline.inproc import InprocTransport
from voice.pipeline.server_state import ServerState
from voice.sip import (
    CallEnded,
    CallEstablished,
    DtmfInfo,
    IncomingCall,
    OptionsReceived,
    ReferResult,
    ReInvite,
    SipCallError,
    SipConfig,
    SipEvent,
    ip_allowlist,
)
from voice.telephony.call import CallPhase, SipCall
from voice.telephony.endpoint import SipEndpoint
from voice.telephony.media import MediaClock, PortRange

log = logging.getLogger("dialphone.sip")

RETRY_AFTER_S = 30


def local_address(host: str) -> str:
    """The address peers reach us at: ``host`` itself unless it is a wildcard."""
    if host not in ("", "0.0.0.0", "::"):
        return host
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


@dataclass(frozen=True, slots=True)
class FinishedCall:
    """What is kept of an ended call: its outcome, not its pipeline (audio frames, processors).

    Keeping whole ended calls made every full garbage-collection pass longer (20 calls: +15 ms per
    run of calls), and that pass holds the interpreter lock while the RTP media thread waits."""

    ref: str
    call_id: str
    answered_at: float | None
    transfers: tuple[tuple[str, str, int], ...]
    log: Any  # the call's CallLog (tokenized turns, event names), None when it was never answered

    @classmethod
    def of(cls, call: SipCall) -> FinishedCall:
        session = call.session
        return cls(call.ref, call.call_id, call.answered_at, tuple(call.transfers),
                   session.log if session is not None else None)


class SipServer:
    """SIP over UDP and TCP for one server process (its workspace and engines), seen through
    :class:`voice.pipeline.server_state.ServerState`."""

    def __init__(
        self,
        *,
        state: ServerState,
        host: str,
        port: int,
        tcp: bool = True,
        advertise: str | None = None,
        prefetch: int = 2,
        answer_delay_s: float = 0.0,
        bye_after_transfer_s: float = 0.5,
        rtp_ports: PortRange | None = None,
    ) -> None:
        """``answer_delay_s``: ring this long before answering (0: answer at once);
        ``bye_after_transfer_s``: how long our leg stays up after a successful REFER;
        ``rtp_ports``: the range calls' RTP sockets bind in (None: ephemeral ports)."""
        self.state = state
        self.host = host
        self.requested_port = port
        self.tcp = tcp
        self.advertise = advertise or local_address(host)
        self.prefetch = prefetch
        self.answer_delay_s = answer_delay_s
        self.bye_after_transfer_s = bye_after_transfer_s
        self.clock = MediaClock(ports=rtp_ports)
        self.endpoints: list[SipEndpoint] = []
        self.calls: dict[tuple[int, str], SipCall] = {}
        self.draining = False
        self.stats: dict[str, int] = {"answered": 0, "refused": 0, "options": 0, "ended": 0}
        self.refused: dict[str, int] = {"capacity": 0, "draining": 0, "starting": 0, "overload": 0}  # by reason
        self.finished: deque[FinishedCall] = deque(maxlen=200)  # the last calls that ended (tests, benchmarks)

    @property
    def port(self) -> int:
        return self.endpoints[0].port if self.endpoints else self.requested_port

    def _config(self, transport: str, port: int) -> SipConfig:
        sip = self.state.workspace.sip
        return SipConfig(
            host=self.advertise,
            port=port,
            transport=transport,
            max_calls=sip.max_calls,
            retry_after_s=RETRY_AFTER_S,
            source_policy=ip_allowlist(sip.trunk_allowlist),
            invite_rate=sip.invite_rate_per_s,
            invite_burst=max(1, int(sip.invite_rate_per_s)),
        )

    async def start(self) -> None:
        self._warm_up()
        udp = SipEndpoint(self._config("UDP", self.requested_port), on_event=self._on_event)
        await udp.listen_udp(self.host, self.requested_port)
        self.endpoints.append(udp)
        if self.tcp:
            tcp = SipEndpoint(self._config("TCP", udp.port), on_event=self._on_event)
            try:
                await tcp.listen_tcp(self.host, udp.port)
            except OSError:  # the TCP port is taken: UDP alone still serves
                log.warning("sip: TCP port %d unavailable, UDP only", udp.port)
            else:
                self.endpoints.append(tcp)
        log.info("sip: listening on %s:%d (%s)", self.host, self.port, "udp+tcp" if len(self.endpoints) > 1 else "udp")

    def _warm_up(self) -> None:
        """Build (not run) one call so the first real call does not pay for lazy imports (seconds)."""
        engines = self.state.engines
        if engines is None or engines.sip_warm:
            return
        new_call(engines=engines, transport=InprocTransport(sample_rate=8000), kind=Transport.SIP, sample_rate=8000)
        engines.sip_warm = True

    def drain(self) -> None:
        """Leave the pool: 503 (with Retry-After) to new INVITEs and to out-of-dialog OPTIONS from now
        on; live calls and every request inside them go on."""
        self.draining = True
        for ep in self.endpoints:
            ep.core.accepting = False

    async def wait_idle(self, *, within_s: float) -> bool:
        """Wait until no call is left (True), or ``within_s`` passed (False)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + within_s
        while self.calls:
            if loop.time() >= end:
                return False
            await asyncio.sleep(0.05)
        return True

    def core_stats(self) -> dict[str, int]:
        """The cores' counters summed over UDP and TCP (malformed, rejected, rate_limited, unavailable)."""
        out: dict[str, int] = {}
        for ep in self.endpoints:
            for key, value in ep.core.stats.items():
                out[key] = out.get(key, 0) + value
        return out

    async def stop(self, *, deadline_s: float) -> None:
        """Graceful shutdown: refuse new calls, BYE every call, wait up to ``deadline_s``, cancel the rest."""
        for ep in self.endpoints:
            ep.core.accepting = False
        calls = list(self.calls.values())
        await asyncio.gather(*(c.hang_up() for c in calls), return_exceptions=True)
        loop = asyncio.get_running_loop()
        end = loop.time() + deadline_s
        for c in calls:
            if not await c.wait(max(0.0, end - loop.time())):
                await c.cancel()
        await asyncio.sleep(0.05)  # let the BYEs' first transmissions leave
        for ep in self.endpoints:
            await ep.close()
        self.endpoints.clear()

    # ------------------------------------------------------------------ events

    def _on_event(self, ep: SipEndpoint, event: SipEvent) -> None:
        if isinstance(event, IncomingCall):
            self._incoming(ep, event)
            return
        if isinstance(event, OptionsReceived):
            self.stats["options"] += 1
            return
        call = self.calls.get((id(ep), event.call))
        if call is None:
            return
        if isinstance(event, CallEstablished):
            call.established(event.answer)
            self.register(call)
        elif isinstance(event, CallEnded):
            call.ended()
        elif isinstance(event, ReInvite):
            call.reinvite(event)
        elif isinstance(event, ReferResult):
            call.refer_result(event)
        elif isinstance(event, DtmfInfo):
            call.dtmf_info(event.digit)

    def _incoming(self, ep: SipEndpoint, event: IncomingCall) -> None:
        sip = self.state.workspace.sip
        engines = self.state.engines
        if engines is None or len(self.calls) >= sip.max_calls or not ep.core.accepting:
            self.stats["refused"] += 1
            reason = "starting" if engines is None else "draining" if not ep.core.accepting else "capacity"
            self.refused[reason] += 1
            try:
                ep.core.reject(event.call, 503, asyncio.get_running_loop().time(), retry_after_s=RETRY_AFTER_S)
            except SipCallError:
                pass
            return
        if engines.admission.refuses(Transport.SIP):  # overloaded; the workspace refuses (else: the IVR)
            self.stats["refused"] += 1
            self.refused["overload"] += 1
            with contextlib.suppress(SipCallError):
                ep.core.reject(event.call, 503, asyncio.get_running_loop().time(),
                               retry_after_s=engines.admission.retry_after_s())
            return
        call = SipCall(
            endpoint=ep,
            event=event,
            engines=engines,
            clock=self.clock,
            media_host=self.advertise,
            on_done=self._done,
            prefetch=self.prefetch,
            answer_delay_s=self.answer_delay_s,
            bye_after_transfer_s=self.bye_after_transfer_s,
        )
        self.calls[(id(ep), event.call)] = call
        self.stats["answered"] += 1
        call.start()

    def _done(self, call: SipCall) -> None:
        self.calls.pop((id(call.endpoint), call.ref), None)
        self.stats["ended"] += 1
        if call.answered_at is not None:  # in the call's task: a JSON log line carries its call id
            log.info("sip call %s ended after %.1fs (%d transfers)", call.ref, time.monotonic() - call.answered_at,
                     len(call.transfers))
        self.finished.append(FinishedCall.of(call))
        if call.session is not None:
            self.state.calls.pop(call.session.call_id, None)
            # off the engines' live list too: a call cancelled right after its pipeline started can
            # end without the CancelFrame that takes it off there reaching the IVR switch
            live = getattr(self.state.engines, "live_calls", None)
            if live is not None:
                live.pop(call.session.call_id, None)

    def register(self, call: SipCall) -> None:
        if call.session is not None:
            self.state.calls[call.session.call_id] = call.session

    def active(self) -> list[SipCall]:
        return [c for c in self.calls.values() if c.phase is not CallPhase.ENDED]
