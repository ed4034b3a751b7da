"""One ASR queue for every call of a process: deadline order, batches across calls, lane threads.

    batcher = AsrBatcher(engine, lanes=2, max_batch=4, order=QueueOrder.OLDEST_FIRST)
    fut = batcher.submit(pcm16k)                          # a caller's turn ended: decode it
    spec = batcher.submit(pcm16k, speculative=True)       # a guess at the first pause (last in line)
    batcher.promote(spec)                                 # the turn ended on that audio: now a final
    if batcher.accepts_speculation(): ...                 # nothing waiting and a lane idle
    result = batcher.transcribe(pcm16k)                   # blocking, from any thread
    batcher.stats.snapshot()                              # queue wait, service time, batch sizes

Each lane is a thread that takes the head of the queue and as many more requests behind it as fit
in ``max_batch``, and runs them as one ``engine.transcribe_batch`` (one encoder and decoder pass per
hint). Nobody waits for company (``max_wait_ms`` is 0 unless asked): a lone request starts at once,
and requests that queued while the lanes were busy leave together. Final decodes (a turn ended, the
caller waits) always go before speculative ones, and a speculative request is never batched with
finals (it would only make their batch slower); among finals ``order`` decides who goes first:

- ``OLDEST_FIRST``: the caller whose turn ended longest ago (first come, first served);
- ``SHORTEST_FIRST``: the shortest utterance (its decode is the cheapest), ties by age.

Measured on 2 cores with distinct fixture turns (``bench/bench_asr_batch.py``): one CTranslate2
thread per lane decodes more utterances per CPU-second than two threads on one decode, and a batch
of 2-4 distinct utterances costs less per utterance than one at a time (numbers in the README's
capacity section). What the engine's defaults are is :func:`voice.pipeline.engines.asr_settings`.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from voice.asr.result import AsrResult

Pcm = npt.NDArray[np.generic]
WINDOW_S = 30.0  # how far back the queue figures (waits, service times) look


class QueueOrder(enum.Enum):
    """Which final decode goes first when several wait."""

    OLDEST_FIRST = "oldest_first"
    SHORTEST_FIRST = "shortest_first"


class BatchEngine(Protocol):
    def transcribe_batch(
        self, pcms: Sequence[Pcm], *, hints: Sequence[str | None] | None = None
    ) -> list[AsrResult]: ...


class AsrFuture(Future[AsrResult]):
    """The result of one queued utterance; knows its request (for :meth:`AsrBatcher.promote`)."""

    def __init__(self, request: AsrRequest) -> None:
        super().__init__()
        self.request = request


@dataclass(eq=False, slots=True)
class AsrRequest:
    """One utterance waiting for (or in) a decode. ``future`` gets its :class:`AsrResult`."""

    pcm: Pcm
    hint: str | None
    speculative: bool
    since: float  # when the caller started waiting for it (end of turn), monotonic seconds
    seconds: float  # length of the audio
    future: AsrFuture = field(init=False)
    started: float = 0.0
    finished: float = 0.0
    batch: int = 0  # size of the batch it ran in

    @property
    def queue_s(self) -> float:
        """How long it waited before its decode started (so far, if still waiting)."""
        return (self.started or time.monotonic()) - self.since


@dataclass(slots=True)
class _Done:
    at: float
    wait_s: float
    service_s: float
    batch: int
    speculative: bool


class QueueStats:
    """What the queue did recently (the last ``WINDOW_S`` seconds) and in total; thread-safe."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._recent: deque[_Done] = deque()
        self.finals = 0
        self.speculative = 0
        self.speculative_skipped = 0  # a lane was busy or a decode was waiting: no guess started
        self.speculative_cancelled = 0
        self.batches = 0
        self.batched_items = 0
        self.busy_s = 0.0  # lane time spent decoding, all lanes

    def record(self, batch: list[AsrRequest], service_s: float) -> None:
        now = self._clock()
        with self._lock:
            self.batches += 1
            self.batched_items += len(batch)
            self.busy_s += service_s
            for r in batch:
                if r.speculative:
                    self.speculative += 1
                else:
                    self.finals += 1
                self._recent.append(_Done(now, r.started - r.since, service_s, len(batch), r.speculative))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._recent and now - self._recent[0].at > WINDOW_S:
            self._recent.popleft()

    def recent(self, window_s: float = WINDOW_S, *, finals_only: bool = True) -> list[tuple[float, float, int]]:
        """(queue wait s, service s, batch size) of the decodes that ended in the last ``window_s``."""
        now = self._clock()
        with self._lock:
            self._trim(now)
            return [(d.wait_s, d.service_s, d.batch) for d in self._recent
                    if now - d.at <= window_s and not (finals_only and d.speculative)]

    def snapshot(self) -> dict[str, Any]:
        """Totals and the recent queue wait and service percentiles (milliseconds), for reports."""
        done = self.recent()
        waits = sorted(w for w, _, _ in done)
        services = sorted(s for _, s, _ in done)
        return {
            "finals": self.finals,
            "speculative": self.speculative,
            "speculative_skipped": self.speculative_skipped,
            "speculative_cancelled": self.speculative_cancelled,
            "batches": self.batches,
            "mean_batch": round(self.batched_items / self.batches, 2) if self.batches else 0.0,
            "busy_s": round(self.busy_s, 2),
            "recent_wait_p50_ms": _pct_ms(waits, 0.5),
            "recent_wait_p95_ms": _pct_ms(waits, 0.95),
            "recent_service_p50_ms": _pct_ms(services, 0.5),
        }


