"""Audio redaction on real recordings: FSDD digits concatenated, with their true word times."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from redaction import AudioMode, CallRedactor, RedactionError, redact_audio, words_text

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _recording(shared: Path, digits: str) -> tuple[np.ndarray, int, list[tuple[str, float, float]]]:
    rate = 8000
    gap = np.zeros(int(0.1 * rate), dtype=np.float32)
    pieces: list[np.ndarray] = []
    words: list[tuple[str, float, float]] = []
    t = 0.0
    # "my card is" as silence-padded placeholders (no speech there), then the digits
    for w in ("my", "card", "is"):
        pieces.append(np.zeros(int(0.2 * rate), dtype=np.float32))
        words.append((w, t, t + 0.2))
        t += 0.2
    for i, d in enumerate(digits):
        clip, sr = sf.read(str(shared / "audio" / "fsdd" / f"{d}_theo_{i}.wav"), dtype="float32")
        assert sr == rate
        pieces.extend([clip, gap])
        words.append((DIGIT_WORDS[int(d)], t, t + len(clip) / rate))
        t += (len(clip) + len(gap)) / rate
    pieces.append(np.ones(int(0.5 * rate), dtype=np.float32) * 0.1)  # trailing non-PII audio
    words.append(("thanks", t, t + 0.5))
    return np.concatenate(pieces), rate, words


@pytest.mark.parametrize("mode", [AudioMode.MUTE, AudioMode.BEEP])
def test_pii_words_are_muted_or_beeped(shared_dir: Path, mode: AudioMode) -> None:
    pcm, rate, words = _recording(shared_dir, "4111111111111111")
    text = words_text(words)
    result = CallRedactor().redact(text)
    assert [e.type.value for e in result.entities] == ["CREDIT_CARD"]
    out = redact_audio(pcm, rate, words, result, mode=mode, pad_s=0.0)
    assert out.shape == pcm.shape and out is not pcm
    first, last = words[3], words[-2]
    s, e = int(first[1] * rate), int(last[2] * rate)
    if mode is AudioMode.MUTE:
        assert np.all(out[s:e] == 0)
    else:
        assert not np.allclose(out[s:e], pcm[s:e])
        # the beep is a steady tone: no trace of the speech envelope
        assert abs(np.abs(out[s:e]).max() - 0.2) < 0.01
    tail = int(words[-1][1] * rate)
    assert np.array_equal(out[tail:], pcm[tail:])
    assert np.abs(pcm[s:e]).max() > 0.01  # the original really had speech there


def test_int16_and_whisper_style_words() -> None:
    pcm = (np.ones(16000) * 1000).astype(np.int16)
    words = [(" My", 0.0, 0.2), (" social", 0.2, 0.5), (" is", 0.5, 0.6), (" 123-45-6789.", 0.6, 1.0)]
    text = words_text(words)
    assert text == "My social is 123-45-6789."
    out = redact_audio(pcm, 16000, words, CallRedactor().redact(text), mode=AudioMode.MUTE, pad_s=0.0)
    assert out.dtype == np.int16
    assert np.all(out[int(0.6 * 16000):16000] == 0)
    assert np.all(out[:int(0.6 * 16000)] == 1000)


def test_bad_arguments() -> None:
    with pytest.raises(RedactionError):
        redact_audio(np.zeros(10), 0, [], CallRedactor().redact(""))
    with pytest.raises(RedactionError):
        redact_audio(np.zeros((2, 2, 2)), 8000, [], CallRedactor().redact(""))
