"""Picks the brain for a call from the workspace: the embedded offline brain, or Claude."""

from __future__ import annotations

from typing import Any

from concierge.approvals import ApprovalQueue
from concierge.audit_sink import AuditSink
from concierge.authority import CallAuthority
from concierge.brains import build_brain
from concierge.call_control import CallControl
from concierge.config import Transport, Workspace
from concierge.session import ConciergeCall


def make_brain(
    *,
    workspace: Workspace,
    call_id: str,
    audit: AuditSink,
    control: CallControl,
    approvals: ApprovalQueue,
    transport: Transport,
    authority: CallAuthority | None = None,
) -> tuple[ConciergeCall, Any]:
    """The call's concierge (its state, gate and tools) and the pipecat LLM service around it."""
    call = ConciergeCall(
        call_id=call_id,
        workspace=workspace,
        audit=audit,
        control=control,
        approvals=approvals,
        transport=transport,
        authority=authority or CallAuthority(),
    )
    return call, build_brain(call)
