"""Speculative decoding support: a small LRU of results keyed by audio digest, with in-flight sharing.

The pipeline may decode at the first pause (``AsrEngine.start``) and again at the end of the turn.
When the audio did not change in between (the caller stayed silent), the second call gets the first
result; when the first decode is still running in another thread, the second call waits for it
rather than decoding the same audio twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from voice.asr.result import AsrResult


@dataclass(frozen=True, slots=True)
class Speculation:
    """Handle returned by ``AsrEngine.start``: the digest of the audio decoded and its result."""

    key: bytes
    result: AsrResult


class ResultCache:
    """Thread-safe LRU of ``AsrResult`` by key; concurrent requests for one key compute it once."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, AsrResult] = OrderedDict()
        self._inflight: dict[bytes, threading.Event] = {}
        self._lock = threading.Lock()

    def get(self, key: bytes) -> AsrResult | None:
        with self._lock:
            result = self._items.get(key)
            if result is not None:
                self._items.move_to_end(key)
            return result

    def _put(self, key: bytes, result: AsrResult) -> None:
        if self._size <= 0:
            return
        self._items[key] = result
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def get_or_compute(self, key: bytes, compute: Callable[[], AsrResult]) -> tuple[AsrResult, bool]:
        """(result, reused): the cached or in-flight result for ``key``, else ``compute()``."""
        while True:
            with self._lock:
                result = self._items.get(key)
                if result is not None:
                    self._items.move_to_end(key)
                    return result, True
                event = self._inflight.get(key)
                if event is None:
                    event = self._inflight[key] = threading.Event()
                    break
            event.wait()
        try:
            result = compute()
            with self._lock:
                self._put(key, result)
            return result, False
        finally:
            with self._lock:
                self._inflight.pop(key, None)
            event.set()
