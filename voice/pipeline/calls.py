"""Call set-up shared by every transport: one entry point from "a call arrived" to "it ended".

Transports (SIP, WebSocket media streams, WebRTC, in-process) build their pipecat transport and a
call control, then ``await run_call(...)``. Here the call's opt-out is resolved
(:func:`voice.ivr.optout.resolve`) and the :class:`~voice.ivr.IvrSwitch` goes in front of every model:
an opted-out call plays the DTMF menu from its first frame, any other call can switch to it
mid-call (key 0, "agent", "no AI", a rejected transfer). Running calls are listed in
:func:`live_calls` (the admin API's live view).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from pipecat.transports.base_transport import BaseTransport

from concierge.config import Transport
from voice.ivr import IvrPrompts, IvrSwitch, prerender
from voice.ivr.optout import OptOutDecision, OptOutList, registered_list, resolve
from voice.pipeline.admission import overflow
from voice.pipeline.engines import Engines
from voice.pipeline.ivr_control import IvrCallControl
from voice.pipeline.session import CallSession

log = logging.getLogger("dialphone.calls")


def live_calls(engines: Engines) -> dict[str, CallSession]:
    """The calls running on ``engines`` now, by call id (listed from pipeline start to end)."""
    return engines.live_calls


def optout_list(engines: Engines) -> OptOutList | None:
    """The caller opt-out list of the engines' workspace: ``engines.optouts`` when set, else the
    list the admin store registered (:func:`voice.ivr.optout.register_list`), else None."""
    found = engines.optouts
    if isinstance(found, OptOutList):
        return found
    return registered_list(engines.workspace.id)


def _warm_ivr(engines: Engines) -> None:
    """Pre-render the IVR's extra prompts once per workspace version, on the TTS thread."""
    ws = engines.workspace
    if engines.ivr_warm_for is ws:
        return
    engines.ivr_warm_for = ws
    executor = getattr(engines, "tts_executor", None)
    if executor is None:
        return
    try:
        executor.submit(prerender, ws, engines.prompts)
    except RuntimeError:  # the executor is shutting down
        pass


def new_call(
    *,
    engines: Engines,
    transport: BaseTransport,
    kind: Transport,
    sample_rate: int,
    caller: str | None = None,
    call_id: str | None = None,
    control: Any = None,
    optouts: OptOutList | None = None,
) -> CallSession:
    """Build the call's pipeline (not started). ``caller`` is the caller's number or identity.

    ``optouts`` overrides the engines' opt-out list (see :func:`optout_list`). Each of
    ``engines.call_hooks`` runs with the new session, in the caller's task.
    """
    ws = engines.workspace
    optouts = optouts if optouts is not None else optout_list(engines)
    decision: OptOutDecision = overflow(engines, resolve(ws, caller, optouts), kind)
    _warm_ivr(engines)
    prompts = IvrPrompts(ws, sample_rate, engines.prompts, executor=getattr(engines, "tts_executor", None))
    switch = IvrSwitch(
        workspace=ws,
        prompts=prompts,
        transport=kind,
        call_id=call_id or "",
        audit=None,
        optout=None if decision.ai else (decision.scope, decision.trigger),  # type: ignore[arg-type]
        caller=caller,
        optouts=optouts,
    )
    calls = live_calls(engines)
    ivr_control = IvrCallControl(inner=control, switch=switch)
    session = CallSession(
        engines=engines,
        transport=transport,
        kind=kind,
        sample_rate=sample_rate,
        caller=caller,
        call_id=call_id,
        control=ivr_control,
        front=[switch],
        ai=decision.ai,
    )
    switch.bind_session(session, control=ivr_control)

    def running(now: bool) -> None:
        if now:
            calls[session.call_id] = session
        else:
            calls.pop(session.call_id, None)

    switch.set_on_running(running)
    session.optout = decision  # type: ignore[attr-defined]
    session.ivr = switch  # type: ignore[attr-defined]
    for hook in engines.call_hooks:
        hook(session)
    return session


async def run_call(**kwargs: Any) -> CallSession:
    """Build and run a call to its end; returns the finished session (its log, transfers, events)."""
    session = new_call(**kwargs)
    started = time.monotonic()
    try:
        await session.run()
    finally:
        # the IVR switch takes the call off the live list when a CancelFrame reaches it; a call
        # cancelled right after its pipeline started can end without one reaching it
        live_calls(session.engines).pop(session.call_id, None)
        log.info("call %s ended after %.1fs", session.call_id, time.monotonic() - started)
    return session
