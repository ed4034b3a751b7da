"""What number a line of the concierge asks the caller for: "What's your card number?" -> CREDIT_CARD.

The voice layer reads every reply the brain speaks; when the reply asks for a number, the call's
guard expects one (:meth:`redaction.CallGuard.expect`), so a short answer ("4 1") is taken as part of
that number whatever the ASR made of it.
"""

from __future__ import annotations

import re

from redaction.cues import nearest_cue
from redaction.entities import EntityType
from redaction.spoken import tokenize

_REQUEST = re.compile(
    r"\b(what(?:'s| is| are)|could you|can you|would you|please|may i (?:have|get)|i(?:'ll| will)? need|"
    r"tell me|give me|read (?:me|out)|say|type|enter|provide|confirm|go ahead)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = re.compile(r"\b(number|digits|code|id|date|social|ssn|cvv|zip)\b", re.IGNORECASE)


def asked_for(reply: str) -> EntityType | None:
    """The numeric entity a concierge line asks for, or None (statements and other questions)."""
    if not reply or not (_REQUEST.search(reply) or "?" in reply):
        return None
    # the last sentence that asks is the one the caller answers
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", reply) if s.strip()]
    for sentence in reversed(sentences):
        if not (_REQUEST.search(sentence) or sentence.rstrip().endswith("?")):
            continue
        words = tokenize(sentence)
        found = nearest_cue(words, 0, len(words))
        if found is not None and found[0].is_numeric and _NUMBER_WORDS.search(sentence):
            return found[0]
        if found is not None and found[0] in (EntityType.CVV, EntityType.SSN, EntityType.DOB, EntityType.EXPIRY):
            return found[0]
    return None
