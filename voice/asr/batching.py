"""Batch concurrent ``transcribe`` calls from several calls into one decoder pass (the GPU path).

    batcher = AsrBatcher(engine, max_batch=8, max_wait_ms=8)
    # from any number of executor threads, one per call:
    result = batcher.transcribe(pcm16k, hint=None)

The first thread to arrive waits up to ``max_wait_ms`` for company (or until ``max_batch`` requests
are queued), then runs one ``engine.transcribe_batch`` for the whole batch and hands each thread its
result. On a CPU the batch gains little (use ``engine.transcribe`` directly); on a GPU one batch
costs about as much as one utterance.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from voice.asr.engine import AsrEngine
from voice.asr.result import AsrResult


@dataclass(slots=True)
class _Request:
    pcm: npt.NDArray[np.generic]
    hint: str | None
    done: threading.Event = field(default_factory=threading.Event)
    result: AsrResult | None = None
    error: BaseException | None = None


class AsrBatcher:
    """Thread-safe micro-batcher in front of one :class:`AsrEngine`."""

    def __init__(self, engine: AsrEngine, *, max_batch: int = 8, max_wait_ms: float = 8.0) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._max_wait = max_wait_ms / 1000
        self._pending: list[_Request] = []
        self._cond = threading.Condition()
        self._leader = False
        self.batches = 0  # number of decoder passes run (for tests and metrics)

    def transcribe(self, pcm16k: npt.NDArray[np.generic], *, hint: str | None = None) -> AsrResult:
        request = _Request(pcm16k, hint)
        with self._cond:
            self._pending.append(request)
            self._cond.notify_all()
            lead = not self._leader
            if lead:
                self._leader = True
                self._cond.wait_for(lambda: len(self._pending) >= self._max_batch, timeout=self._max_wait)
        if lead:
            self._drain()
        request.done.wait()
        if request.error is not None:
            raise request.error
        assert request.result is not None
        return request.result

    def _drain(self) -> None:
        while True:
            with self._cond:
                batch, self._pending = self._pending[: self._max_batch], self._pending[self._max_batch :]
                if not batch:
                    self._leader = False
                    return
            try:
                results = self._engine.transcribe_batch([r.pcm for r in batch], hints=[r.hint for r in batch])
                self.batches += 1
                for r, res in zip(batch, results, strict=True):
                    r.result = res
            except BaseException as exc:  # hand the failure to every waiting caller
                for r in batch:
                    r.error = exc
            finally:
                for r in batch:
                    r.done.set()
