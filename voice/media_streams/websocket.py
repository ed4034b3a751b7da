"""WebSocket media streams (Twilio Media Streams protocol) at ``/media/twilio``.

One WebSocket is one call. When a Twilio auth token is configured, the upgrade must carry a valid
``X-Twilio-Signature`` (:mod:`voice.media_streams.signature`; else HTTP 403 before the WebSocket is
accepted). Before the pipeline starts, the stream must identify itself: ``connected`` (optional) then
``start`` with ``customParameters.token``, a single-use token signed over the call SID and the
``caller`` parameter (see :mod:`voice.media_streams.token`). Until then at most
:data:`MAX_PRE_START_MESSAGES` messages and :data:`START_TIMEOUT_S` seconds are allowed. Close codes:
1008 policy (bad, reused or missing token, no ``start``), 1013 try again later (not ready, at
capacity, or overloaded when the workspace's ``overload.action`` is ``refuse``:
:mod:`voice.pipeline.admission`), 1000 after ``stop`` or when the call ends. A peer that sends nothing for
:data:`IDLE_TIMEOUT_S` is hung up. Custom parameter ``report=turns`` asks for a tokenized
``dialphone.report`` event at ``stop`` (the replay harness uses it); ``caller`` names the caller.
Transfers go through Twilio's REST API (:mod:`voice.media_streams.twilio_rest`); without an account
SID and auth token a transfer fails (audited), it is never reported as done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect, WebSocketState

from concierge.config import Transport
from voice.media_streams.exceptions import MalformedMessage, StreamAuthError
from voice.media_streams.protocol import Connected, Start, Stop, parse_message
from voice.media_streams.signature import candidate_urls, valid_signature
from voice.media_streams.token import TokenLedger, verify_stream_token
from voice.media_streams.transport import TwilioMediaTransport
from voice.media_streams.twilio_rest import TwilioCallControl, TwilioRest
from voice.pipeline.call_control import PipelineCallControl
from voice.pipeline.calls import new_call
from voice.pipeline.engines import Engines
from voice.pipeline.report import final_report
from voice.pipeline.server_state import ServerState

log = logging.getLogger("dialphone.media_ws")

CLOSE_NORMAL = 1000
CLOSE_POLICY = 1008
CLOSE_TRY_AGAIN = 1013
START_TIMEOUT_S = 10.0
MAX_PRE_START_MESSAGES = 50
IDLE_TIMEOUT_S = 30.0
PIPELINE_RATE = 8000  # the provider's rate: no resampling on the way in or out
END_TIMEOUT_S = 10.0


class StreamAccess:
    """What every stream of a process shares: the spent tokens, and the REST client for transfers
    (made once for the configured account)."""

    def __init__(self) -> None:
        self.ledger = TokenLedger()
        self._rest: TwilioRest | None = None
        self._rest_for: tuple[str, str, str | None] | None = None

    def rest(self, state: ServerState) -> TwilioRest | None:
        sec = state.workspace.security
        if not sec.twilio_account_sid or not sec.twilio_auth_token:
            return None
        key = (sec.twilio_account_sid, sec.twilio_auth_token, sec.twilio_api_base)
        if self._rest is None or self._rest_for != key:
            self._rest = TwilioRest(account_sid=key[0], auth_token=key[1], api_base=key[2])
            self._rest_for = key
        return self._rest


def media_router(state: ServerState) -> APIRouter:
    router = APIRouter(tags=["media"])
    access = StreamAccess()

    @router.websocket("/media/twilio")
    async def twilio_stream(websocket: WebSocket) -> None:
        await MediaStreamCall(state, websocket, access).run()

    return router


def _max_calls(state: ServerState) -> int:
    sip = getattr(state.workspace, "sip", None)
    return int(getattr(sip, "max_calls", 32) or 32)


class MediaStreamCall:
    """The life of one media-stream WebSocket: handshake, authenticate, run the call, end it."""

    def __init__(self, state: ServerState, websocket: WebSocket, access: StreamAccess | None = None) -> None:
        self.state = state
        self.ws = websocket
        self.access = access or StreamAccess()
        self.tag = uuid.uuid4().hex[:8]
        self.stopped = asyncio.Event()
        self.gone = asyncio.Event()

    def _signed(self) -> bool:
        sec = self.state.workspace.security
        if not sec.twilio_auth_token:
            return True
        url = self.ws.url
        urls = candidate_urls(scheme=url.scheme, host=self.ws.headers.get("host", url.netloc), path=url.path,
                              query=url.query, public_url=sec.twilio_public_url)
        return valid_signature(auth_token=sec.twilio_auth_token, headers=self.ws.headers, urls=urls)

    async def run(self) -> None:
        if not self._signed():
            log.warning("media stream %s: refused (no valid X-Twilio-Signature)", self.tag)
            await self.ws.close(code=CLOSE_POLICY)  # before accept: the upgrade is answered 403
            return
        await self.ws.accept()
        engines = self.state.engines
        if not self.state.ready or engines is None:
            await self._close(CLOSE_TRY_AGAIN, "not ready")
            return
        if len(self.state.calls) >= _max_calls(self.state):
            log.warning("media stream %s: at capacity, refused", self.tag)
            await self._close(CLOSE_TRY_AGAIN, "at capacity")
            return
        if engines.admission.refuses(Transport.WS):  # overloaded, and the workspace refuses such calls
            await self._close(CLOSE_TRY_AGAIN, "overloaded")
            return
        start = await self._handshake()
        if start is None:
            return
        try:
            verify_stream_token(
                start.custom.get("token"),
                secret=self.state.workspace.security.media_stream_secret,
                call_sid=start.call_sid,
                caller=start.custom.get("caller", ""),
                ledger=self.access.ledger,
            )
        except StreamAuthError as exc:
            log.warning("media stream %s: refused (%s)", self.tag, exc)
            await self._close(CLOSE_POLICY, "unauthorized")
            return
        await self._run_call(start, engines)

    async def _handshake(self) -> Start | None:
        deadline = time.monotonic() + START_TIMEOUT_S
        skipped = 0
        for _ in range(MAX_PRE_START_MESSAGES):
            try:
                msg = await asyncio.wait_for(self.ws.receive(), timeout=max(0.01, deadline - time.monotonic()))
            except (TimeoutError, WebSocketDisconnect, RuntimeError):
                await self._close(CLOSE_POLICY, "no start")
                return None
            if msg.get("type") == "websocket.disconnect":
                return None
            text, raw = msg.get("text"), msg.get("bytes")
            data: str | bytes = text if isinstance(text, str) else raw if isinstance(raw, bytes) else b""
            try:
                event = parse_message(data)
            except MalformedMessage as exc:
                skipped += 1
                log.warning("media stream %s: skipped a message before start (%s)", self.tag, exc.reason)
                continue
            if isinstance(event, Start):
                return event
            if isinstance(event, Stop):
                await self._close(CLOSE_NORMAL, "stopped")
                return None
            if not isinstance(event, Connected):
                skipped += 1
                log.warning("media stream %s: skipped a message before start (event out of order)", self.tag)
        await self._close(CLOSE_POLICY, "no start")
        return None

    async def _run_call(self, start: Start, engines: Engines) -> None:
        transport = TwilioMediaTransport(
            self.ws, start=start, sample_rate=PIPELINE_RATE, tag=self.tag, on_stop=self.stopped.set
        )
        transfers = TwilioCallControl(self.access.rest(self.state), start.call_sid)
        transport.transfers = transfers.transfers
        control = PipelineCallControl(transfer=transfers.transfer)
        session = new_call(
            engines=engines,
            transport=transport,
            kind=Transport.WS,
            sample_rate=PIPELINE_RATE,
            caller=start.custom.get("caller"),
            control=control,
        )

        @transport.event_handler("on_client_disconnected")
        async def _gone(_transport: Any, _ws: Any) -> None:
            self.gone.set()

        self.state.calls[session.call_id] = session
        log.info("media stream %s: call %s started", self.tag, session.call_id)
        run = asyncio.create_task(session.run(), name=f"ws-call-{session.call_id}")
        try:
            await self._supervise(run, transport, session, start)
        finally:
            self.state.calls.pop(session.call_id, None)
            stats = transport.serializer.stats
            log.info(
                "media stream %s: call %s ended (%d messages, %d skipped, %d audio bytes dropped)",
                self.tag, session.call_id, stats.messages, stats.malformed, stats.dropped_audio_bytes,
            )

    async def _supervise(self, run: asyncio.Task[None], transport: TwilioMediaTransport, session: Any, start: Start) -> None:
        stats = transport.serializer.stats
        waits = {asyncio.ensure_future(self.stopped.wait()), asyncio.ensure_future(self.gone.wait())}
        try:
            while not run.done():
                done, _ = await asyncio.wait({run, *waits}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED)
                if self.stopped.is_set():
                    if start.custom.get("report") == "turns":
                        report = {"event": "dialphone.report", **final_report(session)}
                        report["stream"] = {"messages": stats.messages, "skipped": stats.malformed,
                                            "dropped_audio_bytes": stats.dropped_audio_bytes,
                                            "marks_echoed": stats.marks_echoed, "dtmf": stats.dtmf}
                        await transport.send_event(report)
                    await session.end("stream_stopped")
                    break
                if self.gone.is_set():
                    await session.cancel("disconnected")
                    break
                if time.monotonic() - stats.last_message_at > IDLE_TIMEOUT_S:
                    log.warning("media stream %s: idle for %.0f s, hanging up", self.tag, IDLE_TIMEOUT_S)
                    await session.end("idle_timeout")
                    break
            try:
                await asyncio.wait_for(asyncio.shield(run), timeout=END_TIMEOUT_S)
            except TimeoutError:
                await session.cancel()
                with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(run, timeout=END_TIMEOUT_S)
            except Exception as exc:  # the call failed; this stream ends, the server goes on
                log.error("media stream %s: call failed (%s)", self.tag, type(exc).__name__)
        finally:
            for w in waits:
                w.cancel()
            if not run.done():
                run.cancel()
            if not transport.closing:
                await self._close(CLOSE_NORMAL, "call ended")

    async def _close(self, code: int, reason: str) -> None:
        if self.ws.application_state == WebSocketState.DISCONNECTED or self.ws.client_state == WebSocketState.DISCONNECTED:
            return
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, reason=reason)
