"""Speech-safe rendering of tokens in text from the brain: "[CREDIT_CARD_1]" -> "the card ending in 1111".

Only the masked hint kept at tokenization time is used (never a decrypted value); a token this
call did not issue becomes a neutral phrase, so nothing token-shaped reaches TTS.
"""

from __future__ import annotations

import re
from typing import Protocol

from redaction.entities import EntityType as T
from redaction.vault import TokenInfo

TOKEN_RE = re.compile(r"\[([A-Z_]+?)_(\d+)\]")

_NOUNS: dict[T, str] = {
    T.CREDIT_CARD: "the card", T.CVV: "the security code", T.EXPIRY: "the expiration date",
    T.SSN: "the social security number", T.PHONE: "the phone number", T.EMAIL: "the email address",
    T.DOB: "the date of birth", T.BANK_ACCOUNT: "the bank account", T.ROUTING_NUMBER: "the routing number",
    T.MEDICAL_ID: "the member ID", T.PERSON: "the name you gave", T.ADDRESS: "the address you gave",
    T.ID_NUMBER: "the number", T.NUMBER: "the number you gave",
}


class TokenDescriber(Protocol):
    """Anything that can describe a token without detokenizing: a Vault or a CallRedactor."""

    def describe(self, token: str) -> TokenInfo | None: ...


def _spell_digits(digits: str) -> str:
    return " ".join(digits)


def _phrase(info: TokenInfo | None, prefix: str) -> str:
    if info is None:
        try:
            typ = T(prefix)
        except ValueError:
            return "that detail"
        return _NOUNS[typ]
    noun = _NOUNS[info.type]
    if info.hint:
        return f"{noun} ending in {_spell_digits(info.hint)}"
    return noun


def speakable(text: str, vault_or_state: TokenDescriber) -> str:
    """``text`` with every token replaced by a masked phrase fit for TTS."""
    return TOKEN_RE.sub(lambda m: _phrase(vault_or_state.describe(m.group(0)), m.group(1)), text)
