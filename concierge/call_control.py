"""What the concierge may do to a live call, implemented per transport by the voice layer.

:class:`CallControl` is the seam: SIP REFER, a WebSocket media-stream event, a WebRTC
data-channel message. :class:`RecordingCallControl` is the in-process implementation: it
records every action (tests, the ``inproc`` transport) and can be told to fail transfers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class TransferResult:
    """What a transport says about one transfer: ``ok`` only when it was confirmed (a 2xx NOTIFY
    for a REFER, the provider's REST API accepting the call update); ``confirmed_by`` names the
    confirmation, ``error_kind`` and ``provider_status`` the failure. Truthy when ok."""

    ok: bool
    confirmed_by: str = "transport"
    error_kind: str = "transport_refused"
    provider_status: int | None = None

    def __bool__(self) -> bool:
        return self.ok

    @classmethod
    def of(cls, result: bool | TransferResult) -> TransferResult:
        return result if isinstance(result, TransferResult) else cls(bool(result))


@runtime_checkable
class CallControl(Protocol):
    async def transfer(self, department: str, target: str) -> bool | TransferResult:
        """Hand the call to ``target``; truthy only when the transport confirmed the transfer
        (a :class:`TransferResult` says how, or why not)."""
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

    async def transfer(self, department: str, target: str) -> TransferResult:
        ok = not self.fail_transfers
        self.actions.append(RecordedAction(CallAction.TRANSFER, department=department, target=target, ok=ok))
        return TransferResult(ok, confirmed_by="recorded")

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
