"""An allowed transfer waits for the caller to finish: one who speaks on withdraws it (audited)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from concierge.approvals import InMemoryApprovalQueue
from concierge.audit_sink import EventType, MemoryAuditSink
from concierge.call_control import RecordingCallControl
from concierge.config import Workspace
from concierge.gate import Decision, RuleId, TransferProposal
from concierge.session import ConciergeCall
from concierge.transfers import TransferCoordinator

SAT_OPEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)  # billing open


def _call(ws: Workspace, quiet: object) -> ConciergeCall:
    return ConciergeCall(
        call_id="c-resume",
        workspace=ws,
        audit=MemoryAuditSink(),
        control=RecordingCallControl(),
        approvals=InMemoryApprovalQueue(),
        clock=lambda: SAT_OPEN,
        caller_quiet=quiet,  # type: ignore[arg-type]
    )


def _decisions(call: ConciergeCall) -> list[tuple[str, str, str]]:
    assert isinstance(call.audit, MemoryAuditSink)
    return [
        (str(r.payload["decision"]), str(r.payload["rule_id"]), str(r.payload["approver"]))
        for r in call.audit.of_type(EventType.TRANSFER_DECIDED)
    ]


async def _speaks_again(seconds: float) -> bool:
    """The caller's quiet-wait hook when the caller talks on within the resume window."""
    return False


async def test_caller_who_stays_quiet_is_transferred_after_the_wait(workspace: Workspace) -> None:
    waited: list[float] = []

    async def quiet(seconds: float) -> bool:
        waited.append(seconds)
        return True

    call = _call(workspace, quiet)
    outcome = await TransferCoordinator(call).propose(TransferProposal("billing", "bill question"))
    assert outcome.executed is True and not outcome.withdrawn
    assert waited == [workspace.audio.vad.resume_ms / 1000]
    assert _decisions(call) == [("allow", "policy_allow", "policy")]
    assert isinstance(call.control, RecordingCallControl) and len(call.control.transfers) == 1


async def test_caller_who_speaks_on_withdraws_the_transfer(workspace: Workspace) -> None:
    call = _call(workspace, _speaks_again)
    outcome = await TransferCoordinator(call).propose(TransferProposal("billing", "bill question"))
    assert outcome.withdrawn and outcome.executed is None
    assert _decisions(call) == [("allow", "policy_allow", "policy"), ("deny", RuleId.CALLER_CONTINUED, "caller")]
    assert isinstance(call.control, RecordingCallControl) and call.control.transfers == []
    assert isinstance(call.audit, MemoryAuditSink)
    assert EventType.TRANSFER_EXECUTED not in call.audit.types()
    assert call.state.transfers_executed == 0 and not call.handed_off
    # a withdrawn proposal uses none of the call's transfers: the next one is allowed
    call.caller_quiet = None
    again = await TransferCoordinator(call).propose(TransferProposal("billing", "bill question"))
    assert again.decision.decision is Decision.ALLOW and again.executed is True


async def test_barge_in_cancelling_the_wait_is_audited_as_a_withdrawal(workspace: Workspace) -> None:
    started = asyncio.Event()

    async def never(seconds: float) -> bool:
        started.set()
        await asyncio.sleep(3600)
        return True

    call = _call(workspace, never)
    task = asyncio.create_task(TransferCoordinator(call).propose(TransferProposal("billing", "r")))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _decisions(call)[-1] == ("deny", RuleId.CALLER_CONTINUED, "caller")
    assert isinstance(call.control, RecordingCallControl) and call.control.transfers == []


async def test_no_wait_when_resume_is_off_or_no_voice_layer(workspace: Workspace) -> None:
    workspace.audio.vad.resume_ms = 0
    call = _call(workspace, _speaks_again)
    assert (await TransferCoordinator(call).propose(TransferProposal("billing", "r"))).executed is True


async def test_no_approval_request_while_the_caller_is_still_talking(workspace: Workspace) -> None:
    call = _call(workspace, _speaks_again)
    outcome = await TransferCoordinator(call).propose(TransferProposal("fraud", "account opened in my name"))
    assert outcome.withdrawn and outcome.approval_id is None
    assert isinstance(call.approvals, InMemoryApprovalQueue)
    assert await call.approvals.pending(workspace.id) == []
    assert _decisions(call) == [
        ("needs_approval", "requires_approval", "policy"),
        ("deny", RuleId.CALLER_CONTINUED, "caller"),
    ]
