"""From a proposed transfer to an executed one: gate, audit, approval, execution.

Order for every proposal: ``transfer.proposed`` -> gate -> ``transfer.decided`` (durable,
before anything executes) -> execute -> ``transfer.executed`` / ``transfer.failed``; one
``proposal_id`` ties them (and the approval request) together. An allowed transfer (or an approval
request) waits until the caller has been quiet ``audio.vad.resume_ms``; if they speak on first, a second
``transfer.decided`` (deny, ``caller_continued``, approver ``caller``) withdraws it and nothing runs.
Approval-gated departments enqueue an :class:`~concierge.approvals.ApprovalRequest`, play a
holding line, and decide in the background; on rejection or timeout the call goes to the IVR.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from concierge.approvals import ApprovalRequest, ApprovalStatus
from concierge.audit_sink import EventType
from concierge.gate import Decision, GateDecision, RuleId, TransferGate, TransferProposal
from concierge.session import ConciergeCall

HOLDING_MESSAGE = "Please hold for a moment while a supervisor approves your transfer."
NOT_APPROVED_MESSAGE = "I'm sorry, I can't transfer you there right now. Let me take you to our menu."
TRANSFER_FAILED_MESSAGE = "I'm sorry, the transfer did not go through."
ACTOR = "concierge.gate"


@dataclass(frozen=True, slots=True)
class TransferOutcome:
    proposal_id: str
    decision: GateDecision
    executed: bool | None = None
    approval_id: str | None = None
    withdrawn: bool = False  # allowed, but the caller kept talking: nothing ran
    decision_ms: float = 0.0


class TransferCoordinator:
    """Runs proposals for one call. ``decision_ms`` of each outcome: tool call to logged decision."""

    def __init__(self, call: ConciergeCall, gate: TransferGate | None = None) -> None:
        self.call = call
        self.gate = gate or TransferGate(call.workspace, transport=call.transport, clock=call.clock)

    async def propose(
        self, proposal: TransferProposal, *, context: Sequence[dict[str, str]] = ()
    ) -> TransferOutcome:
        t0 = time.perf_counter()
        call = self.call
        pid = f"prop-{uuid.uuid4().hex[:16]}"
        await call.emit(
            EventType.TRANSFER_PROPOSED,
            {"proposal_id": pid, "department": proposal.department, "reason": proposal.reason},
            actor="brain",
        )
        decision = self.gate.evaluate(proposal, call.state)
        await self._decided(pid, decision, approver="policy")
        decision_ms = (time.perf_counter() - t0) * 1000.0
        acts = decision.decision in (Decision.ALLOW, Decision.NEEDS_APPROVAL)
        if acts and not await self._caller_done(pid, decision):
            return TransferOutcome(pid, decision, withdrawn=True, decision_ms=decision_ms)
        if decision.decision is Decision.ALLOW:
            # Once the transport is asked, the outcome is recorded even if the caller barges in now.
            executed = await asyncio.shield(self._execute(pid, decision))
            return TransferOutcome(pid, decision, executed=executed, decision_ms=decision_ms)
        if decision.decision is Decision.NEEDS_APPROVAL:
            req = await asyncio.shield(self._request_approval(pid, proposal, decision, context))
            return TransferOutcome(pid, decision, approval_id=req.id, decision_ms=decision_ms)
        return TransferOutcome(pid, decision, decision_ms=decision_ms)

    async def _request_approval(
        self, pid: str, proposal: TransferProposal, decision: GateDecision, context: Sequence[dict[str, str]]
    ) -> ApprovalRequest:
        """Queue the request for a supervisor, tell the caller, and wait for the answer in the background."""
        call = self.call
        req = await call.approvals.submit(
            workspace_id=call.workspace.id,
            call_id=call.call_id,
            proposal_id=pid,
            department=decision.department,
            reason=proposal.reason,
            context=[dict(c) for c in context],
        )
        await call.control.say(HOLDING_MESSAGE)
        call.spawn(self._await_approval(pid, req, decision))
        return req

    async def _caller_done(self, pid: str, d: GateDecision) -> bool:
        """Wait until the caller has been quiet ``resume_ms``; withdraw (audited) if they speak on."""
        call = self.call
        quiet_s = call.workspace.audio.vad.resume_ms / 1000.0
        if call.caller_quiet is None or quiet_s <= 0:
            return True
        try:
            if await call.caller_quiet(quiet_s):
                return True
        except asyncio.CancelledError:  # a barge-in cancelled the tool call: the same withdrawal
            await self._withdraw(pid, d)
            raise
        await self._withdraw(pid, d)
        return False

    async def _withdraw(self, pid: str, d: GateDecision) -> None:
        left = GateDecision(
            Decision.DENY, RuleId.CALLER_CONTINUED, "the caller kept talking before it ran", d.department, d.target
        )
        await self._decided(pid, left, approver="caller")

    async def _decided(self, pid: str, d: GateDecision, *, approver: str) -> None:
        payload: dict[str, object] = {
            "proposal_id": pid,
            "decision": str(d.decision),
            "rule_id": str(d.rule_id),
            "approver": approver,
            "reason": d.reason,
        }
        await self.call.emit(EventType.TRANSFER_DECIDED, payload, actor=ACTOR, durable=True)

    async def _execute(self, pid: str, d: GateDecision) -> bool:
        call = self.call
        target = d.target or d.department
        err: str | None = None
        try:
            ok = await call.control.transfer(d.department, target)
        except Exception as exc:  # a transport failure is an outcome, not a crash of the call
            ok = False
            err = type(exc).__name__
        if not ok and err is None:
            err = "transport_refused"
        if ok:
            call.state.transfers_executed += 1
            call.handed_off = True  # the call now belongs to the transfer target: the AI stays silent
            payload: dict[str, object] = {
                "proposal_id": pid, "department": d.department, "method": str(call.transport), "target": target
            }
            await call.emit(EventType.TRANSFER_EXECUTED, payload, actor="transport")
        else:
            await call.emit(
                EventType.TRANSFER_FAILED,
                {"proposal_id": pid, "department": d.department, "error_kind": err or "unknown"},
                actor="transport",
            )
        return ok

    async def _await_approval(self, pid: str, req: ApprovalRequest, gated: GateDecision) -> None:
        call = self.call
        try:
            done = await call.approvals.wait(req.id, call.workspace.transfer.approval_timeout_s)
        except asyncio.CancelledError:
            # The call ended while a supervisor was deciding: withdraw the request and close the trail.
            with contextlib.suppress(Exception):
                await call.approvals.cancel(req.id)
                left = GateDecision(Decision.DENY, RuleId.CALL_HANDED_OFF, "the call ended first", gated.department)
                await self._decided(pid, left, approver="call_ended")
            raise
        if done.status is ApprovalStatus.APPROVED and call.handed_off:
            left = GateDecision(Decision.DENY, RuleId.CALL_HANDED_OFF, "the call left the concierge", gated.department)
            await self._decided(pid, left, approver=done.decided_by or "unknown")
            return
        if done.status is ApprovalStatus.APPROVED:
            # The call may have changed while it waited (opt-out, another transfer): re-check.
            recheck = self.gate.evaluate(TransferProposal(gated.department, req.reason), call.state)
            if recheck.decision is Decision.DENY:
                await self._decided(pid, recheck, approver=done.decided_by or "unknown")
                await self._to_ivr(recheck.rule_id)
                return
            allowed = GateDecision(
                Decision.ALLOW, RuleId.SUPERVISOR_APPROVED, "a supervisor approved", gated.department, gated.target
            )
            await self._decided(pid, allowed, approver=done.decided_by or "unknown")
            if not await self._execute(pid, allowed):
                await self._to_ivr(RuleId.SUPERVISOR_APPROVED, say=TRANSFER_FAILED_MESSAGE)
            return
        rule = RuleId.APPROVAL_TIMEOUT if done.status is ApprovalStatus.EXPIRED else RuleId.SUPERVISOR_REJECTED
        reason = "nobody approved in time" if rule is RuleId.APPROVAL_TIMEOUT else "a supervisor rejected"
        denied = GateDecision(Decision.DENY, rule, reason, gated.department, gated.target)
        await self._decided(pid, denied, approver=done.decided_by or "timeout")
        if not call.handed_off:
            await self._to_ivr(rule)

    async def _to_ivr(self, rule: RuleId, *, say: str = NOT_APPROVED_MESSAGE) -> None:
        call = self.call
        call.handed_off = True
        await call.control.say(say)
        await call.control.to_ivr(str(rule))
