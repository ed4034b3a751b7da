"""Table-driven tests of the transfer gate rules and the approve / reject / timeout paths."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest

from concierge.approvals import ApprovalStatus, InMemoryApprovalQueue
from concierge.audit_adapter import SchemaCheckedMemorySink
from concierge.audit_sink import EventType, MemoryAuditSink
from concierge.authority import CallAuthority
from concierge.call_control import CallAction, RecordingCallControl
from concierge.config import Transport, Workspace
from concierge.exceptions import ApprovalError
from concierge.gate import CallState, Decision, RuleId, TransferGate, TransferProposal
from concierge.session import ConciergeCall
from concierge.transfers import HOLDING_MESSAGE, TransferCoordinator

# Saturday 2026-11-28 15:00 UTC = 10:00 New York (sales open 10-16 on Saturdays).
SAT_OPEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
# Sunday 2026-11-29 15:00 UTC: sales closed all day.
SUN = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
# Monday 2026-11-30 01:30 UTC = Sunday 20:30 New York: still closed.
MON_UTC_SUN_NY = datetime(2026, 11, 30, 1, 30, tzinfo=UTC)
# Monday 2026-11-30 13:00 UTC = 08:00 New York: opens at 08:00.
MON_OPENING = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)


def _disable(ws: Workspace, name: str) -> Workspace:
    dept = ws.department(name)
    assert dept is not None
    dept.enabled = False
    return ws


GATE_TABLE = [
    # (department, state, when, mutate, decision, rule)
    ("billing", CallState(), SAT_OPEN, None, Decision.ALLOW, RuleId.POLICY_ALLOW),
    ("technical_support", CallState(), SUN, None, Decision.ALLOW, RuleId.POLICY_ALLOW),
    ("sales", CallState(), SAT_OPEN, None, Decision.ALLOW, RuleId.POLICY_ALLOW),
    ("sales", CallState(), MON_OPENING, None, Decision.ALLOW, RuleId.POLICY_ALLOW),
    ("sales", CallState(), SUN, None, Decision.DENY, RuleId.OUTSIDE_HOURS),
    ("sales", CallState(), MON_UTC_SUN_NY, None, Decision.DENY, RuleId.OUTSIDE_HOURS),
    ("clinical", CallState(), SAT_OPEN, None, Decision.NEEDS_APPROVAL, RuleId.REQUIRES_APPROVAL),
    ("fraud", CallState(), SUN, None, Decision.NEEDS_APPROVAL, RuleId.REQUIRES_APPROVAL),
    ("payroll", CallState(), SAT_OPEN, None, Decision.DENY, RuleId.DEPARTMENT_UNKNOWN),
    ("", CallState(), SAT_OPEN, None, Decision.DENY, RuleId.DEPARTMENT_UNKNOWN),
    ("billing", CallState(), SAT_OPEN, "disable_billing", Decision.DENY, RuleId.DEPARTMENT_DISABLED),
    ("billing", CallState(transfers_executed=1), SAT_OPEN, None, Decision.ALLOW, RuleId.POLICY_ALLOW),
    ("billing", CallState(transfers_executed=2), SAT_OPEN, None, Decision.DENY, RuleId.MAX_TRANSFERS),
    ("clinical", CallState(transfers_executed=2), SAT_OPEN, None, Decision.DENY, RuleId.MAX_TRANSFERS),
    ("billing", CallState(opted_out=True), SAT_OPEN, None, Decision.DENY, RuleId.CALLER_OPTED_OUT),
    ("payroll", CallState(opted_out=True), SAT_OPEN, None, Decision.DENY, RuleId.CALLER_OPTED_OUT),
    ("sales", CallState(transfers_executed=2), SUN, None, Decision.DENY, RuleId.MAX_TRANSFERS),
]


@pytest.mark.parametrize(("department", "state", "when", "mutate", "decision", "rule"), GATE_TABLE)
def test_gate_rule_table(
    workspace: Workspace,
    department: str,
    state: CallState,
    when: datetime,
    mutate: str | None,
    decision: Decision,
    rule: RuleId,
) -> None:
    if mutate == "disable_billing":
        _disable(workspace, "billing")
    gate = TransferGate(workspace, transport=Transport.SIP, clock=lambda: when)
    got = gate.evaluate(TransferProposal(department, "reason"), state)
    assert (got.decision, got.rule_id) == (decision, rule)
    if decision is not Decision.DENY:
        dept = workspace.department(department)
        assert dept is not None and got.target == dept.targets[Transport.SIP]


@dataclass
class JournalControl(RecordingCallControl):
    """Call control that writes its actions into the same journal as the audit sink."""

    journal: list[str] = field(default_factory=list)

    async def transfer(self, department: str, target: str) -> bool:
        self.journal.append("control.transfer")
        return await super().transfer(department, target)

    async def to_ivr(self, reason: str) -> None:
        self.journal.append("control.to_ivr")
        await super().to_ivr(reason)


class JournalSink(SchemaCheckedMemorySink):
    def __init__(self, journal: list[str]) -> None:
        super().__init__()
        self.journal = journal

    async def emit(
        self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str, durable: bool = False
    ) -> None:
        await super().emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)
        self.journal.append(str(event_type))


def _call(ws: Workspace, when: datetime, *, fail: bool = False, state: CallState | None = None) -> ConciergeCall:
    ws.transfer.approval_timeout_s = 0.2
    control = JournalControl(fail_transfers=fail)
    return ConciergeCall(
        call_id="c-gate",
        workspace=ws,
        audit=JournalSink(control.journal),
        control=control,
        approvals=InMemoryApprovalQueue(),
        clock=lambda: when,
        authority=CallAuthority(opted_out=(state or CallState()).opted_out,
                                transfers_executed=(state or CallState()).transfers_executed),
    )


@pytest.mark.parametrize(
    ("department", "when", "executed"),
    [("billing", SAT_OPEN, True), ("sales", SUN, False), ("nowhere", SAT_OPEN, False)],
)
async def test_decision_is_audited_durably_before_execution(
    workspace: Workspace, department: str, when: datetime, executed: bool
) -> None:
    call = _call(workspace, when)
    outcome = await TransferCoordinator(call).propose(TransferProposal(department, "caller asked"))
    audit, control = call.audit, call.control
    assert isinstance(audit, MemoryAuditSink) and isinstance(control, RecordingCallControl)
    types = audit.types()
    assert types[:2] == [EventType.TRANSFER_PROPOSED, EventType.TRANSFER_DECIDED]
    decided = audit.of_type(EventType.TRANSFER_DECIDED)[0]
    assert decided.durable and decided.payload["approver"] == "policy"
    assert decided.payload["rule_id"] == str(outcome.decision.rule_id)
    assert {r.payload["proposal_id"] for r in audit.records} == {outcome.proposal_id}
    assert bool(control.transfers) is executed
    assert (EventType.TRANSFER_EXECUTED in types) is executed
    assert isinstance(control, JournalControl)
    if executed:  # the durable decision row precedes the transfer itself
        assert control.journal.index("transfer.decided") < control.journal.index("control.transfer")
    assert outcome.decision_ms < 20.0


async def test_failed_transport_is_audited_and_not_counted(workspace: Workspace) -> None:
    call = _call(workspace, SAT_OPEN, fail=True)
    outcome = await TransferCoordinator(call).propose(TransferProposal("billing", "r"))
    assert outcome.executed is False
    assert isinstance(call.audit, MemoryAuditSink)
    assert call.audit.types()[-1] == EventType.TRANSFER_FAILED
    assert call.audit.records[-1].payload["error_kind"] == "transport_refused"
    assert call.state.transfers_executed == 0


async def _approval_flow(call: ConciergeCall, action: str) -> str:
    coord = TransferCoordinator(call)
    outcome = await coord.propose(
        TransferProposal("clinical", "medication question"), context=[{"role": "user", "text": "my [PERSON_1]"}]
    )
    assert outcome.decision.decision is Decision.NEEDS_APPROVAL and outcome.approval_id
    queue = call.approvals
    pending = await queue.pending(call.workspace.id)
    assert [p.id for p in pending] == [outcome.approval_id]
    assert pending[0].context == ({"role": "user", "text": "my [PERSON_1]"},)
    assert pending[0].proposal_id == outcome.proposal_id
    if action == "approve":
        await queue.approve(outcome.approval_id, supervisor="sup-alice")
    elif action == "reject":
        await queue.reject(outcome.approval_id, supervisor="sup-bob", note="not urgent")
    await call.wait_background()
    return outcome.approval_id


@pytest.mark.parametrize(
    ("action", "transferred", "rule", "approver"),
    [
        ("approve", True, RuleId.SUPERVISOR_APPROVED, "sup-alice"),
        ("reject", False, RuleId.SUPERVISOR_REJECTED, "sup-bob"),
        ("timeout", False, RuleId.APPROVAL_TIMEOUT, "timeout"),
    ],
)
async def test_approval_paths(
    workspace: Workspace, action: str, transferred: bool, rule: RuleId, approver: str
) -> None:
    call = _call(workspace, SAT_OPEN)
    approval_id = await _approval_flow(call, action)
    assert isinstance(call.audit, MemoryAuditSink) and isinstance(call.control, RecordingCallControl)
    decided = call.audit.of_type(EventType.TRANSFER_DECIDED)
    assert [d.payload["decision"] for d in decided] == [
        "needs_approval",
        "allow" if transferred else "deny",
    ]
    assert decided[1].payload["rule_id"] == str(rule) and decided[1].payload["approver"] == approver
    assert decided[1].durable
    control = call.control
    assert control.of(CallAction.SAY)[0].text == HOLDING_MESSAGE
    assert bool(control.transfers) is transferred
    assert bool(control.of(CallAction.TO_IVR)) is not transferred
    # the final decision is logged before the transfer or the IVR hand-off
    assert isinstance(control, JournalControl)
    journal = control.journal
    second_decision = journal.index("transfer.decided", journal.index("transfer.decided") + 1)
    assert journal.index("control.transfer" if transferred else "control.to_ivr") > second_decision
    req = await call.approvals.get(approval_id)
    assert req is not None and req.decided_by == approver
    assert req.status is {"approve": ApprovalStatus.APPROVED, "reject": ApprovalStatus.REJECTED,
                          "timeout": ApprovalStatus.EXPIRED}[action]


async def test_approval_after_opt_out_is_denied_by_recheck(workspace: Workspace) -> None:
    call = _call(workspace, SAT_OPEN)
    outcome = await TransferCoordinator(call).propose(TransferProposal("fraud", "stolen card"))
    assert outcome.approval_id
    assert await call.to_ivr("dtmf_0", trigger="dtmf_0", actor="ivr")  # the caller opted out meanwhile
    await call.approvals.approve(outcome.approval_id, supervisor="sup-alice")
    await call.wait_background()
    assert isinstance(call.control, RecordingCallControl) and isinstance(call.audit, MemoryAuditSink)
    assert not call.control.transfers
    last = call.audit.of_type(EventType.TRANSFER_DECIDED)[-1]
    assert last.payload["rule_id"] == RuleId.CALLER_OPTED_OUT and last.payload["approver"] == "sup-alice"


async def test_approval_queue_rejects_double_decisions() -> None:
    q = InMemoryApprovalQueue()
    req = await q.submit(workspace_id="w", call_id="c", proposal_id="p", department="fraud", reason="r", context=[])
    await q.approve(req.id, supervisor="s1")
    with pytest.raises(ApprovalError, match="already approved"):
        await q.reject(req.id, supervisor="s2")
    with pytest.raises(ApprovalError, match="unknown"):
        await q.approve("nope", supervisor="s1")
    assert (await q.wait(req.id, 0.01)).decided_by == "s1"
    assert await q.pending() == []


async def test_concurrent_waiters_wake_on_decision() -> None:
    q = InMemoryApprovalQueue()
    a = await q.submit(workspace_id="w", call_id="c1", proposal_id="p1", department="fraud", reason="r", context=[])
    b = await q.submit(workspace_id="w", call_id="c2", proposal_id="p2", department="clinical", reason="r", context=[])
    wa = asyncio.create_task(q.wait(a.id, 5.0))
    wb = asyncio.create_task(q.wait(b.id, 5.0))
    await asyncio.sleep(0)
    await q.reject(b.id, supervisor="s")
    await q.approve(a.id, supervisor="s")
    ra, rb = await asyncio.wait_for(asyncio.gather(wa, wb), 1.0)
    assert (ra.status, rb.status) == (ApprovalStatus.APPROVED, ApprovalStatus.REJECTED)


async def test_call_ending_during_approval_withdraws_the_request(workspace: Workspace) -> None:
    call = _call(workspace, SAT_OPEN)
    call.workspace.transfer.approval_timeout_s = 30.0
    outcome = await TransferCoordinator(call).propose(TransferProposal("fraud", "stolen card"))
    assert outcome.approval_id
    await asyncio.sleep(0)
    await call.close()
    req = await call.approvals.get(outcome.approval_id)
    assert req is not None and req.status is ApprovalStatus.CANCELLED
    assert isinstance(call.audit, MemoryAuditSink) and isinstance(call.control, RecordingCallControl)
    last = call.audit.of_type(EventType.TRANSFER_DECIDED)[-1]
    assert (last.payload["rule_id"], last.payload["approver"]) == (RuleId.CALL_HANDED_OFF, "call_ended")
    assert not call.control.transfers and await call.approvals.pending() == []


async def test_approval_after_the_call_left_the_concierge_is_not_executed(workspace: Workspace) -> None:
    call = _call(workspace, SAT_OPEN)
    outcome = await TransferCoordinator(call).propose(TransferProposal("clinical", "results"))
    assert outcome.approval_id
    assert await call.to_ivr("brain_failed")  # e.g. the brain failed and the IVR has the call
    await call.approvals.approve(outcome.approval_id, supervisor="sup-dan")
    await call.wait_background()
    assert isinstance(call.audit, MemoryAuditSink) and isinstance(call.control, RecordingCallControl)
    last = call.audit.of_type(EventType.TRANSFER_DECIDED)[-1]
    assert (last.payload["rule_id"], last.payload["approver"]) == (RuleId.CALL_HANDED_OFF, "sup-dan")
    assert not call.control.transfers