def _pct_ms(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    return round(values[min(len(values) - 1, int(round(q * (len(values) - 1))))] * 1000, 1)


class AsrBatcher:
    """The shared ASR queue in front of one engine (see the module docstring)."""

    def __init__(
        self,
        engine: BatchEngine,
        *,
        lanes: int = 1,
        max_batch: int = 4,
        max_wait_ms: float = 0.0,
        order: QueueOrder = QueueOrder.OLDEST_FIRST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self.lanes = max(1, lanes)
        self.max_batch = max(1, max_batch)
        self._max_wait = max_wait_ms / 1000
        self.order = order
        self._clock = clock
        self._queue: list[AsrRequest] = []
        self._cond = threading.Condition()
        self._running = 0  # lanes decoding now
        self._closed = False
        self._service_ewma = 0.0  # seconds per batch, recent
        self.stats = QueueStats(clock)
        self._threads = [
            threading.Thread(target=self._lane, name=f"asr-lane-{i}", daemon=True) for i in range(self.lanes)
        ]
        for t in self._threads:
            t.start()

    @property
    def batches(self) -> int:
        return self.stats.batches

    # -- callers ---------------------------------------------------------------------------------
    def submit(
        self, pcm16k: Pcm, *, hint: str | None = None, speculative: bool = False, since: float | None = None
    ) -> AsrFuture:
        """Queue one utterance (mono 16 kHz); ``since``: when the caller started waiting (default now)."""
        req = AsrRequest(pcm16k, hint, speculative, self._clock() if since is None else since, len(pcm16k) / 16000)
        req.future = AsrFuture(req)
        with self._cond:
            if self._closed:
                raise RuntimeError("the ASR queue is shut down")
            self._queue.append(req)
            self._cond.notify()
        return req.future

    def transcribe(self, pcm16k: Pcm, *, hint: str | None = None) -> AsrResult:
        """Decode one utterance through the queue, waiting for it (any thread but a lane's)."""
        return self.submit(pcm16k, hint=hint).result()

    def promote(self, future: Future[AsrResult], *, since: float | None = None) -> None:
        """A speculative request became the turn's final decode: it queues as one from now on."""
        if not isinstance(future, AsrFuture):
            return
        req = future.request
        with self._cond:
            if req.speculative:
                req.speculative = False
                req.since = self._clock() if since is None else since
                self._cond.notify()

    def cancel(self, future: Future[AsrResult]) -> bool:
        """Drop a request that has not started (a guess the caller's new speech made stale)."""
        if not isinstance(future, AsrFuture):
            return False
        with self._cond:
            req = future.request
            if req in self._queue and future.cancel():
                self._queue.remove(req)
                self.stats.speculative_cancelled += int(req.speculative)
                return True
        return False

    def accepts_speculation(self) -> bool:
        """True when a guess costs nobody anything: nothing waits and fewer than a quarter of the lanes
        decode (on 2 lanes: none. Lanes share the cores with each other and with the calls' event
        loop, so a guess beside a final decode slows that decode down.)"""
        with self._cond:
            free = not self._queue and self._running * 4 < self.lanes
        if not free:
            self.stats.speculative_skipped += 1
        return free

    @property
    def pending(self) -> int:
        """Requests queued or being decoded."""
        with self._cond:
            return len(self._queue) + self._running

    def queued(self) -> tuple[int, float]:
        """(final decodes waiting, how long the oldest of them has waited in seconds)."""
        now = self._clock()
        with self._cond:
            finals = [r for r in self._queue if not r.speculative]
            return len(finals), max((now - r.since for r in finals), default=0.0)

    def predicted_wait_s(self) -> float:
        """How long a final decode submitted now would wait before it starts (recent service times)."""
        with self._cond:
            finals = sum(1 for r in self._queue if not r.speculative)
            running = self._running
            ewma = self._service_ewma
        if running < self.lanes and finals == 0:
            return 0.0
        # it rides in the next batch of a lane that frees up (half a batch from now, on average),
        # behind the full rounds of batches already waiting
        return ewma * (0.5 + finals // (self.lanes * self.max_batch))

    def shutdown(self, wait: bool = False) -> None:
        with self._cond:
            self._closed = True
            left, self._queue = self._queue, []
            self._cond.notify_all()
        for req in left:
            req.future.cancel()
        if wait:
            for t in self._threads:
                t.join(timeout=10)

    # -- lanes -----------------------------------------------------------------------------------
    def _key(self, req: AsrRequest) -> tuple[int, float, float]:
        if self.order is QueueOrder.SHORTEST_FIRST:
            return (int(req.speculative), req.seconds, req.since)
        return (int(req.speculative), req.since, req.seconds)

    def _take(self) -> list[AsrRequest] | None:
        """The next batch (None: shut down). Holds the condition's lock."""
        while True:
            while not self._queue and not self._closed:
                self._cond.wait()
            if self._closed:
                return None
            if self._max_wait and len(self._queue) < self.max_batch:
                self._cond.wait_for(lambda: len(self._queue) >= self.max_batch or self._closed, timeout=self._max_wait)
                if self._closed:
                    return None
            ranked = sorted(self._queue, key=self._key)
            head = ranked[0]
            batch = [r for r in ranked if r.speculative == head.speculative][: self.max_batch]
            for r in batch:
                self._queue.remove(r)
            batch = [r for r in batch if r.future.set_running_or_notify_cancel()]
            if batch:
                return batch

    def _lane(self) -> None:
        while True:
            with self._cond:
                batch = self._take()
                if batch is None:
                    return
                self._running += 1
            started = self._clock()
            for r in batch:
                r.started, r.batch = started, len(batch)
            results: list[AsrResult] | None = None
            error: BaseException | None = None
            try:
                results = self._engine.transcribe_batch([r.pcm for r in batch], hints=[r.hint for r in batch])
            except BaseException as exc:  # hand the failure to every waiting caller; the lane goes on
                error = exc
            finished = self._clock()
            service = finished - started
            for r in batch:
                r.finished = finished
            with self._cond:
                self._running -= 1
                self._service_ewma = service if not self._service_ewma else 0.7 * self._service_ewma + 0.3 * service
            self.stats.record(batch, service)
            for k, r in enumerate(batch):
                if results is not None and len(results) == len(batch):
                    r.future.set_result(results[k])
                else:
                    r.future.set_exception(error or RuntimeError("the ASR engine returned a short batch"))
