"""The transfer gate: a pure decision on each transfer the brain proposes.

Rules, in the order they are checked (the first that decides names itself in ``rule_id``):

1. ``caller_opted_out``      the caller opted out of AI handling: deny
2. ``department_unknown``    no such department: deny
3. ``department_disabled``   department switched off: deny
4. ``max_transfers``         the call already used ``transfer.max_per_call`` transfers: deny
5. ``outside_hours``         closed now in the department's time zone: deny
6. ``requires_approval``     a human must approve (clinical, fraud): needs_approval
7. ``policy_allow``          everything passed: allow
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from concierge.config import Transport, Workspace


class Decision(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    NEEDS_APPROVAL = "needs_approval"


class RuleId(StrEnum):
    CALLER_OPTED_OUT = "caller_opted_out"
    DEPARTMENT_UNKNOWN = "department_unknown"
    DEPARTMENT_DISABLED = "department_disabled"
    MAX_TRANSFERS = "max_transfers"
    OUTSIDE_HOURS = "outside_hours"
    REQUIRES_APPROVAL = "requires_approval"
    POLICY_ALLOW = "policy_allow"
    # decided later by a person or the clock (approvals), not by the gate itself
    SUPERVISOR_APPROVED = "supervisor_approved"
    SUPERVISOR_REJECTED = "supervisor_rejected"
    APPROVAL_TIMEOUT = "approval_timeout"
    CALL_HANDED_OFF = "call_handed_off"
    CALLER_CONTINUED = "caller_continued"  # allowed, then withdrawn: the caller kept talking


# What the caller is told when the gate says no (through the brain: "I can't transfer you: ...").
DENY_REASONS: dict[RuleId, str] = {
    RuleId.CALLER_OPTED_OUT: "the caller opted out of AI handling",
    RuleId.DEPARTMENT_UNKNOWN: "there is no such department",
    RuleId.DEPARTMENT_DISABLED: "this department is not taking calls",
    RuleId.MAX_TRANSFERS: "this call has reached its transfer limit",
    RuleId.OUTSIDE_HOURS: "this department is closed right now",
}


@dataclass(frozen=True, slots=True)
class TransferProposal:
    department: str
    reason: str


@dataclass(frozen=True, slots=True)
class CallState:
    """What the gate needs to know about the call so far (a snapshot of
    :class:`concierge.authority.CallAuthority`)."""

    transfers_executed: int = 0
    opted_out: bool = False


@dataclass(frozen=True, slots=True)
class GateDecision:
    decision: Decision
    rule_id: RuleId
    reason: str
    department: str
    target: str | None = None


def utcnow() -> datetime:
    return datetime.now(UTC)


class TransferGate:
    """Evaluate proposals against one workspace's policy; no I/O, microseconds per call."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        transport: Transport = Transport.INPROC,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.workspace = workspace
        self.transport = transport
        self.clock = clock

    def evaluate(self, proposal: TransferProposal, state: CallState) -> GateDecision:
        name = proposal.department

        def decide(decision: Decision, rule: RuleId, reason: str, target: str | None = None) -> GateDecision:
            return GateDecision(decision, rule, reason, name, target)

        if state.opted_out:
            return decide(Decision.DENY, RuleId.CALLER_OPTED_OUT, DENY_REASONS[RuleId.CALLER_OPTED_OUT])
        dept = self.workspace.department(name)
        if dept is None:
            return decide(Decision.DENY, RuleId.DEPARTMENT_UNKNOWN, DENY_REASONS[RuleId.DEPARTMENT_UNKNOWN])
        if not dept.enabled:
            return decide(Decision.DENY, RuleId.DEPARTMENT_DISABLED, DENY_REASONS[RuleId.DEPARTMENT_DISABLED])
        if state.transfers_executed >= self.workspace.transfer.max_per_call:
            return decide(Decision.DENY, RuleId.MAX_TRANSFERS, DENY_REASONS[RuleId.MAX_TRANSFERS])
        if not dept.hours.is_open(self.clock()):
            return decide(Decision.DENY, RuleId.OUTSIDE_HOURS, DENY_REASONS[RuleId.OUTSIDE_HOURS])
        target = dept.targets.get(self.transport, dept.name)
        if dept.requires_approval:
            return decide(
                Decision.NEEDS_APPROVAL, RuleId.REQUIRES_APPROVAL, "a supervisor must approve this transfer", target
            )
        return decide(Decision.ALLOW, RuleId.POLICY_ALLOW, "all transfer rules passed", target)
