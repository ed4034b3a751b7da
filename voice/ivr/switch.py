"""The IVR switch: a pipecat processor right after the transport input, before any model.

In AI mode it passes every frame on, except the opt-out key (:data:`voice.ivr.optout.OPTOUT_DIGIT`)
pressed alone (no other key within :data:`OPTOUT_HOLD_S` before or after it, so a 0 inside a
keyed-in number stays a digit), which switches the call to the IVR. In IVR mode it keeps caller
audio, DTMF and text away from everything downstream (ASR, redaction and the brain never see this call's audio again), plays
pre-rendered prompts downstream to the transport output, and routes on the caller's digits.

Set-up opt-out: the switch starts in IVR mode and plays the greeting on the pipeline's
``StartFrame``. Mid-call: :meth:`IvrSwitch.take_over` (the call control's ``to_ivr``) interrupts the
bot and plays the menu at once. The switch decides nothing about the call's state: the opt-out key,
the IVR's transfers and its goodbye go through the call's authority (the concierge's
:class:`~concierge.session.ConciergeCall`: ``to_ivr``, ``ivr_route``, ``hangup``), which checks
the state at that moment (a lone 0 pressed while a transfer is executing waits for it, and finds
the call transferred). Audit: ``optout.applied`` when an opt-out takes effect, ``ivr.routed`` before
each transfer the IVR makes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

from pipecat.frames.frames import (
    CancelFrame,
    ControlFrame,
    DataFrame,
    EndFrame,
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    OutputAudioRawFrame,
    StartFrame,
    SystemFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from audit.payloads import OptOutScope
from concierge.config import Transport, Workspace
from voice.ivr.menu import MENU_NAME, ArmTimer, Hangup, MenuMachine, Play, PromptKey, Remember, Route
from voice.ivr.optout import OPTOUT_DIGIT, OptOutList
from voice.ivr.prompts import IvrPrompts

log = logging.getLogger("dialphone.ivr")

#: The opt-out key counts when pressed alone: no other key this long before or after it.
OPTOUT_HOLD_S = 0.8

#: Reasons for which the menu offers to remember the caller's choice (with their consent).
CALLER_REASONS = frozenset({"caller_requested_human", "dtmf_0"})


def selection_id(digit: str) -> str:
    """The audit form of a key: ``dtmf-1``, ``dtmf-star``, ``dtmf-hash`` (identifiers only)."""
    return "dtmf-" + {"*": "star", "#": "hash"}.get(digit, digit)


class Mode(Enum):
    AI = "ai"
    IVR = "ivr"


class Emitter(Protocol):
    async def emit(
        self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str, durable: bool = False
    ) -> None: ...


class Control(Protocol):
    async def transfer(self, department: str, target: str) -> Any: ...  # truthy when confirmed

    async def hangup(self, reason: str) -> None: ...


@dataclass(slots=True)
class IvrTimings:
    """Monotonic times, for tests and the bench: when the IVR took over, played, routed."""

    engaged_at: float = 0.0
    first_audio_at: float = 0.0
    last_digit_at: float = 0.0
    routed_at: float = 0.0


@dataclass(frozen=True, slots=True)
class _Start:
    reason: str | None


@dataclass(frozen=True, slots=True)
class _Digit:
    digit: str


@dataclass(frozen=True, slots=True)
class _Timeout:
    generation: int


_Event = _Start | _Digit | _Timeout


class IvrSwitch(FrameProcessor):
    """AI or IVR for one call. ``bind`` gives it the call's control and concierge state."""

    def __init__(
        self,
        *,
        workspace: Workspace,
        prompts: IvrPrompts,
        transport: Transport,
        call_id: str,
        audit: Emitter | None,
        optout: tuple[OptOutScope, str] | None = None,
        caller: str | None = None,
        optouts: OptOutList | None = None,
        on_running: Callable[[bool], None] | None = None,
        **kwargs: Any,
    ) -> None:
        """``on_running(True)`` when the call's pipeline starts, ``(False)`` when it ends."""
        super().__init__(**kwargs)
        self._on_running = on_running
        self._held_zero: InputDTMFFrame | None = None
        self._hold: asyncio.Task[None] | None = None
        self._last_digit_at = float("-inf")
        self._ws = workspace
        self._prompts = prompts
        self._transport = transport
        self._call_id = call_id
        self._audit = audit
        self._caller = caller
        self._optouts = optouts
        self._setup_optout = optout
        self.mode = Mode.IVR if optout is not None else Mode.AI
        self.machine: MenuMachine | None = None
        self.timings = IvrTimings()
        self.control: Control | None = None
        self.concierge: Any = None
        # Secure keypad capture running: every key is part of the number, a lone 0 included.
        self.capturing: Callable[[], bool] = lambda: False
        self._events: asyncio.Queue[_Event] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._timer: asyncio.Task[None] | None = None
        self._timer_gen = 0
        self._play_end = 0.0

    def set_on_running(self, on_running: Callable[[bool], None] | None) -> None:
        self._on_running = on_running

    def bind_session(self, session: Any, *, control: Control) -> None:
        """Wire the built call: its id, audit view, control and concierge state."""
        self._call_id = session.call_id
        self._audit = session.audit
        self.control = control
        self.concierge = getattr(session, "concierge", None)
        guard = getattr(session, "guard", None)
        if guard is not None:
            self.capturing = lambda: guard.capturing is not None

    # -- frames -------------------------------------------------------------
    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if direction is FrameDirection.UPSTREAM:
            await self.push_frame(frame, direction)
            return
        if isinstance(frame, StartFrame):
            if self._on_running is not None:
                self._on_running(True)
            await self.push_frame(frame, direction)
            self._worker = self.create_task(self._run(), "ivr-worker")
            if self.mode is Mode.IVR:
                await self._take_over(None)
            return
        if isinstance(frame, (EndFrame, CancelFrame)):
            await self._stop()
            await self.push_frame(frame, direction)
            return
        if self.mode is Mode.AI:
            if isinstance(frame, InputDTMFFrame):
                await self._ai_digit(frame)
                return
            await self.push_frame(frame, direction)
            return
        # IVR mode: nothing the caller sends goes past this point.
        if isinstance(frame, InputDTMFFrame):
            self.timings.last_digit_at = time.monotonic()
            self._events.put_nowait(_Digit(frame.button.value))
            return
        if isinstance(frame, (InputAudioRawFrame, DataFrame)):
            return
        if isinstance(frame, (SystemFrame, ControlFrame)):
            await self.push_frame(frame, direction)

    async def _ai_digit(self, frame: InputDTMFFrame) -> None:
        """The opt-out key alone switches to the IVR; a 0 inside digit entry (an account or card
        number keyed in during the AI conversation) is passed on with its neighbours."""
        now = time.monotonic()
        if self.capturing():
            self._last_digit_at = now
            await self.push_frame(frame)
            return
        held, self._held_zero = self._held_zero, None
        if held is not None:
            self._cancel_hold()
            await self.push_frame(held)
        elif frame.button.value == OPTOUT_DIGIT and now - self._last_digit_at > OPTOUT_HOLD_S:
            self._held_zero = frame
            self._hold = asyncio.get_running_loop().create_task(self._zero_alone(), name="ivr-optout-key")
            return
        self._last_digit_at = now
        await self.push_frame(frame)

    async def _zero_alone(self) -> None:
        await asyncio.sleep(OPTOUT_HOLD_S)
        if self._held_zero is not None and self.mode is Mode.AI:
            self._held_zero = None
            await self.engage("dtmf_0", optout_trigger="dtmf_0")

    def _cancel_hold(self) -> None:
        if self._hold is not None and self._hold is not asyncio.current_task():
            self._hold.cancel()
        self._hold = None

    async def engage(self, reason: str, *, optout_trigger: str | None = None) -> bool:
        """Leave the AI loop now, through the call's authority (False when the call's state does not
        allow it: already in the IVR, transferring, transferred). ``optout_trigger`` records a mid-call
        opt-out."""
        call = self.concierge
        if call is not None:
            return bool(await call.to_ivr(reason, trigger=optout_trigger, actor="ivr"))
        if self.mode is Mode.IVR:  # a switch without a concierge (never in a server call)
            return False
        if optout_trigger is not None:
            await self._emit(
                "optout.applied", {"scope": str(OptOutScope.MID_CALL), "trigger": optout_trigger}, durable=True
            )
        await self.take_over(reason)
        return True

    async def take_over(self, reason: str) -> None:
        """The IVR takes the pipeline now (the call's authority already moved the call to the IVR)."""
        if self.mode is Mode.IVR:
            return
        self.mode = Mode.IVR
        await self._take_over(reason)

    async def _take_over(self, reason: str | None) -> None:
        self.timings.engaged_at = time.monotonic()
        offer = (
            reason in CALLER_REASONS and bool(self._caller) and self._optouts is not None
        )
        self.machine = MenuMachine(self._ws, transport=self._transport, offer_remember=offer)
        self._events.put_nowait(_Start(reason))

    # -- the IVR worker: one event at a time --------------------------------
    async def _run(self) -> None:
        while True:
            event = await self._events.get()
            try:
                await self._handle(event)
            except Exception:  # one bad step must not end the call: log the kind only
                log.exception("ivr step failed (call %s)", self._call_id)

    async def _handle(self, event: _Event) -> None:
        machine = self.machine
        if machine is None:
            return
        if isinstance(event, _Start):
            lead = self._prompts.lead_in(event.reason) if event.reason else None
            actions = machine.start(lead_in=(lead,) if lead else ())
            if event.reason is not None:
                await self.broadcast_interruption()  # stop the bot mid-sentence
                self._play_end = 0.0
        elif isinstance(event, _Digit):
            actions = machine.digit(event.digit)
        elif event.generation == self._timer_gen:
            actions = machine.timeout()
        else:
            return
        for action in actions:
            await self._execute(action)
        if isinstance(event, _Start) and event.reason is None and self._setup_optout is not None:
            scope, trigger = self._setup_optout  # recorded once the greeting is on its way
            await self._emit("optout.applied", {"scope": str(scope), "trigger": trigger})

    async def _execute(self, action: Play | ArmTimer | Route | Remember | Hangup) -> None:
        if isinstance(action, Route):
            await self._route(action)
        elif isinstance(action, Play):
            await self._play(action.prompts, interrupt=action.interrupt)
        elif isinstance(action, ArmTimer):
            self._arm(action.seconds)
        elif isinstance(action, Remember):
            await self._remember()
        else:
            self._cancel_timer()
            await asyncio.sleep(max(0.0, self._play_end - time.monotonic()))
            await self._hangup(action.reason)

    async def _hangup(self, reason: str) -> None:
        call = self.concierge
        if call is not None:
            await call.hangup(reason, by_ivr=True)
        elif self.control is not None:
            await self.control.hangup(reason)

    async def _route(self, route: Route) -> None:
        self._cancel_timer()
        await self._emit(
            "ivr.routed",
            {"menu": MENU_NAME, "selection": selection_id(route.digit), "department": route.department},
            durable=True,
        )
        ok = False
        try:
            if self.concierge is not None:  # under the call's authority: the state is checked as it runs
                ok = bool(await self.concierge.ivr_route(route.department, route.target))
            elif self.control is not None:
                ok = bool(await self.control.transfer(route.department, route.target))
        except Exception as exc:  # a transport failure is an outcome of the call, not a crash
            log.warning("ivr transfer failed (call %s): %s", self._call_id, type(exc).__name__)
        self.timings.routed_at = time.monotonic()
        if ok:
            await self.broadcast_interruption()  # the menu stops as the transfer starts
        else:
            await self._hangup("ivr_transfer_failed")

    async def _play(self, keys: tuple[PromptKey, ...], *, interrupt: bool) -> None:
        now = time.monotonic()
        if interrupt and self._play_end > now:
            await self.broadcast_interruption()
            self._play_end = now
        for key in keys:
            pcm = await self._prompts.audio(key)
            if not pcm:
                continue
            await self.push_frame(OutputAudioRawFrame(audio=pcm, sample_rate=self._prompts.rate, num_channels=1))
            if not self.timings.first_audio_at:
                self.timings.first_audio_at = time.monotonic()
            self._play_end = max(self._play_end, time.monotonic()) + len(pcm) / 2 / self._prompts.rate

    def _arm(self, seconds: float) -> None:
        self._cancel_timer()
        self._timer_gen += 1
        gen = self._timer_gen
        deadline = max(self._play_end, time.monotonic()) + seconds

        async def fire() -> None:
            await asyncio.sleep(max(0.0, deadline - time.monotonic()))
            self._events.put_nowait(_Timeout(gen))

        self._timer = asyncio.get_running_loop().create_task(fire(), name="ivr-timer")

    def _cancel_timer(self) -> None:
        self._timer_gen += 1
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _remember(self) -> None:
        if self._optouts is None or not self._caller:
            return
        await asyncio.to_thread(
            self._optouts.remember, self._ws.id, self._caller, source="caller_consent", actor="caller"
        )

    async def _emit(self, event_type: str, payload: dict[str, object], *, durable: bool = False) -> None:
        if self._audit is not None:
            await self._audit.emit(event_type, payload, call_id=self._call_id, actor="ivr", durable=durable)

    async def _stop(self) -> None:
        if self._on_running is not None:
            self._on_running(False)
        self._cancel_hold()
        self._cancel_timer()
        if self._worker is not None:
            await self.cancel_task(self._worker)
            self._worker = None
