"""Picks the brain for a call from the workspace: the embedded offline brain, or Claude."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from concierge.brains import build_brain
from concierge.session import ConciergeCall

if TYPE_CHECKING:
    from voice.engines import Engines
    from voice.pipeline import CallSession


def make_brain(engines: Engines, *, session: CallSession, control: Any) -> Any:
    call = ConciergeCall(
        call_id=session.call_id,
        workspace=engines.workspace,
        audit=session.audit,
        control=control,
        approvals=engines.approvals,
        transport=session.kind,
    )
    session.concierge = call
    return build_brain(call)
