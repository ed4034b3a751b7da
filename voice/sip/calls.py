"""Per-call state kept by :class:`voice.sip.core.SipCore`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from voice.sip.dialog import Dialog, DialogId
from voice.sip.events import Addr
from voice.sip.exceptions import SipCallError
from voice.sip.message import SipRequest
from voice.sip.sdp import SessionDescription
from voice.sip.transaction import ServerInviteTransaction

__all__ = ["Call", "CallState", "CallTable"]


class CallState(enum.Enum):
    INCOMING = "incoming"  # INVITE received, no final response yet
    ANSWERED = "answered"  # 200 sent, waiting for the ACK
    CONFIRMED = "confirmed"  # ACK received
    ENDED = "ended"


@dataclass
class Call:
    ref: str
    invite: SipRequest
    source: Addr
    tx: ServerInviteTransaction
    tx_key: tuple[str, ...]
    local_tag: str
    reliable: bool = False
    state: CallState = CallState.INCOMING
    dialog: Dialog | None = None
    local_sdp: SessionDescription | None = None
    sdp_version: int = 0
    pending_reinvite: ServerInviteTransaction | None = None
    refers: list[str] = field(default_factory=list)  # branches of our REFERs still pending

    @property
    def active(self) -> bool:
        return self.state is not CallState.ENDED


class CallTable:
    """Calls by handle and by dialog id (Call-ID, local tag, remote tag)."""

    def __init__(self) -> None:
        self._calls: dict[str, Call] = {}
        self._dialogs: dict[DialogId, str] = {}
        self._counter = 0

    def new_ref(self) -> str:
        self._counter += 1
        return f"call-{self._counter}"

    def add(self, call: Call) -> None:
        self._calls[call.ref] = call

    def get(self, ref: str | None) -> Call | None:
        return self._calls.get(ref) if ref else None

    def active(self) -> list[str]:
        return [ref for ref, call in self._calls.items() if call.active]

    def __len__(self) -> int:
        """Calls not yet ended (ended calls leave the table)."""
        return len(self._calls)

    def incoming(self, ref: str) -> Call:
        """The call ``ref`` if it still waits for a final response, else SipCallError."""
        call = self._calls.get(ref)
        if call is None or call.state is not CallState.INCOMING:
            raise SipCallError("call is not waiting for an answer")
        return call

    def for_request(self, req: SipRequest) -> Call | None:
        """The call whose dialog an in-dialog request belongs to (UAS view: To tag is ours)."""
        ref = self._dialogs.get((req.call_id, req.to_addr.tag or "", req.from_addr.tag or ""))
        return self._calls.get(ref) if ref else None

    def bind_dialog(self, call: Call, dialog: Dialog) -> None:
        call.dialog = dialog
        self._dialogs[dialog.id] = call.ref

    def remove(self, call: Call) -> None:
        call.state = CallState.ENDED
        if call.dialog is not None:
            self._dialogs.pop(call.dialog.id, None)
        self._calls.pop(call.ref, None)
