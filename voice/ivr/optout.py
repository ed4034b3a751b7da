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

Numbers are stored and compared as a keyed identifier (:func:`number_digest`): HMAC-SHA-256, under
the deployment's opt-out key (``DIALPHONE_OPTOUT_KEY_B64``, set with :func:`configure_identifiers`
at start-up), of the workspace id and the number in E.164 form, normalized with ``phonenumbers``
in the workspace's ``default_region`` ("07700 900123" in GB and "+44 7700 900123" are one caller).
Neither the list nor a log line holds a caller's number; admins see a masked form. Without the key
nobody can test a guessed number against the list. Rotating the key orphans the stored identifiers:
re-add the list (``dialphone config import`` seeds the YAML's numbers again).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import phonenumbers

from audit.payloads import OptOutScope
from concierge.config import Workspace
from voice.settings import DEV_OPTOUT_KEY

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


_KEY: list[bytes] = [DEV_OPTOUT_KEY]


def configure_identifiers(key: bytes) -> None:
    """Set the process's opt-out key (the server does this once at start-up, from its settings)."""
    if len(key) < 16:
        raise ValueError("the opt-out key needs at least 16 bytes")
    _KEY[0] = key


def _user_part(number: str) -> str:
    if "@" in number or number.startswith(("sip:", "sips:", "tel:")):
        return number.split(":", 1)[-1].split("@", 1)[0].split(";", 1)[0]
    return number


def normalize_number(number: str, region: str = "US") -> str:
    """E.164 (``+447700900123``) when ``phonenumbers`` can place the number in ``region``; else its
    digits alone (an internal extension); "" if it has none."""
    user = _user_part(number)
    digits = _NON_DIGITS.sub("", user)
    if not digits:
        return ""
    try:
        parsed = phonenumbers.parse(user, region.upper())
    except phonenumbers.NumberParseException:
        return digits
    if not phonenumbers.is_possible_number(parsed):
        return digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def number_digest(workspace_id: str, number: str, *, region: str = "US", key: bytes | None = None) -> str:
    """The keyed identifier a number is stored and matched by (the raw number is never kept)."""
    message = f"dialphone-optout\x1f{workspace_id}\x1f{normalize_number(number, region)}".encode()
    return hmac.new(key or _KEY[0], message, hashlib.sha256).hexdigest()


def mask_number(number: str, region: str = "US") -> str:
    """The masked form an admin sees: only the last two digits."""
    digits = _NON_DIGITS.sub("", normalize_number(number, region))
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
    region = workspace.default_region
    if caller and normalize_number(caller, region):
        digest = number_digest(workspace.id, caller, region=region)
        listed = {number_digest(workspace.id, n, region=region) for n in workspace.optout_numbers}
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
