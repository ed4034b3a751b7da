"""PCM checks and small signal helpers for the ASR engine (16 kHz mono)."""

from __future__ import annotations

import hashlib

import numpy as np
import numpy.typing as npt

from voice.asr.exceptions import AsrInputError

SAMPLE_RATE = 16000
FloatArray = npt.NDArray[np.float32]


def as_float32(pcm: npt.NDArray[np.generic]) -> FloatArray:
    """Mono float32 in [-1, 1] from int16 or float PCM; raises :class:`AsrInputError` otherwise."""
    if not isinstance(pcm, np.ndarray):
        raise AsrInputError("audio must be a numpy array")
    if pcm.ndim != 1:
        raise AsrInputError(f"audio must be mono (1-D), got shape {pcm.shape}")
    if pcm.dtype == np.int16:
        return (pcm.astype(np.float32) / 32768.0).astype(np.float32)
    if np.issubdtype(pcm.dtype, np.floating):
        return np.ascontiguousarray(pcm, dtype=np.float32)
    raise AsrInputError(f"audio must be int16 or float PCM, got {pcm.dtype}")


def frame_dbfs(x: FloatArray, frame: int = 320) -> npt.NDArray[np.float64]:
    """Level of each ``frame``-sample frame (20 ms at 16 kHz) in dBFS (a full-scale sine is -3)."""
    n = len(x) // frame
    if n == 0:
        return np.full(
            1, -120.0 if len(x) == 0 else 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)
        )
    frames = x[: n * frame].astype(np.float64).reshape(n, frame)
    return np.asarray(10 * np.log10(np.mean(frames**2, axis=1) + 1e-12), dtype=np.float64)


def peak_dbfs(x: FloatArray) -> float:
    """Level of the loudest 20 ms frame, in dBFS."""
    return float(np.max(frame_dbfs(x)))


def trim_trailing_quiet(x: FloatArray, *, floor_dbfs: float, keep_ms: int = 100) -> FloatArray:
    """``x`` ending ``keep_ms`` after its last 20 ms frame at or above ``floor_dbfs`` (zero-padded if needed).

    Appending silence to an utterance does not change the result, so a speculative decode at the first
    pause and the final decode at the end of the turn see the same samples.
    """
    frame = 320
    padded = np.zeros(-(-len(x) // frame) * frame, dtype=np.float32)
    padded[: len(x)] = x
    loud = np.nonzero(frame_dbfs(padded, frame) >= floor_dbfs)[0]
    if len(x) == 0 or len(loud) == 0:
        return x[:0]
    end = (int(loud[-1]) + 1) * frame + keep_ms * SAMPLE_RATE // 1000
    if end <= len(padded):
        return padded[:end]
    return np.concatenate([padded, np.zeros(end - len(padded), np.float32)])


def audio_key(x: FloatArray, hint: str | None) -> bytes:
    """A digest of the samples and the hint: equal keys mean the same decode."""
    h = hashlib.blake2b(digest_size=16)
    h.update(len(x).to_bytes(8, "little"))
    h.update(x.tobytes())
    h.update(b"\0" + (hint or "").encode("utf-8"))
    return h.digest()
