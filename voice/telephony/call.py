"""One answered SIP call: its RTP, its pipeline, its REFER transfers, its hang-up.

:class:`voice.telephony.listener.SipServer` creates a :class:`SipCall` for each admitted INVITE and feeds
it the core's events for that call. Set-up runs in its own task, so the SIP path never waits on
it: open the RTP socket (ephemeral port), negotiate (488 when no codec is in common), 180, build
the pipeline, 200 OK with our SDP; the pipeline starts when the ACK arrives (or at once when the
ACK is late: the media clock already runs).

Transfers: the concierge's transfer gate calls :meth:`SipCall.transfer` (through
:class:`voice.pipeline.call_control.PipelineCallControl`); it sends REFER and succeeds only when a
NOTIFY reports a 2xx from the transfer target (RFC 3515; ``confirmed_by`` ``sip_notify_2xx``), after
which we hang up our leg (RFC 5589). A refusal, an error sipfrag or a timeout is a failure with the
final status (the concierge audits it). Once a transfer succeeded, no second REFER goes out: asked
again for the same target, the answer is success (the caller is there already), for another target
a failure.

The call's pipeline (:class:`voice.pipeline.session.CallSession`) writes ``call.started`` and
``call.ended``; the reason it ends with is ours (``caller_hangup`` on the caller's BYE or CANCEL,
``hangup`` when we end it, ``transferred`` after a REFER went through).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from concierge.call_control import TransferResult
from concierge.config import Transport
from voice.pipeline.call_control import PipelineCallControl
from voice.pipeline.calls import new_call
from voice.pipeline.report import CallReporter
from voice.sip import (
    IncomingCall,
    MediaConfig,
    ReferResult,
    ReInvite,
    SdpNegotiationError,
    SipCallError,
    SipError,
)
from voice.sip.offer_answer import answer_offer, make_offer
from voice.sip.sdp import SessionDescription
from voice.sip.uri import SipUri, parse_uri
from voice.telephony.endpoint import SipEndpoint
from voice.telephony.media import MediaClock, RtpSession
from voice.telephony.transport import RtpTransport

log = logging.getLogger("dialphone.sip.call")

REPORT_PARAM = "x-dialphone-report"  # request-URI parameter: send the tokenized call report in INFOs
REPORT_TYPE = "application/x-dialphone-report+json"


class CallPhase(enum.Enum):
    SETTING_UP = "setting_up"
    ANSWERED = "answered"
    CONFIRMED = "confirmed"
    ENDED = "ended"


def wants_report(request_uri: str) -> bool:
    try:
        uri = parse_uri(request_uri)
    except SipError:
        return False
    return isinstance(uri, SipUri) and any(name.lower() == REPORT_PARAM for name, _ in uri.params)


def remote_of(sdp: SessionDescription) -> tuple[str, int] | None:
    for m in sdp.media:
        if m.media == "audio" and m.port:
            conn = sdp.media_connection(m)
            return (conn.address, m.port) if conn else None
    return None


class SipCall:
    def __init__(
        self,
        *,
        endpoint: SipEndpoint,
        event: IncomingCall,
        engines: Any,
        clock: MediaClock,
        media_host: str,
        on_done: Callable[[SipCall], None],
        refer_timeout_s: float = 32.0,
        bye_after_transfer_s: float = 0.5,
        prefetch: int = 2,
        answer_delay_s: float = 0.0,
    ) -> None:
        self.endpoint = endpoint
        self.ref = event.call
        self.event = event
        self.engines = engines
        self.clock = clock
        self.media_host = media_host
        self.on_done = on_done
        self.refer_timeout_s = refer_timeout_s
        self.bye_after_transfer_s = bye_after_transfer_s
        self.prefetch = prefetch
        self.answer_delay_s = answer_delay_s
        self.phase = CallPhase.SETTING_UP
        self.invite_at = time.monotonic()
        self.answered_at: float | None = None
        self.media: RtpSession | None = None
        self.transport: RtpTransport | None = None
        self.session: Any = None
        self.transfers: list[tuple[str, str, int]] = []  # department, target, final status
        self._established = asyncio.Event()
        self._refer: asyncio.Future[int] | None = None
        self._task: asyncio.Task[None] | None = None
        self._reporter: Any = None

    @property
    def call_id(self) -> str:
        return self.session.call_id if self.session is not None else self.ref

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._main(), name=f"sip-call-{self.ref}")

    # ------------------------------------------------------------------ set-up and run

    async def _main(self) -> None:
        try:
            if await self._setup():
                await self._run()
        except SipCallError:  # the call ended under us (CANCEL, BYE) while it was set up
            pass
        except Exception:
            log.exception("sip call %s failed", self.ref)
        finally:
            await self._teardown()

    async def _setup(self) -> bool:
        ep, ev = self.endpoint, self.event
        self.media = RtpSession.open(host=self.media_host, clock=self.clock, prefetch=self.prefetch)
        if self.phase is CallPhase.ENDED:  # cancelled while the socket opened
            return False
        config = MediaConfig(address=self.media_host, port=self.media.port, session_id=str(int(time.time())))
        if ev.offer is not None:
            try:
                neg = answer_offer(ev.offer, config)
            except SdpNegotiationError:
                ep.act(lambda now: ep.core.reject(self.ref, 488, now))
                return False
            self.media.configure(
                codec=neg.codec.name,
                audio_pt=neg.codec.payload_type,
                dtmf_pt=neg.dtmf_payload_type,
                remote=(neg.remote_address, neg.remote_port) if neg.remote_port else None,
            )
            self.media.on_hold = neg.on_hold
            sdp = neg.answer
        else:  # delayed offer: we offer, the answer comes in the ACK
            sdp = make_offer(config)
        ep.act(lambda now: ep.core.ring(self.ref, now))
        if self.answer_delay_s > 0:
            await asyncio.sleep(self.answer_delay_s)
            if self.phase is CallPhase.ENDED:  # CANCEL while ringing
                return False
        ep.act(lambda now: ep.core.answer(self.ref, sdp, now))
        self.answered_at = time.monotonic()
        self.phase = CallPhase.ANSWERED
        await asyncio.sleep(0)  # let waiting SIP traffic through before the CPU-bound build
        if self.phase is CallPhase.ENDED:
            return False
        # The pipeline is built after the 200 OK: set-up (~30 ms) stays off the SIP path; the
        # media clock already sends silence, and the greeting starts as soon as the pipeline runs.
        self.transport = RtpTransport(media=self.media, tag=self.ref)
        self.session = new_call(
            engines=self.engines,
            transport=self.transport,
            kind=Transport.SIP,
            sample_rate=8000,
            caller=self.event.caller,
            call_id=None,
            control=PipelineCallControl(transfer=self.transfer),
        )
        return self.phase is not CallPhase.ENDED

    async def _run(self) -> None:
        run = asyncio.get_running_loop().create_task(self.session.run(), name=f"pipeline-{self.ref}")
        if wants_report(self.event.request_uri):
            self._reporter = CallReporter(self.session, self._send_report)
            self._reporter.start()
        try:
            await run
        finally:
            if self._reporter is not None:
                with contextlib.suppress(Exception):
                    await self._reporter.stop()

    async def _send_report(self, message: dict[str, Any]) -> None:
        if self.phase is not CallPhase.CONFIRMED:
            return
        body = json.dumps(message).encode()
        ep = self.endpoint
        with contextlib.suppress(SipCallError):
            ep.act(lambda now: ep.core.send_info(self.ref, body, REPORT_TYPE, now))

    async def _teardown(self) -> None:
        if self.phase is not CallPhase.ENDED:
            self.phase = CallPhase.ENDED
            ep = self.endpoint
            with contextlib.suppress(SipCallError):
                if self.answered_at is not None:
                    ep.act(lambda now: ep.core.send_bye(self.ref, now))
                else:
                    ep.act(lambda now: ep.core.reject(self.ref, 500, now))
        if self.media is not None:
            self.media.close()
        if self._refer is not None and not self._refer.done():
            self._refer.set_result(487)
        self.on_done(self)

    # ------------------------------------------------------------------ events from the core

    def established(self, answer: SessionDescription | None) -> None:
        if self.phase is CallPhase.ANSWERED:
            self.phase = CallPhase.CONFIRMED
        if answer is not None and self.media is not None and self.media.receiver is None:
            try:
                neg = answer_offer(answer, MediaConfig(address=self.media_host, port=self.media.port))
            except SdpNegotiationError:
                asyncio.get_running_loop().create_task(self.hang_up())
                return
            self.media.configure(
                codec=neg.codec.name,
                audio_pt=neg.codec.payload_type,
                dtmf_pt=neg.dtmf_payload_type,
                remote=(neg.remote_address, neg.remote_port),
            )
        self._established.set()

    def ended(self) -> None:
        """The core ended the call (BYE, CANCEL, no ACK): stop media and pipeline now; no BYE from us."""
        if self.phase is CallPhase.ENDED:
            return
        self.phase = CallPhase.ENDED
        self._stop_now("caller_hangup")

    def _stop_now(self, reason: str) -> None:
        if self.media is not None:
            self.media.close()
        if self._refer is not None and not self._refer.done():
            self._refer.set_result(487)
        if self.session is not None:  # cancel, not EndFrame: nobody listens to queued audio any more
            asyncio.get_running_loop().create_task(self._cancel_session(reason))

    async def _cancel_session(self, reason: str) -> None:
        with contextlib.suppress(Exception):
            await self.session.cancel(reason)

    def reinvite(self, ev: ReInvite) -> None:
        if self.media is not None:
            self.media.on_hold = ev.on_hold
            self.media.update_remote(remote_of(ev.offer))

    def refer_result(self, ev: ReferResult) -> None:
        if ev.final and self._refer is not None and not self._refer.done():
            self._refer.set_result(ev.status)

    def dtmf_info(self, digit: str) -> None:
        if self.transport is not None and self.media is not None and self.media.on_dtmf is not None:
            self.media.on_dtmf(digit)

    # ------------------------------------------------------------------ call control

    async def transfer(self, department: str, target: str) -> TransferResult:
        """Send REFER to ``target`` and wait for the outcome; ok on a 2xx NOTIFY."""
        if self.phase is CallPhase.ANSWERED:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._established.wait(), timeout=5)
        if self.phase is not CallPhase.CONFIRMED or (self._refer is not None and not self._refer.done()):
            return TransferResult(False, error_kind="call_not_confirmed")
        done = [t for _, t, status in self.transfers if 200 <= status < 300]
        if done:  # already handed over (our leg is being torn down): no second REFER
            return TransferResult(True, confirmed_by="sip_notify_2xx") if target in done else \
                TransferResult(False, error_kind="already_transferred")
        loop = asyncio.get_running_loop()
        self._refer = loop.create_future()
        ep = self.endpoint
        try:
            ep.act(lambda now: ep.core.send_refer(self.ref, target, now))
        except SipError:
            return TransferResult(False, error_kind="refer_not_sent")
        try:
            status = await asyncio.wait_for(asyncio.shield(self._refer), timeout=self.refer_timeout_s)
        except TimeoutError:
            status = 408
        self.transfers.append((department, target, status))
        if 200 <= status < 300:  # the transferee has the target now: leave the call (RFC 5589 6.1)
            loop.call_later(self.bye_after_transfer_s, lambda: loop.create_task(self.hang_up("transferred")))
            return TransferResult(True, confirmed_by="sip_notify_2xx", provider_status=status)
        return TransferResult(False, error_kind=f"refer_{status}", provider_status=status)

    async def hang_up(self, reason: str = "hangup") -> None:
        """End the call from our side now: BYE (or a final error while still ringing), then stop."""
        if self.phase is CallPhase.ENDED:
            return
        answered = self.answered_at is not None
        self.phase = CallPhase.ENDED
        ep = self.endpoint
        with contextlib.suppress(SipCallError):
            if answered:
                ep.act(lambda now: ep.core.send_bye(self.ref, now))
            else:
                ep.act(lambda now: ep.core.reject(self.ref, 480, now))
        self._stop_now(reason)

    async def wait(self, within_s: float) -> bool:
        if self._task is None:
            return True
        done, _ = await asyncio.wait({self._task}, timeout=within_s)
        return bool(done)

    async def cancel(self) -> None:
        if self.session is not None:
            with contextlib.suppress(Exception):
                await self.session.cancel()
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
