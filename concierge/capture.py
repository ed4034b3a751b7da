"""Secure keypad capture and the egress check: the seams the concierge uses, the voice layer fills.

When the concierge needs a card, a CVV or a social security number it does not ask the caller to say
it: the ``collect_number_securely`` tool switches the call into capture mode (compare Twilio's
``<Pay>``). The caller types the number on the keypad and presses pound; the digits go straight to the
call's vault, no audio reaches speech recognition meanwhile, and the brain gets back only a token, the
number of digits and whether the number is valid (Luhn for a card). The voice layer implements
:class:`SecureCapture` per call; :class:`Boundary` is the call's egress check that every text leaving
the call for a model or a supervisor passes (``scrub`` replaces any stretch of a caller's secret).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from redaction.entities import EntityType

KINDS: dict[str, EntityType] = {
    "card": EntityType.CREDIT_CARD, "cvv": EntityType.CVV, "expiry": EntityType.EXPIRY,
    "ssn": EntityType.SSN, "account": EntityType.BANK_ACCOUNT, "routing": EntityType.ROUTING_NUMBER,
    "member_id": EntityType.MEDICAL_ID, "date_of_birth": EntityType.DOB, "phone": EntityType.PHONE,
}
PROMPTS: dict[EntityType, str] = {
    EntityType.CREDIT_CARD: "Please type your card number on your keypad, then press pound.",
    EntityType.CVV: "Please type the security code on the back of your card, then press pound.",
    EntityType.EXPIRY: "Please type the expiration date as four digits, month then year, then press pound.",
    EntityType.SSN: "Please type your social security number on your keypad, then press pound.",
    EntityType.BANK_ACCOUNT: "Please type your account number on your keypad, then press pound.",
    EntityType.ROUTING_NUMBER: "Please type the routing number on your keypad, then press pound.",
    EntityType.MEDICAL_ID: "Please type your member ID number on your keypad, then press pound.",
    EntityType.DOB: "Please type your date of birth as eight digits, month, day, year, then press pound.",
    EntityType.PHONE: "Please type the phone number on your keypad, then press pound.",
}
CAPTURE_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class CaptureOutcome:
    """What the brain learns from a capture: never the digits."""

    status: str  # "captured", "cancelled", "timeout", "unavailable"
    token: str | None = None
    digits: int = 0
    valid: bool = False


class SecureCapture(Protocol):
    async def collect(self, entity_type: EntityType, *, prompt: str, timeout_s: float) -> CaptureOutcome:
        """Put the call into capture mode, say ``prompt``, and wait for pound, star or the timeout."""
        ...


class Boundary(Protocol):
    def scrub(self, text: str) -> tuple[str, int]:
        """``text`` with any stretch of a caller's secret replaced, and how many were replaced."""
        ...


_SKIP_KEYS = frozenset({"role", "type", "id", "tool_use_id", "name", "cache_control"})


def scrub_messages(messages: list[object], boundary: Boundary) -> int:
    """Scrub every text of a model request's messages in place (tool inputs and results included);
    returns how many stretches were replaced."""
    total = 0

    def walk(node: object) -> object:
        nonlocal total
        if isinstance(node, str):
            text, n = boundary.scrub(node)
            total += n
            return text
        if isinstance(node, dict):
            for k in list(node):
                if k not in _SKIP_KEYS:
                    node[k] = walk(node[k])
            return node
        if isinstance(node, list):
            for i, item in enumerate(node):
                node[i] = walk(item)
        return node

    for m in messages:
        walk(m)
    return total
