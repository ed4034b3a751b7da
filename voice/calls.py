"""Call set-up shared by every transport: one entry point from "a call arrived" to "it ended".

Transports (SIP, WebSocket media streams, WebRTC, in-process) build their pipecat transport and a
call control, then ``await run_call(...)``. Opt-out resolution and the IVR switch plug in here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipecat.transports.base_transport import BaseTransport

from concierge.config import Transport
from voice.pipeline import CallSession

if TYPE_CHECKING:
    from voice.engines import Engines


def new_call(
    *,
    engines: Engines,
    transport: BaseTransport,
    kind: Transport,
    sample_rate: int,
    caller: str | None = None,
    call_id: str | None = None,
    control: Any = None,
) -> CallSession:
    """Build the call's pipeline (not started). ``caller`` is the caller's number or identity."""
    return CallSession(
        engines=engines,
        transport=transport,
        kind=kind,
        sample_rate=sample_rate,
        caller=caller,
        call_id=call_id,
        control=control,
    )


async def run_call(**kwargs: Any) -> CallSession:
    """Build and run a call to its end; returns the finished session (its log, transfers, events)."""
    session = new_call(**kwargs)
    await session.run()
    return session
