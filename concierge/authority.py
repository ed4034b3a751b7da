"""One authority per call: the call's state machine, and the lock every action on the call takes.

A call is in exactly one :class:`CallMode` at a time, and :meth:`CallAuthority.move` is the only
place that changes it, against :data:`TRANSITIONS`::

    AI ──────────────┬──> TRANSFERRING ──> HANDED_OFF ──> ENDED
     │               │        │  (failed: back to where it came from)
     └──> IVR ───────┘        └──> AI | IVR
    any ──> ENDED    (the call is over; nothing moves it again)

An action on the call (an AI transfer, the IVR's routing, the hand-over to the IVR, an approval
request, a hang-up) runs inside ``async with authority.acting(action) as permit``: the actions of
one call are serialized by that lock, and ``permit.refusal`` says, at the moment the action is
about to execute, why it may not (the mode does not allow it, or the caller opted out). What may
run in which mode is :data:`ALLOWED`. The lock is re-entrant for the task that holds it, so a
step that is already acting (a rejected approval sending the caller to the menu) can take the next
one. Ending the call needs no lock: :meth:`CallAuthority.end` wins over anything in flight, and an
action that finishes afterwards finds the call ended.

No I/O here: the concierge (:mod:`concierge.session`, :mod:`concierge.transfers`) does the audited
work under the permit; the voice layer reads :attr:`CallAuthority.mode` and is told of every move
through :meth:`CallAuthority.subscribe`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import StrEnum

from concierge.exceptions import CallStateError
from concierge.gate import CallState, RuleId


class CallMode(StrEnum):
    AI = "ai"  # the concierge (ASR, redaction, brain) has the call
    IVR = "ivr"  # the plain DTMF menu has it; no model touches the call again
    TRANSFERRING = "transferring"  # a transfer is being executed by the transport
    HANDED_OFF = "handed_off"  # the transport confirmed the transfer: the call is someone else's
    ENDED = "ended"


class Action(StrEnum):
    TRANSFER = "transfer"  # the AI's transfer (after the gate)
    REQUEST_APPROVAL = "request_approval"  # queue a transfer for a supervisor
    TO_IVR = "to_ivr"  # hand the call to the plain IVR
    HANGUP = "hangup"  # the AI ends the call
    IVR_ROUTE = "ivr_route"  # the IVR transfers on the caller's key
    IVR_HANGUP = "ivr_hangup"  # the IVR ends the call (goodbye)
    SAY = "say"  # a fixed line from the concierge (holding message)


TRANSITIONS: dict[CallMode, frozenset[CallMode]] = {
    CallMode.AI: frozenset({CallMode.IVR, CallMode.TRANSFERRING, CallMode.ENDED}),
    CallMode.IVR: frozenset({CallMode.TRANSFERRING, CallMode.ENDED}),
    CallMode.TRANSFERRING: frozenset({CallMode.HANDED_OFF, CallMode.AI, CallMode.IVR, CallMode.ENDED}),
    CallMode.HANDED_OFF: frozenset({CallMode.ENDED}),
    CallMode.ENDED: frozenset(),
}

ALLOWED: dict[CallMode, frozenset[Action]] = {
    CallMode.AI: frozenset({Action.TRANSFER, Action.REQUEST_APPROVAL, Action.TO_IVR, Action.HANGUP, Action.SAY}),
    CallMode.IVR: frozenset({Action.IVR_ROUTE, Action.IVR_HANGUP}),
    CallMode.TRANSFERRING: frozenset(),
    CallMode.HANDED_OFF: frozenset(),
    CallMode.ENDED: frozenset(),
}

# Actions of the AI that an opt-out forbids even while the mode would allow them (the gate's rule 1,
# checked again at the moment of execution).
_AI_ACTIONS = frozenset({Action.TRANSFER, Action.REQUEST_APPROVAL, Action.HANGUP, Action.SAY})


@dataclass(frozen=True, slots=True)
class Transition:
    before: CallMode
    after: CallMode
    reason: str
    at: float


@dataclass(frozen=True, slots=True)
class Permit:
    """What :meth:`CallAuthority.acting` yields: ``refusal`` is None when the action may run."""

    action: Action
    mode: CallMode
    refusal: RuleId | None = None

    def __bool__(self) -> bool:
        return self.refusal is None


Listener = Callable[[Transition], None]


class CallAuthority:
    """The state of one call. ``mode=IVR, opted_out=True`` for a call opted out at set-up."""

    def __init__(self, *, mode: CallMode = CallMode.AI, opted_out: bool = False, transfers_executed: int = 0) -> None:
        self._mode = mode
        self._opted_out = opted_out
        self._transfers = transfers_executed
        self._origin = mode  # where a failed transfer goes back to
        self._lock: asyncio.Lock | None = None
        self._holder: asyncio.Task[object] | None = None
        self._depth = 0
        self._listeners: list[Listener] = []
        self.history: list[Transition] = []
        self.actions = 0  # actions that ran under a permit (tests, the bench)

    # -- reading --------------------------------------------------------------------------
    @property
    def mode(self) -> CallMode:
        return self._mode

    @property
    def opted_out(self) -> bool:
        return self._opted_out

    @property
    def transfers_executed(self) -> int:
        return self._transfers

    @property
    def ai_active(self) -> bool:
        """The concierge has the call: the brain may answer, the caller may barge in."""
        return self._mode is CallMode.AI

    def snapshot(self) -> CallState:
        """What the transfer gate needs, as of now."""
        return CallState(transfers_executed=self._transfers, opted_out=self._opted_out)

    def refusal(self, action: Action) -> RuleId | None:
        """Why ``action`` may not run now (None: it may)."""
        if action in _AI_ACTIONS and self._opted_out:
            return RuleId.CALLER_OPTED_OUT
        if action not in ALLOWED[self._mode]:
            return RuleId.CALLER_OPTED_OUT if self._opted_out and action is Action.TO_IVR else RuleId.CALL_HANDED_OFF
        return None

    def subscribe(self, listener: Listener) -> None:
        """``listener(transition)`` after every move (the voice layer follows the mode with it)."""
        self._listeners.append(listener)

    # -- acting ---------------------------------------------------------------------------
    @asynccontextmanager
    async def acting(self, action: Action) -> AsyncIterator[Permit]:
        """Serialize ``action`` with every other action of the call and say whether it may run now."""
        task = asyncio.current_task()
        if self._holder is not None and self._holder is task:  # re-entrant for the acting task
            self._depth += 1
            try:
                yield self._permit(action)
            finally:
                self._depth -= 1
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            self._holder, self._depth = task, 1
            try:
                yield self._permit(action)
            finally:
                self._holder, self._depth = None, 0

    def _permit(self, action: Action) -> Permit:
        permit = Permit(action, self._mode, self.refusal(action))
        if permit:
            self.actions += 1
        return permit

    @property
    def held(self) -> bool:
        """True inside an ``acting`` block of the current task."""
        return self._holder is not None and self._holder is asyncio.current_task()

    # -- the one place the state changes --------------------------------------------------
    def move(self, to: CallMode, reason: str) -> bool:
        """Change the mode. Only inside ``acting`` (except to ENDED); a move the table does not allow
        raises :class:`CallStateError`, except from ENDED, which stays ENDED (returns False)."""
        before = self._mode
        if before is CallMode.ENDED:
            return False
        if to is not CallMode.ENDED and not self.held:
            raise CallStateError(f"move {before} -> {to} outside an action")
        if to is before:
            return True
        if to not in TRANSITIONS[before]:
            raise CallStateError(f"no transition {before} -> {to}")
        if to is CallMode.TRANSFERRING:
            self._origin = before
        elif to is CallMode.HANDED_OFF and self._origin is CallMode.AI:
            self._transfers += 1
        self._mode = to
        change = Transition(before, to, reason, time.monotonic())
        self.history.append(change)
        for listener in list(self._listeners):
            listener(change)
        return True

    def back(self, reason: str) -> bool:
        """A transfer that did not happen: back to the mode it started from."""
        return self.move(self._origin, reason) if self._mode is CallMode.TRANSFERRING else False

    def opt_out(self) -> None:
        """The caller opted out of AI handling (only inside ``acting``; never undone)."""
        if not self.held:
            raise CallStateError("opt-out outside an action")
        self._opted_out = True

    def end(self, reason: str) -> bool:
        """The call is over (the line hung up, the pipeline ended): no lock, wins over anything."""
        return self.move(CallMode.ENDED, reason)
