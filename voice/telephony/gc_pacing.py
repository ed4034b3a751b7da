"""Full garbage-collection passes at the moment the RTP media clock has just sent its packets.

A full (generation 2) pass holds the interpreter lock for as long as it scans; with 20 SIP calls
up that was 15-30 ms (each call's pipeline is ~1,600 linked objects, and the calls that just ended
are freed in the same pass). Started anywhere in a 20 ms media tick, such a pass delays the next
tick's packets and the caller hears a gap. While the media clock runs, the collector's own trigger
for full passes is switched off and the media thread runs them itself, right after a tick: the pass
then uses the slack before the next tick instead of landing on it. Young generations are collected
as usual (they are short). A full pass still runs as often as the collector would have run it (when
``gc.get_count()[2]`` reaches the generation-2 threshold), so garbage does not pile up; when the
last call ends the collector's own trigger is restored and one pass frees that call's pipeline.

Enabled by :func:`voice.server.process.settle_heap` (the server process only); until then every hook is a
no-op, so a test process embedding the server keeps the interpreter's defaults.
"""

from __future__ import annotations

import gc
import logging
import threading
import time

log = logging.getLogger("dialphone.gc")

_OFF = 1 << 30  # a generation-2 threshold the collector never reaches


class GcPacer:
    """Owns the generation-2 trigger while a media clock runs (one per process)."""

    def __init__(self) -> None:
        self.enabled = False
        self.passes = 0
        self.max_pass_ms = 0.0
        self._clocks = 0
        self._saved: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def enable(self) -> None:
        self.enabled = True

    def clock_started(self) -> None:
        """A media clock's thread started: it takes over the full passes."""
        if not self.enabled:
            return
        with self._lock:
            self._clocks += 1
            if self._clocks == 1:
                g0, g1, g2 = gc.get_threshold()
                self._saved = (g0, g1, g2)
                gc.set_threshold(g0, g1, _OFF)

    def clock_stopped(self) -> None:
        """A media clock's thread ended (no call left): restore the collector and free what ended."""
        if not self.enabled:
            return
        with self._lock:
            self._clocks = max(0, self._clocks - 1)
            if self._clocks or self._saved is None:
                return
            gc.set_threshold(*self._saved)
            threshold2 = self._saved[2]
            self._saved = None
        self._collect(threshold2, force=True)

    def after_tick(self) -> None:
        """Called by the media thread once a tick's packets are sent."""
        saved = self._saved
        if saved is not None:
            self._collect(saved[2], force=False)

    def _collect(self, threshold2: int, *, force: bool) -> None:
        if not force and gc.get_count()[2] < threshold2:
            return
        started = time.perf_counter()
        gc.collect(2)
        took = (time.perf_counter() - started) * 1000
        self.passes += 1
        self.max_pass_ms = max(self.max_pass_ms, took)
        log.debug("full GC pass after a media tick: %.1f ms", took)


PACER = GcPacer()
