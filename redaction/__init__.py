"""PII/PHI/PCI redaction of caller speech before any model sees it.

Public API:

- :class:`CallGuard` is the call's privacy boundary: every caller turn (voice or keypad) becomes
  tokenized text or is withheld, secure keypad capture, and the egress scrub (:mod:`redaction.guard`).
- :func:`redact` / :class:`CallRedactor` tokenize final ASR transcripts (``[CREDIT_CARD_1]``).
- :class:`Vault` keeps raw values encrypted per call; :func:`speakable` renders tokens for TTS.
- :class:`DtmfGatherer` tokenizes typed digits; :func:`redact_audio` mutes PII in recordings.
- :func:`warm_up` loads the NER models (about a second) before the first caller needs them.
"""

from __future__ import annotations

from redaction.audio import AudioMode, redact_audio, words_text
from redaction.dtmf import DtmfGatherer
from redaction.entities import EntityRecord, EntityType, Redacted
from redaction.exceptions import (
    InputTooLargeError,
    RedactionError,
    UnknownTokenError,
    VaultError,
    VaultShreddedError,
)
from redaction.guard import CallGuard, CaptureResult, GuardResult, Withheld
from redaction.nlp import warm_up
from redaction.redactor import CallRedactor, redact
from redaction.speakable import speakable
from redaction.vault import Vault

__all__ = [
    "AudioMode",
    "CallGuard",
    "CallRedactor",
    "CaptureResult",
    "DtmfGatherer",
    "EntityRecord",
    "EntityType",
    "GuardResult",
    "InputTooLargeError",
    "Redacted",
    "RedactionError",
    "UnknownTokenError",
    "Vault",
    "VaultError",
    "VaultShreddedError",
    "Withheld",
    "redact",
    "redact_audio",
    "speakable",
    "warm_up",
    "words_text",
]
