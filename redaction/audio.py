"""Audio redaction of stored recordings: mute or beep every word inside a PII span.

Word timestamps come from the ASR as ``(word, start_s, end_s)``; the text that was redacted must
be :func:`words_text` of the same words, so character spans map back to words.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from redaction.entities import Redacted
from redaction.exceptions import RedactionError

WordTiming = tuple[str, float, float]
BEEP_HZ = 1000.0


class AudioMode(enum.Enum):
    MUTE = "mute"
    BEEP = "beep"


def _pieces(words: Sequence[WordTiming]) -> list[str]:
    out: list[str] = []
    for i, (w, _, _) in enumerate(words):
        if i == 0:
            out.append(w.lstrip())
        elif w[:1].isspace():
            out.append(w)
        else:
            out.append(" " + w)
    return out


def words_text(words: Sequence[WordTiming]) -> str:
    """The transcript of ``words`` (whisper-style leading spaces kept, else joined by one space)."""
    return "".join(_pieces(words))


def redact_audio(pcm: npt.NDArray[np.generic], sample_rate: int, words: Sequence[WordTiming],
                 result: Redacted, *, mode: AudioMode = AudioMode.BEEP, pad_s: float = 0.05,
                 beep_level: float = 0.2) -> npt.NDArray[np.generic]:
    """A copy of ``pcm`` with every word that overlaps an entity of ``result`` muted or beeped.

    ``pcm`` is mono or (frames, channels), integer or float; ``result`` is the redaction of
    :func:`words_text` of ``words``.
    """
    if sample_rate <= 0:
        raise RedactionError("sample rate must be positive")
    out = np.array(pcm, copy=True)
    if out.ndim not in (1, 2):
        raise RedactionError("pcm must be mono or (frames, channels)")
    pos = 0
    spans: list[tuple[int, int]] = []
    for piece in _pieces(words):
        lead = len(piece) - len(piece.lstrip())
        spans.append((pos + lead, pos + len(piece)))
        pos += len(piece)
    n = out.shape[0]
    for ent in result.entities:
        for (a, b), (_, t0, t1) in zip(spans, words, strict=True):
            if a < ent.source_end and b > ent.source_start:
                s = max(0, int((t0 - pad_s) * sample_rate))
                e = min(n, int(np.ceil((t1 + pad_s) * sample_rate)))
                if e <= s:
                    continue
                if mode is AudioMode.MUTE:
                    out[s:e] = 0
                else:
                    t = np.arange(e - s) / sample_rate
                    tone = beep_level * np.sin(2 * np.pi * BEEP_HZ * t)
                    if np.issubdtype(out.dtype, np.integer):
                        tone = tone * np.iinfo(out.dtype).max
                    if out.ndim == 2:
                        tone = tone[:, None]
                    out[s:e] = tone.astype(out.dtype)
    return out
