"""What the concierge may do to a live call, implemented per transport by the voice layer.

:class:`CallControl` is the seam: SIP REFER, a WebSocket media-stream event, a WebRTC
data-channel message. :class:`RecordingCallControl` is the in-process implementation: it
records every action (tests, the ``inproc`` transport) and can be told to fail transfers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


@runtime_checkable
class CallControl(Protocol):
    async def transfer(self, department: str, target: str) -> bool:
        """Hand the call to ``target``; True when the transport accepted the transfer."""
        ...

    async def to_ivr(self, reason: str) -> None:
        """Leave the AI loop: play the plain DTMF IVR menu."""
        ...

    async def hangup(self, reason: str) -> None: ...

    async def say(self, text: str) -> None:
        """Speak a fixed line to the caller (holding message, filler)."""
        ...


class CallAction(StrEnum):
    TRANSFER = "transfer"
    TO_IVR = "to_ivr"
    HANGUP = "hangup"
    SAY = "say"


@dataclass(frozen=True, slots=True)
class RecordedAction:
    action: CallAction
    department: str | None = None
    target: str | None = None
    text: str | None = None
    ok: bool = True


@dataclass
class RecordingCallControl:
    """In-process :class:`CallControl` that records what it was asked to do."""

    fail_transfers: bool = False
    actions: list[RecordedAction] = field(default_factory=list)

    async def transfer(self, department: str, target: str) -> bool:
        ok = not self.fail_transfers
        self.actions.append(RecordedAction(CallAction.TRANSFER, department=department, target=target, ok=ok))
        return ok

    async def to_ivr(self, reason: str) -> None:
        self.actions.append(RecordedAction(CallAction.TO_IVR, text=reason))

    async def hangup(self, reason: str) -> None:
        self.actions.append(RecordedAction(CallAction.HANGUP, text=reason))

    async def say(self, text: str) -> None:
        self.actions.append(RecordedAction(CallAction.SAY, text=text))

    def of(self, action: CallAction) -> list[RecordedAction]:
        return [a for a in self.actions if a.action is action]

    @property
    def transfers(self) -> list[RecordedAction]:
        return [a for a in self.actions if a.action is CallAction.TRANSFER and a.ok]
