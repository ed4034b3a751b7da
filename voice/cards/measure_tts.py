"""Speech synthesis intelligibility: an ASR round trip over fixed bot sentences.

Each sentence is synthesized by hibari (voice ``heart``, seed 0, so the audio is the same on every
run) at 16 kHz (wideband: WebRTC, wideband SIP) and at 8 kHz through G.711 µ-law (the telephone path),
recognized by the project's ASR (tiny.en; 8 kHz is resampled to 16 kHz first) and scored by WER
against the sentence; digit strings are scored digit by digit (the masked values are spoken digit by
digit, and the recognizer writes "1111" or "1 1 1 1" for the same audio). The WER includes the recognizer's own errors: it is an upper bound on what a
caller mishears, and a change in it flags a change in either model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from voice.asr.engine import AsrEngine
from voice.asr.textnorm import normalize_words, token_errors
from voice.audio import resample
from voice.cards.stats import Scored, wer_gap, wer_summary
from voice.rtp.g711 import ulaw_decode, ulaw_encode
from voice.tts import HibariEngine

# (category, sentence): lines the concierge, the IVR and the speakable token rendering produce.
SENTENCES: tuple[tuple[str, str], ...] = (
    ("greeting", "Hello, you've reached Acme. How can I help you today?"),
    ("greeting", "Thank you for calling Acme."),
    ("greeting", "Is there anything else I can help you with?"),
    ("greeting", "Thank you for calling. Goodbye."),
    ("routing", "Sure, let me get you to billing."),
    ("routing", "Sure, let me get you to technical support."),
    ("routing", "Sure, let me get you to the nurse line."),
    ("routing", "Sure, let me get you to the fraud team."),
    ("routing", "Sure, let me get you to sales."),
    ("routing", "Please hold for a moment while a supervisor approves your transfer."),
    ("routing", "Of course. I'm taking you to our menu now, where you can reach the right team."),
    ("routing", "Sorry, that team is closed right now."),
    ("routing", "Could you tell me a little more about what you need?"),
    ("routing", "Sorry, something went wrong on my side. Could you say that again?"),
    ("menu", "For billing, press 1."),
    ("menu", "For technical support, press 2."),
    ("menu", "For sales, press 3."),
    ("menu", "For the nurse line, press 4."),
    ("menu", "To report fraud, press 5."),
    ("menu", "To skip the assistant on future calls from this number, press 9."),
    ("masked value", "I have the card ending in 1 1 1 1."),
    ("masked value", "Thanks, I have your date of birth on file."),
    ("masked value", "I will call you back on the number ending in 0 1 9 9."),
    ("masked value", "Your member ID ending in 4 4 2 0 is verified."),
    ("masked value", "The payment on the card ending in 4 2 4 2 went through."),
    ("faq", "Our offices are open Monday to Friday, from nine in the morning to five in the evening."),
    ("faq", "You can pay your bill online, by phone, or by mail."),
    ("faq", "Refunds usually take five to seven business days to appear on your statement."),
    ("faq", "To reset your password, use the link on the sign in page."),
    ("faq", "Our main office is on the second floor of the Market Street building."),
)
RATES = ("16 kHz", "8 kHz µ-law")


@dataclass(frozen=True, slots=True)
class TtsItem:
    category: str
    rate: str
    errors: int
    words: int


def words(text: str) -> list[str]:
    """:func:`normalize_words`, with every number split into its digits."""
    out: list[str] = []
    for w in normalize_words(text):
        out.extend(list(w) if w.isdigit() else [w])
    return out


def _telephone(audio8k: np.ndarray) -> np.ndarray:
    pcm16 = np.clip(np.round(audio8k * 32767.0), -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(pcm16)).astype(np.float32) / 32768.0


def measure(tts: HibariEngine, asr: AsrEngine, tick: Callable[[], None]) -> list[TtsItem]:
    items: list[TtsItem] = []
    for category, text in SENTENCES:
        tick()
        ref = words(text)
        wide = tts.synthesize(text, 16000)
        narrow = resample(_telephone(tts.synthesize(text, 8000)), 8000, 16000)
        for rate, audio in zip(RATES, (wide, narrow), strict=True):
            hyp = words(asr.transcribe(audio).text)
            items.append(TtsItem(category, rate, token_errors(ref, hyp), len(ref)))
    return items


def summarize(items: list[TtsItem]) -> dict[str, Any]:
    by_rate = {r: [Scored(i.errors, i.words) for i in items if i.rate == r] for r in RATES}
    categories = list(dict.fromkeys(i.category for i in items))
    return {
        "sentences": len(SENTENCES),
        "voice": "heart",
        "by_rate": {r: wer_summary(s) for r, s in by_rate.items()},
        "by_category": {
            c: {r: wer_summary([Scored(i.errors, i.words) for i in items if i.rate == r and i.category == c])
                for r in RATES}
            for c in categories
        },
        "rate_gap": wer_gap(by_rate[RATES[0]], by_rate[RATES[1]]),
    }
