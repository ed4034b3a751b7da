"""Picks the brain for a call from the workspace: the embedded offline brain, or Claude."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from concierge.config import BrainBackend
from concierge.embedded_brain import EmbeddedBrainService
from concierge.session import ConciergeCall

if TYPE_CHECKING:
    from voice.engines import Engines
    from voice.pipeline import CallSession


def make_brain(engines: Engines, *, session: CallSession, control: Any) -> Any:
    ws = engines.workspace
    call = ConciergeCall(
        call_id=session.call_id,
        workspace=ws,
        audit=session.audit,
        control=control,
        approvals=engines.approvals,
        transport=session.kind,
    )
    session.concierge = call
    if ws.brain.backend is BrainBackend.ANTHROPIC and os.environ.get(ws.brain.api_key_env):
        from concierge.claude_brain import make_claude_brain

        return make_claude_brain(call=call)
    return EmbeddedBrainService(call=call)
