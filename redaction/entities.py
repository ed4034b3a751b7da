"""Entity types and the records a redaction returns (tokens and spans, never raw values)."""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field


class EntityType(enum.Enum):
    """What a token stands for; the value is the token prefix."""

    CREDIT_CARD = "CREDIT_CARD"
    CVV = "CVV"
    EXPIRY = "EXPIRY"
    SSN = "SSN"
    PHONE = "PHONE"
    EMAIL = "EMAIL"
    DOB = "DOB"
    BANK_ACCOUNT = "BANK_ACCOUNT"
    ROUTING_NUMBER = "ROUTING_NUMBER"
    MEDICAL_ID = "MEDICAL_ID"
    PERSON = "PERSON"
    ADDRESS = "ADDRESS"
    ID_NUMBER = "ID_NUMBER"
    NUMBER = "NUMBER"  # digits tokenized because nothing says they are harmless; kind not known (yet)

    @property
    def is_numeric(self) -> bool:
        return self not in (EntityType.PERSON, EntityType.ADDRESS, EntityType.EMAIL)

    @property
    def is_pci(self) -> bool:
        return self in (EntityType.CREDIT_CARD, EntityType.CVV, EntityType.EXPIRY)

    @property
    def is_phi(self) -> bool:
        return self in (EntityType.MEDICAL_ID, EntityType.DOB)


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """One tokenized entity in one utterance.

    ``start``/``end`` index the redacted text (the token itself); ``source_start``/``source_end``
    index the original text (for audio redaction). ``continued`` is true when this utterance
    extended an entity first tokenized in an earlier utterance (same token, same vault entry).
    """

    type: EntityType
    token: str
    start: int
    end: int
    source_start: int
    source_end: int
    continued: bool = False


@dataclass(frozen=True, slots=True)
class Redacted:
    """A redacted utterance: tokenized ``text`` and its ``entities``; safe to log and to send on."""

    text: str
    entities: tuple[EntityRecord, ...] = field(default_factory=tuple)

    def counts(self) -> dict[str, int]:
        """Entity counts by type name, for the redaction audit event."""
        return dict(Counter(e.type.value for e in self.entities))

    def __str__(self) -> str:
        return self.text
