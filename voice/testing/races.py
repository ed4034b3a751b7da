"""The races of one call's authority: two things that act on a call at once, and what must never follow.

Each race builds a call, lets two actions meet the way they meet in a live call, and returns the
audit events and the call-control actions in the order they happened. :func:`violations` names what
one authority per call forbids:

- ``transfer_after_optout``: a ``transfer.executed`` after ``optout.applied``;
- ``transfer_and_ivr``: the call was both transferred and handed to the IVR;
- ``ivr_after_transfer``: the IVR took (or an opt-out was applied to) a call already transferred;
- ``two_transfers``: more than one transfer went out for the call;
- ``transfer_after_hangup``: a transfer after the call was hung up;
- ``executed_without_decision``: a transfer whose proposal's last decision is not ``allow``.

The races, by how they meet:

- ``tools_transfer_and_human``, ``tools_two_transfers``, ``tools_transfer_and_end``: one model turn asks
  for two tools and pipecat runs them at once;
- ``human_during_quiet_wait``, ``brain_failure_during_quiet_wait``: an allowed transfer waits for the
  caller to stay quiet, and meanwhile the caller asks for a person (another turn) or the brain fails
  over to the IVR;
- ``zero_key_during_quiet_wait``, ``zero_key_while_transferring``: a whole pipeline, and the caller
  presses the lone 0 (the opt-out key) while the allowed transfer waits for quiet, or as the transport
  executes it (the IVR holds a lone 0 for 0.8 s, so its take-over lands after the transfer); these
  need the engines (:func:`zero_key_race`);
- ``approval_then_optout``: a supervisor approves after the caller opted out.

``dialphone bench races`` runs each many times (:mod:`voice.testing.race_bench`); the tests run each
once. The harness uses only what a call offers from outside (tools, the coordinator, the IVR key), so
the same races run against older code.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from pipecat.processors.aggregators.llm_context import LLMContext

from concierge.approvals import InMemoryApprovalQueue
from concierge.audit_sink import MemoryAuditSink
from concierge.call_control import RecordingCallControl
from concierge.config import Transport, Workspace
from concierge.gate import TransferProposal
from concierge.guard import TurnGuard
from concierge.session import ConciergeCall
from concierge.tools import ConciergeTools
from concierge.transfers import TransferCoordinator

OPEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # a Saturday at 10:00 in New York: every department open
QUIET_WAIT_S = 0.03


@dataclass
class RaceOutcome:
    race: str
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)  # (action, department or reason), in order
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0


class _Journal:
    """One ordered record of audit events and call-control actions."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str, dict[str, Any]]] = []  # ("event"|"action", name, detail)


class JournalSink(MemoryAuditSink):
    def __init__(self, journal: _Journal) -> None:
        super().__init__()
        self.journal = journal

    async def emit(self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str,
                   durable: bool = False) -> None:
        await super().emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)
        self.journal.items.append(("event", str(event_type), dict(payload)))


class JournalControl(RecordingCallControl):
    def __init__(self, journal: _Journal) -> None:
        super().__init__()
        self.journal = journal
        self.on_transfer: Callable[[], Awaitable[None]] | None = None  # runs as the transport starts

    async def transfer(self, department: str, target: str) -> Any:
        if self.on_transfer is not None:
            hook, self.on_transfer = self.on_transfer, None
            await hook()
        await asyncio.sleep(0.005)  # a transport takes a moment (REFER, a REST call)
        result = await super().transfer(department, target)
        if bool(result):
            self.journal.items.append(("action", "transfer", {"department": department}))
        return result

    async def to_ivr(self, reason: str) -> None:
        await super().to_ivr(reason)
        self.journal.items.append(("action", "to_ivr", {"reason": reason}))

    async def hangup(self, reason: str) -> None:
        await super().hangup(reason)
        self.journal.items.append(("action", "hangup", {"reason": reason}))


