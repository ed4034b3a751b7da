"""The ASR engine on real recordings: speech, silence, digits, loops, speculation, batching."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from voice.asr import DIGITS_HINT, AsrBatcher, AsrConfig, AsrEngine, AsrInputError, WindowPolicy
from voice.asr.evaluate import load_pcm16k
from voice.asr.fsdd import build_sequences
from voice.asr.textnorm import normalize_words, spoken_digits


@pytest.fixture(scope="session")
def engine() -> AsrEngine:
    return AsrEngine()


@pytest.fixture(scope="session")
def speech(shared_dir: Path) -> Path:
    return shared_dir / "audio" / "speech"


def words(text: str) -> str:
    return " ".join(normalize_words(text))


def test_jfk(engine: AsrEngine, speech: Path) -> None:
    result = engine.transcribe(load_pcm16k(speech / "jfk.flac"))
    assert "ask not what your country can do for you" in words(result.text)
    assert result.duration_ms == 11000
    assert result.model.startswith("faster-whisper tiny.en") and result.version == "0.1.0"
    assert -1.0 < result.avg_logprob < 0 and result.no_speech_prob < 0.5
    assert not result.silent and not result.repetition_cut
    assert "ask" not in repr(result)  # the transcript never reaches a log through repr


def test_int16_input_matches_float(engine: AsrEngine, speech: Path) -> None:
    pcm = load_pcm16k(speech / "spk1_snt1.wav")
    as_int16 = (np.clip(pcm, -1, 1) * 32767).astype(np.int16)
    assert words(engine.transcribe(as_int16).text) == "the child almost hurt the small dog"


def test_silence_and_line_noise_give_empty_text(engine: AsrEngine) -> None:
    zeros = engine.transcribe(np.zeros(32000, np.float32))
    assert zeros.text == "" and zeros.silent
    noise = np.random.default_rng(7).normal(0, 0.01, 48000).astype(np.float32)  # about -40 dBFS hiss
    result = engine.transcribe(noise)
    assert result.text == "" and result.silent


def test_four_digit_sequences(engine: AsrEngine, shared_dir: Path) -> None:
    seqs = build_sequences(shared_dir / "audio" / "fsdd", count=8, seed=3)
    plain = sum(spoken_digits(engine.transcribe(s.audio).text) == s.digits for s in seqs)
    hinted = [engine.transcribe(s.audio, hint=DIGITS_HINT).text for s in seqs]
    assert plain >= 7
    assert sum(spoken_digits(t) == s.digits for t, s in zip(hinted, seqs, strict=True)) >= 7
    assert all(set(t) <= set("0123456789 ,.-") for t in hinted)  # digit-only vocabulary
    fixed = [spoken_digits(engine.transcribe(s.audio, hint="digits:4").text) for s in seqs]
    assert sum(f == s.digits for f, s in zip(fixed, seqs, strict=True)) >= 7


def test_repetition_guard_cuts_a_real_loop(speech: Path) -> None:
    # Without the encoded-silence fill and with a window that ends with the speech, tiny.en loops:
    # "The child almost hurt the small dog. The child almost hurt the small dog. The"
    looping = AsrEngine(
        config=AsrConfig(
            beam_size=1,
            silence_fill=False,
            window=WindowPolicy(lead_s=0.0, tail_s=0.0, min_window_s=0.0),
        )
    )
    result = looping.transcribe(load_pcm16k(speech / "spk1_snt1.wav"))
    assert result.repetition_cut
    assert words(result.text) == "the child almost hurt the small dog"


def test_speculative_decode_is_reused_when_only_silence_was_added(engine: AsrEngine, speech: Path) -> None:
    pcm = load_pcm16k(speech / "spk1_snt4.wav")
    spec = engine.start(pcm)
    longer = np.concatenate([pcm, np.zeros(8000, np.float32)])  # the caller stayed silent 0.5 s more
    final = engine.finish(spec, longer)
    assert final.reused and final.text == spec.result.text
    changed = np.concatenate([pcm, load_pcm16k(speech / "spk1_snt5.wav")])
    other = engine.finish(spec, changed)
    assert not other.reused and "sunday" in words(other.text)


def test_no_result_is_shared_between_calls(engine: AsrEngine, speech: Path) -> None:
    # Two callers sending the same audio each get a decode of their own: nothing is cached.
    pcm = load_pcm16k(speech / "spk1_snt4.wav")
    first, second = engine.transcribe(pcm), engine.transcribe(pcm.copy())
    assert not first.reused and not second.reused
    assert second.latency_ms > 0 and first.text == second.text


def test_batch_matches_single_calls(engine: AsrEngine, speech: Path) -> None:
    clips = [load_pcm16k(speech / n) for n in ("spk1_snt3.wav", "spk2_snt2.wav")]
    batch = engine.transcribe_batch([clips[0], np.zeros(16000, np.float32), clips[1]])
    assert [r.silent for r in batch] == [False, True, False]
    assert words(batch[0].text) == "at that high level the air is pure"
    assert words(batch[2].text) == "what joy there is in living"


def test_word_timestamps(speech: Path) -> None:
    timed = AsrEngine(config=AsrConfig(word_timestamps=True, beam_size=1))
    result = timed.transcribe(load_pcm16k(speech / "jfk.flac"))
    assert len(result.words) == len(result.text.split())
    starts = [w.start_ms for w in result.words]
    assert starts == sorted(starts) and 0 <= starts[0] < 1500 and starts[-1] > 8000
    assert result.words[-1].end_ms <= result.duration_ms + 500


@pytest.mark.parametrize("bad", [np.zeros((100, 2), np.float32), np.zeros(100, np.int32), [0.0] * 10])
def test_bad_input_is_rejected(engine: AsrEngine, bad: object) -> None:
    with pytest.raises(AsrInputError):
        engine.transcribe(bad)  # type: ignore[arg-type]


def test_batcher_joins_concurrent_calls(engine: AsrEngine, speech: Path) -> None:
    clips = [load_pcm16k(speech / n) for n in ("spk1_snt1.wav", "spk1_snt3.wav", "spk2_snt2.wav")]
    batcher = AsrBatcher(engine, max_batch=3, max_wait_ms=2000)
    try:
        with ThreadPoolExecutor(max_workers=3) as pool:
            texts = [words(r.text) for r in pool.map(batcher.transcribe, clips)]
    finally:
        batcher.shutdown(wait=True)
    assert texts == [
        "the child almost hurt the small dog",
        "at that high level the air is pure",
        "what joy there is in living",
    ]
    assert batcher.batches == 1


def test_two_lanes_decode_at_once(speech: Path) -> None:
    two = AsrEngine(config=AsrConfig(cpu_threads=1, lanes=2))
    clips = [load_pcm16k(speech / n) for n in ("spk1_snt1.wav", "spk2_snt2.wav")]
    batcher = AsrBatcher(two, lanes=2, max_batch=1)
    try:
        futures = [batcher.submit(c) for c in clips]
        texts = [words(f.result(timeout=60).text) for f in futures]
    finally:
        batcher.shutdown(wait=True)
    assert texts == ["the child almost hurt the small dog", "what joy there is in living"]
    assert batcher.batches == 2
