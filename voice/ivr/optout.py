"""Opt-out resolution: does this call get the AI concierge, or the plain DTMF IVR?

Resolved once at call set-up, in this order (the first that applies wins):

1. the workspace switched AI off (``features.ai_enabled: false``)          -> scope ``workspace``
2. a feature the AI loop needs is off (``concierge`` or ``transcription``)  -> scope ``feature``
3. the caller's number is on the opt-out list (the workspace YAML's
   ``optout_numbers``, the admin list, or the caller's own earlier request
   remembered with consent)                                                 -> scope ``caller``

Mid-call, the caller presses :data:`OPTOUT_DIGIT` or says "agent", "representative", "operator",
"no AI" (the brain's ``caller_requests_human`` tool) and the call switches to the IVR at once
(scope ``mid_call``). ``recording`` is a separate switch: it never decides AI or IVR.

Numbers are stored and compared as a salted SHA-256 digest of their digits (:func:`number_digest`),
so neither the list nor a log line holds a caller's number; admins see a masked form.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from audit.payloads import OptOutScope
from concierge.config import Workspace

OPTOUT_DIGIT = "0"
MID_CALL_PHRASES = ("agent", "representative", "operator", "no AI")
_NON_DIGITS = re.compile(r"[^0-9]")


@runtime_checkable
class OptOutList(Protocol):
    """Caller numbers that get the IVR; the admin store implements it (SQLite, later PostgreSQL)."""

    def contains(self, workspace_id: str, digest: str) -> bool: ...

    def remember(self, workspace_id: str, number: str, *, source: str, actor: str) -> None:
        """Add ``number`` (the caller asked, and consented to be remembered)."""
        ...


def normalize_number(number: str) -> str:
    """Digits only, from a SIP URI user part, an E.164 string or a dialled form; "" if none."""
    user = number.split(":", 1)[-1].split("@", 1)[0] if ("@" in number or number.startswith(("sip:", "tel:"))) else number
    digits = _NON_DIGITS.sub("", user)
    if len(digits) == 10:  # a NANP national number: compare as +1 NXX
        digits = "1" + digits
    return digits


def number_digest(workspace_id: str, number: str) -> str:
    """Salted digest used for storing and matching numbers (the raw number is never kept)."""
    digits = normalize_number(number)
    return hashlib.sha256(f"dialphone-optout:{workspace_id}:{digits}".encode()).hexdigest()


def mask_number(number: str) -> str:
    """The masked form an admin sees: only the last two digits."""
    digits = normalize_number(number)
    return "•" * max(0, len(digits) - 2) + digits[-2:]


@dataclass(frozen=True, slots=True)
class OptOutDecision:
    """What the call runs. ``scope``/``trigger`` are set when the AI is off."""

    ai: bool
    scope: OptOutScope | None = None
    trigger: str = ""
    recording: bool = False
    transcription: bool = True


def resolve(workspace: Workspace, caller: str | None, optouts: OptOutList | None = None) -> OptOutDecision:
    """The set-up decision for one call (see the module docstring for the order)."""
    f = workspace.features
    recording = f.recording
    if not f.ai_enabled:
        return OptOutDecision(False, OptOutScope.WORKSPACE, "ai_disabled", recording, False)
    if not f.concierge:
        return OptOutDecision(False, OptOutScope.FEATURE, "concierge_disabled", recording, f.transcription)
    if not f.transcription:
        return OptOutDecision(False, OptOutScope.FEATURE, "transcription_disabled", recording, False)
    if caller and normalize_number(caller):
        digest = number_digest(workspace.id, caller)
        listed = {number_digest(workspace.id, n) for n in workspace.optout_numbers}
        if digest in listed:
            return OptOutDecision(False, OptOutScope.CALLER, "workspace_list", recording, False)
        if optouts is not None and optouts.contains(workspace.id, digest):
            return OptOutDecision(False, OptOutScope.CALLER, "caller_list", recording, False)
    return OptOutDecision(True, recording=recording)


_LISTS: dict[str, OptOutList] = {}


def register_list(workspace_id: str, optouts: OptOutList | None) -> None:
    """Make ``optouts`` the list new calls of ``workspace_id`` consult (the admin store does this)."""
    if optouts is None:
        _LISTS.pop(workspace_id, None)
    else:
        _LISTS[workspace_id] = optouts


def registered_list(workspace_id: str) -> OptOutList | None:
    return _LISTS.get(workspace_id)