def violations(items: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    """What one authority per call forbids, found in an ordered journal (see the module doc)."""
    found: list[str] = []
    opted_out = hung_up = False
    transfers = 0
    ivr = False
    last_decision: dict[str, str] = {}
    for kind, name, detail in items:
        if transfers and ((kind == "event" and name == "optout.applied") or (kind == "action" and name == "to_ivr")):
            found.append("ivr_after_transfer")
        if kind == "event" and name == "optout.applied":
            opted_out = True
        elif kind == "event" and name == "transfer.decided":
            last_decision[str(detail.get("proposal_id"))] = str(detail.get("decision"))
        elif kind == "event" and name == "transfer.executed":
            if opted_out:
                found.append("transfer_after_optout")
            if last_decision.get(str(detail.get("proposal_id"))) != "allow":
                found.append("executed_without_decision")
        elif kind == "action" and name == "transfer":
            transfers += 1
            if hung_up:
                found.append("transfer_after_hangup")
        elif kind == "action" and name == "to_ivr":
            ivr = True
        elif kind == "action" and name == "hangup":
            hung_up = True
    if transfers > 1:
        found.append("two_transfers")
    if transfers and ivr:
        found.append("transfer_and_ivr")
    return sorted(set(found))


def _call(workspace: Workspace, journal: _Journal, quiet: Callable[[float], Awaitable[bool]] | None = None,
          ) -> ConciergeCall:
    ws = copy.deepcopy(workspace)
    ws.transfer.approval_timeout_s = 2.0
    return ConciergeCall(
        call_id=f"race-{uuid.uuid4().hex[:10]}", workspace=ws, audit=JournalSink(journal),
        control=JournalControl(journal), approvals=InMemoryApprovalQueue(), transport=Transport.INPROC,
        clock=lambda: OPEN, caller_quiet=quiet,
    )


def _params(name: str, arguments: dict[str, Any], context: LLMContext) -> Any:
    async def result(_result: Any, *, properties: Any = None) -> None:
        return None

    return SimpleNamespace(function_name=name, tool_call_id=f"toolu_race_{uuid.uuid4().hex[:8]}",
                           arguments=arguments, context=context, result_callback=result)


def _tool(tools: ConciergeTools, name: str, context: LLMContext, **arguments: Any) -> Awaitable[None]:
    handler = getattr(tools, name)
    result: Awaitable[None] = handler(_params(name, dict(arguments), context))
    return result


async def _quiet(seconds: float) -> bool:
    await asyncio.sleep(QUIET_WAIT_S)
    return True


async def _finish(call: ConciergeCall, journal: _Journal, race: str, t0: float) -> RaceOutcome:
    await call.wait_background()
    out = RaceOutcome(race, seconds=time.perf_counter() - t0)
    out.events = [(n, d) for k, n, d in journal.items if k == "event"]
    out.actions = [(n, str(d.get("department") or d.get("reason") or "")) for k, n, d in journal.items
                   if k == "action"]
    out.violations = violations(journal.items)
    return out


async def tools_in_one_turn(workspace: Workspace, race: str, calls: list[tuple[str, dict[str, Any]]]) -> RaceOutcome:
    """The tools of one model turn, started together as pipecat runs them."""
    t0 = time.perf_counter()
    journal = _Journal()
    call = _call(workspace, journal, _quiet)
    tools = ConciergeTools(call)
    context = LLMContext(messages=[{"role": "user", "content": "race"}])
    await asyncio.gather(*(_tool(tools, name, context, **args) for name, args in calls), return_exceptions=True)
    return await _finish(call, journal, race, t0)


async def during_quiet_wait(workspace: Workspace, race: str, other: str) -> RaceOutcome:
    """An allowed transfer waits for quiet; meanwhile ``other`` happens: ``human`` (the caller asks for a
    person, a turn of its own) or ``brain_failure`` (the brain fails over to the IVR)."""
    t0 = time.perf_counter()
    journal = _Journal()
    spawned: list[asyncio.Task[Any]] = []
    holder: dict[str, ConciergeCall] = {}

    async def quiet(seconds: float) -> bool:
        call = holder["call"]
        if other == "human":
            tools = ConciergeTools(call)
            ctx = LLMContext(messages=[{"role": "user", "content": "agent please"}])
            spawned.append(asyncio.ensure_future(_tool(tools, "caller_requests_human", ctx)))
        else:
            guard = TurnGuard(call, model_id="race", prompt_version="race", push=_ignore)

            async def fail_twice() -> None:
                for _ in range(call.workspace.brain.max_failures):
                    await guard.failure("timeout", latency_ms=1.0)

            spawned.append(asyncio.ensure_future(fail_twice()))
        await asyncio.sleep(QUIET_WAIT_S)
        return True

    call = _call(workspace, journal, quiet)
    holder["call"] = call
    tools = ConciergeTools(call)
    context = LLMContext(messages=[{"role": "user", "content": "my bill"}])
    await _tool(tools, "propose_transfer", context, department="billing", reason="billing question")
    await asyncio.gather(*spawned, return_exceptions=True)
    return await _finish(call, journal, race, t0)


async def approval_then_optout(workspace: Workspace, race: str) -> RaceOutcome:
    """A transfer waits for a supervisor; the caller opts out; the supervisor approves."""
    t0 = time.perf_counter()
    journal = _Journal()
    call = _call(workspace, journal, None)
    outcome = await TransferCoordinator(call).propose(TransferProposal("fraud", "card stolen"))
    tools = ConciergeTools(call)
    await _tool(tools, "caller_requests_human", LLMContext(messages=[{"role": "user", "content": "agent"}]))
    if outcome.approval_id:
        try:
            await call.approvals.approve(outcome.approval_id, supervisor="sup-race")
        except Exception:
            pass  # already withdrawn
    return await _finish(call, journal, race, t0)


def resume_ms_s(workspace: Workspace) -> float:
    return workspace.audio.vad.resume_ms / 1000.0


async def _ignore(_frame: Any) -> None:
    return None


RACES: dict[str, Callable[[Workspace], Awaitable[RaceOutcome]]] = {
    "tools_transfer_and_human": lambda ws: tools_in_one_turn(ws, "tools_transfer_and_human", [
        ("propose_transfer", {"department": "billing", "reason": "bill"}), ("caller_requests_human", {})]),
    "tools_two_transfers": lambda ws: tools_in_one_turn(ws, "tools_two_transfers", [
        ("propose_transfer", {"department": "billing", "reason": "bill"}),
        ("propose_transfer", {"department": "sales", "reason": "plan"})]),
    "tools_transfer_and_end": lambda ws: tools_in_one_turn(ws, "tools_transfer_and_end", [
        ("propose_transfer", {"department": "billing", "reason": "bill"}), ("end_call", {"reason": "done"})]),
    "human_during_quiet_wait": lambda ws: during_quiet_wait(ws, "human_during_quiet_wait", "human"),
    "brain_failure_during_quiet_wait": lambda ws: during_quiet_wait(ws, "brain_failure_during_quiet_wait",
                                                                    "brain_failure"),
    "approval_then_optout": lambda ws: approval_then_optout(ws, "approval_then_optout"),
}


# -- the same race in a whole pipeline: the lone 0 key while an allowed transfer waits ----------------

ZERO_KEY_RACES = ("zero_key_during_quiet_wait", "zero_key_while_transferring")


async def zero_key_race(engines: Any, race: str = ZERO_KEY_RACES[0], *, resume_ms: int | None = None,
                        settle_s: float = 1.6) -> RaceOutcome:
    """A call in process (the embedded brain): the caller asks for billing and presses the lone 0,
    either as soon as the transfer is allowed (``zero_key_during_quiet_wait``: the IVR switch holds a
    lone 0 for 0.8 s, so the opt-out lands inside the ``resume_ms`` wait) or as the transport starts
    executing it (``zero_key_while_transferring``: the opt-out lands after the transfer)."""
    from voice.pipeline.calls import new_call
    from voice.pipeline.inproc import InprocTransport

    t0 = time.perf_counter()
    journal = _Journal()
    workspace = copy.deepcopy(engines.workspace)
    workspace.audio.vad.resume_ms = resume_ms or (1500 if race == "zero_key_during_quiet_wait" else 300)
    for dept in workspace.departments:
        dept.hours.always = True
    transport = InprocTransport(sample_rate=8000, paced=False)
    inner = JournalControl(journal)
    saved = engines.workspace
    engines.workspace = workspace  # new_call builds the call on the engines' workspace
    try:
        session = new_call(engines=engines, transport=transport, kind=Transport.INPROC, sample_rate=8000,
                           control=inner)
    finally:
        engines.workspace = saved
    sink = session.audit._sink  # the call's view of the audit log also goes to the journal

    class _Tee:
        async def emit(self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str,
                       durable: bool = False) -> None:
            journal.items.append(("event", str(event_type), dict(payload)))
            if sink is not None:
                await sink.emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)

    session.audit._sink = _Tee()

    pressed = asyncio.Event()

    async def press_zero() -> None:
        await transport.press("0")
        pressed.set()

    if race == "zero_key_while_transferring":
        inner.on_transfer = press_zero
    run = asyncio.create_task(session.run(), name=f"race-{session.call_id}")
    try:
        await transport.say("I have a question about my bill, I was charged twice")
        deadline = time.monotonic() + 10.0
        while not any(n == "transfer.decided" for _, n, _ in journal.items) and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        if race == "zero_key_during_quiet_wait":
            await press_zero()
        with contextlib.suppress(TimeoutError):  # the transfer starts once the quiet wait is over
            await asyncio.wait_for(pressed.wait(), timeout=resume_ms_s(workspace) + 3.0)
        await asyncio.sleep(settle_s + (resume_ms_s(workspace) + 0.5 if race == "zero_key_during_quiet_wait" else 0))
    finally:
        await session.cancel()
        try:
            await asyncio.wait_for(run, timeout=10)
        except TimeoutError:
            run.cancel()
    out = RaceOutcome(race, seconds=time.perf_counter() - t0)
    out.events = [(n, d) for k, n, d in journal.items if k == "event"]
    out.actions = [(n, str(d.get("department") or d.get("reason") or "")) for k, n, d in journal.items
                   if k == "action"]
    out.violations = violations(journal.items)
    if not any(n == "transfer.decided" for n, _ in out.events):
        out.violations.append("race_not_reached")  # the brain never proposed: the race did not happen
    return out
