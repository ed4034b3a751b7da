"""Per-call concierge state shared by the brain, its tools and the transfer coordinator.

The call's state lives in one :class:`~concierge.authority.CallAuthority`; the actions that are not
transfers (hand the call to the IVR, hang up, the IVR's own routing, a fixed line) are here, each
under the authority's permit, so every one of them checks the call's state at the moment it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from concierge.approvals import ApprovalQueue, InMemoryApprovalQueue
from concierge.audit_sink import AuditSink, EventType
from concierge.authority import Action, CallAuthority, CallMode
from concierge.call_control import CallControl
from concierge.capture import Boundary, SecureCapture
from concierge.config import Transport, Workspace
from concierge.gate import CallState, utcnow
from concierge.provenance import register_workspace

Hook = Callable[[], Awaitable[None]]


@dataclass(kw_only=True)
class ConciergeCall:
    """One call as the concierge sees it. Build one per call and hand it to the brain factory.

    ``capture`` and ``boundary`` come from the voice layer (:mod:`concierge.capture`).
    ``authority`` holds the call's state (:class:`~concierge.authority.CallAuthority`); ``handed_off``
    is true once the call left the AI loop (IVR, transfer, hang-up): the brains then stay silent.
    Tool calls that act on the call take :meth:`serial` one at a time. ``caller_quiet(seconds)`` (set by the voice layer) resolves True once
    the caller has been silent that long after their last words, False as soon as they speak again;
    without it the caller counts as done.
    """

    call_id: str
    workspace: Workspace
    audit: AuditSink
    control: CallControl
    approvals: ApprovalQueue = field(default_factory=InMemoryApprovalQueue)
    transport: Transport = Transport.INPROC
    clock: Callable[[], datetime] = utcnow
    authority: CallAuthority = field(default_factory=CallAuthority)
    failures: int = 0
    caller_quiet: Callable[[float], Awaitable[bool]] | None = None
    capture: SecureCapture | None = None  # secure keypad capture, where the transport has a keypad
    boundary: Boundary | None = None  # the call's egress check (every text leaving for a model or a person)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _serial: asyncio.Lock | None = None

    def __post_init__(self) -> None:
        register_workspace(self.workspace)  # the workspace's own numbers pass the audit's raw-data check

    @property
    def state(self) -> CallState:
        """What the transfer gate sees (a snapshot of the authority)."""
        return self.authority.snapshot()

    @property
    def handed_off(self) -> bool:
        """True once the AI no longer has the call (IVR, transferring, transferred, ended)."""
        return not self.authority.ai_active

    def serial(self) -> asyncio.Lock:
        """The lock that runs the tool calls acting on this call one at a time, in the model's order."""
        if self._serial is None:
            self._serial = asyncio.Lock()
        return self._serial

    async def emit(self, event_type: str, payload: dict[str, object], *, actor: str, durable: bool = False) -> None:
        await self.audit.emit(event_type, payload, call_id=self.call_id, actor=actor, durable=durable)

    # -- actions that are not transfers ------------------------------------------------------
    async def to_ivr(
        self, reason: str, *, trigger: str | None = None, actor: str = "brain", before: Hook | None = None
    ) -> bool:
        """Hand the call to the plain IVR, if the call is still the AI's. ``trigger`` records a mid-call
        opt-out (``optout.applied``, durable, before the hand-over); ``before`` runs once the move is
        decided and before the IVR takes over (a fallback line). False when refused."""
        async with self.authority.acting(Action.TO_IVR) as permit:
            if not permit:
                return False
            if trigger is not None:
                self.authority.opt_out()
                await self.emit(EventType.OPTOUT_APPLIED, {"scope": "mid_call", "trigger": trigger}, actor=actor,
                                durable=True)
            self.authority.move(CallMode.IVR, reason)
            if before is not None:
                await before()
            await self.control.to_ivr(reason)
            return True

    async def hangup(self, reason: str, *, by_ivr: bool = False) -> bool:
        """End the call from our side (the brain's ``end_call``, the IVR's goodbye). False when refused."""
        async with self.authority.acting(Action.IVR_HANGUP if by_ivr else Action.HANGUP) as permit:
            if not permit:
                return False
            self.authority.end(reason)
            await self.control.hangup(reason)
            return True

    async def ivr_route(self, department: str, target: str) -> bool:
        """The IVR's transfer on the caller's key; True when the transport accepted it."""
        async with self.authority.acting(Action.IVR_ROUTE) as permit:
            if not permit:
                return False
            self.authority.move(CallMode.TRANSFERRING, "ivr_route")
            try:
                ok = bool(await self.control.transfer(department, target))
            except BaseException:
                self.authority.back("transfer_error")
                raise
            if ok:
                self.authority.move(CallMode.HANDED_OFF, "ivr_route")
            else:
                self.authority.back("transfer_failed")
            return ok

    async def say(self, text: str) -> bool:
        """A fixed line to the caller, while the AI has the call."""
        if self.authority.refusal(Action.SAY) is not None:
            return False
        await self.control.say(text)
        return True

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a background step of this call (an approval wait) and keep a reference to it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_background(self) -> None:
        """Await every background step (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, reason: str = "call_ended") -> None:
        """The call ended: no action runs from now on; cancel background steps (approval waits)."""
        self.authority.end(reason)
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
