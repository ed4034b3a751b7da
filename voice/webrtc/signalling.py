"""WebRTC signalling (``POST /api/call-token``, ``POST /api/offer``) and the browser page (``GET /``).

``POST /api/call-token`` hands the page a short-lived, single-use call token (rate-limited per client
address: 429 with ``Retry-After``; :mod:`voice.webrtc.admission`). ``POST /api/offer`` takes
``{"sdp", "type": "offer", "token", "pc_id"?}`` (non-trickle: the offer carries its candidates) and
answers ``{"sdp", "type": "answer", "pc_id"}`` with host candidates only. Each new peer connection
is one call, run until the peer hangs up or disconnects, and counts against ``sip.max_calls`` from
the moment its offer is admitted: a ``pc_id`` that is not a live call of this process is a new call.
While it runs, the peer gets its tokenized transcript and routing decisions over the data channel
(:mod:`voice.pipeline.report`). Errors: 400 for a bad offer (no detail echoed), 401 without a valid
call token, 503 with ``Retry-After`` at capacity or before the models are loaded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse
from pipecat.transports.smallwebrtc.connection import SmallWebRTCConnection
from pipecat.transports.smallwebrtc.request_handler import SmallWebRTCRequest, SmallWebRTCRequestHandler
from pydantic import BaseModel, ConfigDict, Field

from concierge.config import Transport
from voice.pipeline.call_control import PipelineCallControl
from voice.pipeline.calls import new_call
from voice.pipeline.report import CallReporter, final_report
from voice.pipeline.server_state import ServerState
from voice.webrtc.admission import Admission, AdmissionError, CallTokens, RateLimiter, Slot
from voice.webrtc.transport import PIPELINE_RATE, WebRtcCall, host_candidates_only

log = logging.getLogger("dialphone.webrtc")

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC_FILES = {"app.js": "text/javascript", "style.css": "text/css"}
MAX_SDP_CHARS = 20_000
CONNECT_TIMEOUT_S = 30.0
END_TIMEOUT_S = 10.0


class OfferBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    sdp: str = Field(min_length=10, max_length=MAX_SDP_CHARS)
    type: Literal["offer"]
    pc_id: str | None = Field(default=None, max_length=200)
    restart_pc: bool | None = None
    token: str | None = Field(default=None, max_length=200)


def _plausible_offer(sdp: str) -> bool:
    """An offer we can answer: SDP with an audio section, ICE credentials and a DTLS fingerprint."""
    lines = sdp.splitlines()
    return (
        bool(lines)
        and lines[0].strip() == "v=0"
        and any(ln.startswith("m=audio ") for ln in lines)
        and any(ln.startswith("a=ice-ufrag:") for ln in lines)
        and any(ln.startswith("a=fingerprint:") for ln in lines)
    )


def _max_calls(state: ServerState) -> int:
    sip = getattr(state.workspace, "sip", None)
    return int(getattr(sip, "max_calls", 32) or 32)


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def webrtc_router(
    state: ServerState, *, tokens: CallTokens | None = None, limiter: RateLimiter | None = None
) -> APIRouter:
    router = APIRouter(tags=["webrtc"])
    handler = SmallWebRTCRequestHandler(ice_servers=[])
    calls = WebRtcCalls(state)
    tokens = tokens or CallTokens()
    # A process may bring its own limiter (``state.webrtc_limiter``: a deployment's rates, a test's).
    limiter = limiter or getattr(state, "webrtc_limiter", None) or RateLimiter()

    @router.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(WEB_DIR / "index.html", media_type="text/html")

    @router.get("/static/{name}", include_in_schema=False)
    async def static(name: str) -> FileResponse:
        if name not in STATIC_FILES:
            raise HTTPException(status_code=404)
        return FileResponse(WEB_DIR / name, media_type=STATIC_FILES[name])

    @router.post("/api/call-token")
    async def call_token(request: Request) -> dict[str, object]:
        address = _address(request)
        wait = limiter.take(address)
        if wait > 0:
            raise HTTPException(status_code=429, detail="too many calls from this address",
                                headers={"Retry-After": str(max(1, int(wait + 0.999)))})
        return {"token": tokens.issue(address), "expires_in": tokens.ttl_s}

    @router.post("/api/offer")
    async def offer(body: OfferBody, request: Request) -> dict[str, str]:
        if not state.ready or state.engines is None:
            raise HTTPException(status_code=503, detail="starting", headers={"Retry-After": "5"})
        if not _plausible_offer(body.sdp):
            raise HTTPException(status_code=400, detail="bad offer")
        try:
            tokens.redeem(body.token, _address(request))
        except AdmissionError as exc:
            log.warning("webrtc offer refused (%s)", exc.reason)
            raise HTTPException(status_code=401, detail="call token missing or invalid") from None
        # A pc_id names a live call only when it is one of ours; anything else is a new connection.
        renegotiate = body.pc_id is not None and body.pc_id in calls.live
        slot: Slot | None = None
        if not renegotiate:
            overload = state.engines.admission
            if overload.refuses(Transport.WEBRTC):  # the workspace refuses calls the AI cannot take now
                raise HTTPException(status_code=503, detail="overloaded",
                                    headers={"Retry-After": str(overload.retry_after_s())})
            slot = calls.admission.reserve(len(state.calls), _max_calls(state))
            if slot is None:
                raise HTTPException(status_code=503, detail="at capacity", headers={"Retry-After": "5"})
        request_ = SmallWebRTCRequest(sdp=body.sdp, type=body.type, pc_id=body.pc_id if renegotiate else None,
                                      restart_pc=body.restart_pc)
        try:
            answer = await handler.handle_web_request(request_, lambda conn: calls.start(conn, slot))
        except HTTPException:
            raise
        except Exception as exc:
            log.warning("webrtc offer refused (%s)", type(exc).__name__)
            raise HTTPException(status_code=400, detail="bad offer") from None
        finally:
            if slot is not None and not calls.claimed(slot):
                slot.release()  # no call started on it
        if answer is None:
            raise HTTPException(status_code=400, detail="bad offer")
        return {"sdp": host_candidates_only(answer["sdp"]), "type": answer["type"], "pc_id": answer["pc_id"]}

    return router


class WebRtcCalls:
    """Runs one call per new peer connection and keeps the tasks referenced. A call holds its
    admission slot until it is registered among the process's calls (then that count covers it)."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self.tasks: set[asyncio.Task[None]] = set()
        self.admission = Admission()
        self.live: set[str] = set()  # pc_ids of the peer connections whose calls run here
        self._claimed: set[int] = set()

    def claimed(self, slot: Slot) -> bool:
        return id(slot) in self._claimed

    async def start(self, connection: SmallWebRTCConnection, slot: Slot | None = None) -> None:
        if slot is not None:
            self._claimed.add(id(slot))
        self.live.add(connection.pc_id)
        task = asyncio.create_task(self._run(connection, slot), name=f"webrtc-{connection.pc_id[-8:]}")
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _run(self, connection: SmallWebRTCConnection, slot: Slot | None = None) -> None:
        try:
            await self._call(connection, slot)
        finally:
            self.live.discard(connection.pc_id)
            if slot is not None:
                self._claimed.discard(id(slot))
                slot.release()

    async def _call(self, connection: SmallWebRTCConnection, slot: Slot | None) -> None:
        ended = asyncio.Event()
        hung_up = asyncio.Event()
        connected = asyncio.Event()

        def hangup() -> None:
            hung_up.set()
            ended.set()

        engines = self.state.engines
        assert engines is not None  # the offer route admits a call only once the engines are loaded
        call = WebRtcCall(connection, on_hangup=hangup)
        session = new_call(
            engines=engines,
            transport=call.transport,
            kind=Transport.WEBRTC,
            sample_rate=PIPELINE_RATE,
            control=PipelineCallControl(transfer=call.transfer),
        )

        @call.transport.event_handler("on_client_connected")
        async def _connected(_t: Any, _c: Any) -> None:
            connected.set()

        @call.transport.event_handler("on_client_disconnected")
        async def _gone(_t: Any, _c: Any) -> None:
            ended.set()

        reporter = CallReporter(session, call.send_async)
        self.state.calls[session.call_id] = session
        if slot is not None:
            self._claimed.discard(id(slot))
            slot.release()  # the process's call count holds this call from now on
        call.send({"type": "dialphone.call", "state": "started"})
        log.info("webrtc call %s started", session.call_id)
        run = asyncio.create_task(session.run(), name=f"webrtc-call-{session.call_id}")
        reporter.start()
        try:
            first = [asyncio.ensure_future(connected.wait()), asyncio.ensure_future(ended.wait())]
            await asyncio.wait({run, *first}, timeout=CONNECT_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
            for f in first:
                f.cancel()
            if not connected.is_set():
                log.warning("webrtc call %s: peer never connected", session.call_id)
                ended.set()
            waiter = asyncio.ensure_future(ended.wait())
            await asyncio.wait({run, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if hung_up.is_set():  # the peer is still there: its last word is the call's report
                await reporter.stop()
                call.send(final_report(session))
            if not run.done():
                why = "caller_hangup" if hung_up.is_set() else "disconnected" if connected.is_set() else "never_connected"
                await session.end(why)
                try:
                    await asyncio.wait_for(asyncio.shield(run), timeout=END_TIMEOUT_S)
                except TimeoutError:
                    await session.cancel(why)
        except Exception as exc:
            log.error("webrtc call %s failed (%s)", session.call_id, type(exc).__name__)
        finally:
            with contextlib.suppress(Exception):
                await reporter.stop()
            self.state.calls.pop(session.call_id, None)
            if not run.done():
                run.cancel()
            with contextlib.suppress(Exception):
                await connection.disconnect()
            log.info("webrtc call %s ended", session.call_id)
