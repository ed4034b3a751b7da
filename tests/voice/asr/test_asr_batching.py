"""The shared ASR queue without a model: deadline order, batches across calls, speculation rules."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from voice.asr import AsrBatcher, AsrResult, QueueOrder


def _result(tag: str) -> AsrResult:
    return AsrResult(text=tag, words=(), no_speech_prob=0.0, avg_logprob=0.0, duration_ms=0, model="fake",
                     version="0")


class GatedEngine:
    """Decodes whatever it is given, but each batch waits until the test opens the gate."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.gate = threading.Semaphore(0)
        self.entered = threading.Semaphore(0)
        self.fail = False

    def transcribe_batch(self, pcms: Sequence[np.ndarray], *, hints: Sequence[str | None] | None = None) -> list[AsrResult]:
        tags = [f"{len(p)}" for p in pcms]
        self.batches.append(tags)
        self.entered.release()
        assert self.gate.acquire(timeout=5)
        if self.fail:
            raise RuntimeError("model failed")
        return [_result(t) for t in tags]


def pcm(samples: int) -> np.ndarray:
    return np.zeros(samples, np.float32)


@pytest.fixture
def engine() -> GatedEngine:
    return GatedEngine()


def _block_lane(batcher: AsrBatcher, engine: GatedEngine) -> object:
    """Occupy the only lane with one decode; returns its future."""
    first = batcher.submit(pcm(1), since=0.0)
    assert engine.entered.acquire(timeout=5)
    return first


def test_queued_finals_leave_together_oldest_first_and_guesses_last(engine: GatedEngine) -> None:
    batcher = AsrBatcher(engine, lanes=1, max_batch=2)
    try:
        first = _block_lane(batcher, engine)
        guess = batcher.submit(pcm(50), speculative=True, since=1.0)
        late = batcher.submit(pcm(300), since=3.0)
        early = batcher.submit(pcm(200), since=2.0)
        latest = batcher.submit(pcm(100), since=4.0)
        assert not batcher.accepts_speculation()  # decodes wait: no guess may start now
        for _ in range(4):
            engine.gate.release()
        for fut in (first, early, late, latest, guess):
            fut.result(timeout=5)  # type: ignore[attr-defined]
        # the two oldest finals together, then the last final alone (never with the guess), then the guess
        assert engine.batches == [["1"], ["200", "300"], ["100"], ["50"]]
        assert early.request.batch == 2 and latest.request.batch == 1
        assert batcher.stats.finals == 4 and batcher.stats.speculative == 1
    finally:
        batcher.shutdown(wait=True)


def test_shortest_first_order(engine: GatedEngine) -> None:
    batcher = AsrBatcher(engine, lanes=1, max_batch=1, order=QueueOrder.SHORTEST_FIRST)
    try:
        _block_lane(batcher, engine)
        futs = [batcher.submit(pcm(n), since=float(k)) for k, n in enumerate((300, 100, 200))]
        for _ in range(4):
            engine.gate.release()
        for f in futs:
            f.result(timeout=5)
        assert engine.batches == [["1"], ["100"], ["200"], ["300"]]
    finally:
        batcher.shutdown(wait=True)


def test_a_promoted_guess_queues_as_a_final_and_a_stale_one_is_dropped(engine: GatedEngine) -> None:
    batcher = AsrBatcher(engine, lanes=1, max_batch=1)
    try:
        _block_lane(batcher, engine)
        other = batcher.submit(pcm(30), since=5.0)
        guess = batcher.submit(pcm(20), speculative=True, since=1.0)
        stale = batcher.submit(pcm(10), speculative=True, since=1.0)
        batcher.promote(guess, since=2.0)  # the turn ended on the guessed audio: it waits since 2.0
        assert batcher.cancel(stale) and stale.cancelled()
        for _ in range(3):
            engine.gate.release()
        assert guess.result(timeout=5).text == "20" and other.result(timeout=5).text == "30"
        assert engine.batches == [["1"], ["20"], ["30"]]
        assert batcher.stats.speculative_cancelled == 1
        assert not batcher.cancel(guess)  # done: nothing to drop
    finally:
        batcher.shutdown(wait=True)


def test_speculation_only_while_the_lanes_are_idle(engine: GatedEngine) -> None:
    batcher = AsrBatcher(engine, lanes=2, max_batch=4)
    try:
        assert batcher.accepts_speculation()
        first = _block_lane(batcher, engine)
        assert not batcher.accepts_speculation()  # one of two lanes busy: a guess would slow its decode
        second = batcher.submit(pcm(2))
        assert engine.entered.acquire(timeout=5)
        assert not batcher.accepts_speculation()  # both lanes busy
        assert batcher.pending == 2 and batcher.stats.speculative_skipped == 2
        engine.gate.release()
        engine.gate.release()
        first.result(timeout=5)  # type: ignore[attr-defined]
        second.result(timeout=5)
    finally:
        batcher.shutdown(wait=True)
    wide = AsrBatcher(engine, lanes=8, max_batch=4)
    try:
        _block_lane(wide, engine)
        assert wide.accepts_speculation()  # one of eight lanes busy: room for a guess
        engine.gate.release()
    finally:
        wide.shutdown(wait=True)


def test_a_failed_batch_fails_its_callers_and_the_lane_goes_on(engine: GatedEngine) -> None:
    batcher = AsrBatcher(engine, lanes=1, max_batch=4)
    try:
        engine.fail = True
        fut = batcher.submit(pcm(5))
        engine.gate.release()
        with pytest.raises(RuntimeError, match="model failed"):
            fut.result(timeout=5)
        engine.fail = False
        ok = batcher.submit(pcm(6))
        engine.gate.release()
        assert ok.result(timeout=5).text == "6"
    finally:
        batcher.shutdown(wait=True)


def test_wait_figures_and_prediction(engine: GatedEngine) -> None:
    now = [100.0]
    batcher = AsrBatcher(engine, lanes=1, max_batch=1, clock=lambda: now[0])
    try:
        assert batcher.predicted_wait_s() == 0.0
        first = batcher.submit(pcm(1))
        assert engine.entered.acquire(timeout=5)
        now[0] = 100.4
        engine.gate.release()
        first.result(timeout=5)
        queued = batcher.submit(pcm(2), since=100.0)  # lane idle again: it starts at once
        assert engine.entered.acquire(timeout=5)
        waiting = batcher.submit(pcm(3), since=100.1)
        assert batcher.queued() == (1, pytest.approx(0.3))
        # a batch running (about half of its 0.4 s left), then one full batch ahead in line
        assert batcher.predicted_wait_s() == pytest.approx(0.6)
        engine.gate.release()
        engine.gate.release()
        queued.result(timeout=5)
        waiting.result(timeout=5)
        snap = batcher.stats.snapshot()
        assert snap["finals"] == 3 and snap["batches"] == 3 and snap["recent_service_p50_ms"] == 0.0
    finally:
        batcher.shutdown(wait=True)


def test_shutdown_cancels_what_waits(engine: GatedEngine) -> None:
    batcher = AsrBatcher(engine, lanes=1, max_batch=1)
    _block_lane(batcher, engine)
    waiting = batcher.submit(pcm(9))
    batcher.shutdown()
    assert waiting.cancelled()
    engine.gate.release()
    with pytest.raises(RuntimeError):
        batcher.submit(pcm(1))
