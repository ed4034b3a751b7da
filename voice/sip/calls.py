"""Per-call state kept by :class:`voice.sip.core.SipCore`."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from voice.sip.dialog import Dialog
from voice.sip.events import Addr
from voice.sip.message import SipRequest
from voice.sip.sdp import SessionDescription
from voice.sip.transaction import ServerInviteTransaction

__all__ = ["Call", "CallState"]


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
