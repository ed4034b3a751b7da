"""From a proposed transfer to an executed one: gate, audit, approval, execution.

Order for every proposal: ``transfer.proposed`` -> gate -> ``transfer.decided`` (durable,
before anything executes) -> execute -> ``transfer.executed`` / ``transfer.failed``; one
``proposal_id`` ties them (and the approval request) together. An allowed transfer (or an approval
request) waits until the caller has been quiet ``audio.vad.resume_ms``; if they speak on first, a second
``transfer.decided`` (deny, ``caller_continued``, approver ``caller``) withdraws it and nothing runs.
Approval-gated departments enqueue an :class:`~concierge.approvals.ApprovalRequest`, play a
holding line, and decide in the background; on rejection or timeout the call goes to the IVR.

Execution and the approval request run under the call's authority (:mod:`concierge.authority`):
at that moment the call's state and the gate are checked again, so a transfer decided before the
caller opted out, pressed 0, or another transfer went through never runs; it is withdrawn with a
second ``transfer.decided`` (deny, the rule that stopped it, approver ``policy``). A transfer is
``transfer.executed`` only when the transport confirmed it (``confirmed_by`` says how); anything
else is ``transfer.failed`` and the call goes back to where it was.
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
from concierge.authority import Action, CallMode
from concierge.call_control import TransferResult
from concierge.gate import DENY_REASONS, Decision, GateDecision, RuleId, TransferGate, TransferProposal
from concierge.session import ConciergeCall

# After the brain said it is asking (embedded: ``approval_line``; Claude: told so by the prompt).
HOLDING_MESSAGE = "Please stay on the line while the supervisor decides."
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
            executed = await asyncio.shield(self._execute(pid, proposal, decision))
            if executed is None:
                return TransferOutcome(pid, decision, withdrawn=True, decision_ms=decision_ms)
            return TransferOutcome(pid, decision, executed=executed, decision_ms=decision_ms)
        if decision.decision is Decision.NEEDS_APPROVAL:
            req = await asyncio.shield(self._request_approval(pid, proposal, decision, context))
            if req is None:
                return TransferOutcome(pid, decision, withdrawn=True, decision_ms=decision_ms)
            return TransferOutcome(pid, decision, approval_id=req.id, decision_ms=decision_ms)
        return TransferOutcome(pid, decision, decision_ms=decision_ms)

    async def _request_approval(
        self, pid: str, proposal: TransferProposal, decision: GateDecision, context: Sequence[dict[str, str]]
    ) -> ApprovalRequest | None:
        """Queue the request for a supervisor, tell the caller, and wait for the answer in the background
        (None: the call's state or the gate no longer allows it; the withdrawal is audited)."""
        call = self.call
        async with call.authority.acting(Action.REQUEST_APPROVAL) as permit:
            refusal = await self._recheck(pid, proposal, decision, permit.refusal, approving=True)
            if refusal:
                return None
            req = await call.approvals.submit(
                workspace_id=call.workspace.id,
                call_id=call.call_id,
                proposal_id=pid,
                department=decision.department,
                reason=proposal.reason,
                context=[dict(c) for c in context],
            )
            await call.say(HOLDING_MESSAGE)
            call.spawn(self._await_approval(pid, req, decision))
            return req

    async def _recheck(
        self, pid: str, proposal: TransferProposal, decided: GateDecision, refusal: RuleId | None,
        *, approving: bool = False,
    ) -> bool:
        """At the moment of execution: the call's state (``refusal`` from the permit), then the gate
        again. True when the action must not run; the withdrawal is audited."""
        if refusal is None:
            again = self.gate.evaluate(proposal, self.call.state)
            expected = Decision.NEEDS_APPROVAL if approving else Decision.ALLOW
            if again.decision is expected or (again.decision is Decision.NEEDS_APPROVAL and not approving
                                               and decided.rule_id is RuleId.SUPERVISOR_APPROVED):
                return False
            refusal = again.rule_id if again.decision is Decision.DENY else RuleId.REQUIRES_APPROVAL
        stopped = GateDecision(
            Decision.DENY, refusal, DENY_REASONS.get(refusal, "the call's state changed before it ran"),
            decided.department, decided.target,
        )
        await self._decided(pid, stopped, approver="policy")
        return True

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

    async def _execute(self, pid: str, proposal: TransferProposal, d: GateDecision) -> bool | None:
        """Execute under the call's authority: True when the transport confirmed the transfer, False
        when it failed (audited, the call goes back to the AI), None when the state or the gate no
        longer allowed it (withdrawn, audited)."""
        call = self.call
        async with call.authority.acting(Action.TRANSFER) as permit:
            if await self._recheck(pid, proposal, d, permit.refusal):
                return None
            call.authority.move(CallMode.TRANSFERRING, "transfer")
            target = d.target or d.department
            result = await self._transport_transfer(d.department, target)
            if result.ok:
                call.authority.move(CallMode.HANDED_OFF, "transfer_confirmed")  # the AI stays silent now
                payload: dict[str, object] = {
                    "proposal_id": pid, "department": d.department, "method": str(call.transport), "target": target,
                    "confirmed_by": result.confirmed_by,
                }
                await call.emit(EventType.TRANSFER_EXECUTED, payload, actor="transport", durable=True)
                return True
            call.authority.back("transfer_failed")
            failed: dict[str, object] = {
                "proposal_id": pid, "department": d.department, "error_kind": result.error_kind,
                "provider_status": result.provider_status,
            }
            await call.emit(EventType.TRANSFER_FAILED, failed, actor="transport", durable=True)
            return False

    async def _transport_transfer(self, department: str, target: str) -> TransferResult:
        try:
            return TransferResult.of(await self.call.control.transfer(department, target))
        except Exception as exc:  # a transport failure is an outcome, not a crash of the call
            return TransferResult(False, error_kind=type(exc).__name__)

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
        if done.status is ApprovalStatus.APPROVED:
            await self._approved(pid, req, gated, done.decided_by or "unknown")
            return
        rule = RuleId.APPROVAL_TIMEOUT if done.status is ApprovalStatus.EXPIRED else RuleId.SUPERVISOR_REJECTED
        reason = "nobody approved in time" if rule is RuleId.APPROVAL_TIMEOUT else "a supervisor rejected"
        denied = GateDecision(Decision.DENY, rule, reason, gated.department, gated.target)
        await self._decided(pid, denied, approver=done.decided_by or "timeout")
        if not call.handed_off:
            await self._to_ivr(rule)

    async def _approved(self, pid: str, req: ApprovalRequest, gated: GateDecision, approver: str) -> None:
        """A supervisor approved: under the call's authority, check the call (it may have left the AI,
        opted out, or used its transfers meanwhile) and the gate again, then execute."""
        call = self.call
        proposal = TransferProposal(gated.department, req.reason)
        async with call.authority.acting(Action.TRANSFER) as permit:
            if permit.refusal is RuleId.CALL_HANDED_OFF:
                left = GateDecision(Decision.DENY, RuleId.CALL_HANDED_OFF, "the call left the concierge",
                                    gated.department)
                await self._decided(pid, left, approver=approver)
                return
            recheck = self.gate.evaluate(proposal, call.state)
            if recheck.decision is Decision.DENY:
                await self._decided(pid, recheck, approver=approver)
                await self._to_ivr(recheck.rule_id)
                return
            allowed = GateDecision(
                Decision.ALLOW, RuleId.SUPERVISOR_APPROVED, "a supervisor approved", gated.department, gated.target
            )
            await self._decided(pid, allowed, approver=approver)
            if await self._execute(pid, proposal, allowed) is False:
                await self._to_ivr(RuleId.SUPERVISOR_APPROVED, say=TRANSFER_FAILED_MESSAGE)

    async def _to_ivr(self, rule: RuleId, *, say: str = NOT_APPROVED_MESSAGE) -> None:
        call = self.call

        async def line() -> None:
            await call.control.say(say)

        await call.to_ivr(str(rule), before=line)
