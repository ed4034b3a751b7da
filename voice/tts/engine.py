"""The Hibari engine and the cache of fixed lines rendered once.

Hibari (``hibari-tts``, Apache-2.0) synthesizes 24 kHz float audio at ~100x real time on one core;
:meth:`HibariEngine.synthesize` resamples each sentence with soxr to the rate asked for (8 kHz for
telephony). Fixed prompts (greetings, IVR menus, fillers) are rendered once by :class:`PromptCache`.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from voice.audio import resample, to_int16_bytes
from voice.models import resolve_hibari

HIBARI_RATE = 24000


class HibariEngine:
    """The loaded model; thread-safe through one lock (onnxruntime sessions are not re-entrant here)."""

    def __init__(self, *, voice: str = "heart", speed: float = 1.05, threads: int = 1) -> None:
        import hibari  # onnxruntime and the G2P: loaded with the first engine, not with the module

        if voice != "heart":
            raise ValueError("only hibari's bundled voice 'heart' is available offline")
        resolved = resolve_hibari()  # verifies every model file's SHA-256 first
        self.model_id = f"hibari-{voice}"
        self.model_version = resolved.version
        self._tts: Any = hibari.Hibari(voice=voice, model=str(resolved.path / "hibari.onnx"), threads=threads)
        self.speed = speed
        self.voice = voice
        self._lock = threading.Lock()
        self.invocations = 0

    def sentences(self, text: str) -> list[str]:
        return [s for s in self._tts.split_sentences(text) if s.strip()]

    def synthesize(self, text: str, rate: int, *, seed: int | None = 0) -> np.ndarray:
        """Text (one sentence or more) to float32 audio at ``rate``, leading silence trimmed."""
        with self._lock:
            self.invocations += 1
            audio = np.asarray(self._tts(text, speed=self.speed, seed=seed), dtype=np.float32)
        return resample(trim_leading_silence(audio, HIBARI_RATE), HIBARI_RATE, rate)

    def warm_up(self) -> None:
        """Load the lazily built G2P and run the model once, so the first call is not slow."""
        self.synthesize("Hello there.", HIBARI_RATE)
        self.invocations = 0


def trim_leading_silence(audio: np.ndarray, rate: int, *, keep_ms: int = 10, threshold: float = 0.01) -> np.ndarray:
    """Hibari starts every sentence with ~300 ms of silence; a caller would hear it as latency."""
    loud = np.flatnonzero(np.abs(audio) > threshold)
    if len(loud) == 0:
        return audio
    start = max(0, int(loud[0]) - rate * keep_ms // 1000)
    return audio[start:]


class PromptCache:
    """Fixed lines rendered once per (text, rate): greeting and IVR menu at start, and the sentences of
    the concierge's own lines (:meth:`allow`) the first time one is spoken. Only lines that can hold
    no caller data are ever allowed in, since the cache is shared by every call of the process."""

    def __init__(self, engine: HibariEngine) -> None:
        self._engine = engine
        self._cache: dict[tuple[str, int], bytes] = {}
        self._allowed: set[str] = set()
        self._lock = threading.Lock()

    def get(self, text: str, rate: int) -> bytes:
        key = (text, rate)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None:
            hit = to_int16_bytes(self._engine.synthesize(text, rate))
            with self._lock:
                self._cache[key] = hit
        return hit

    def preload(self, texts: list[str], rate: int) -> None:
        for t in texts:
            self.get(t, rate)

    def allow(self, lines: list[str]) -> None:
        """Let these lines' sentences be cached when first spoken (nothing is synthesized now)."""
        for line in lines:
            self._allowed.update(s.strip() for s in self._engine.sentences(line))

    def cacheable(self, sentence: str) -> bool:
        return sentence.strip() in self._allowed

    def __contains__(self, key: tuple[str, int]) -> bool:
        return key in self._cache
