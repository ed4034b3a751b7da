"""Small PCM helpers shared by transports, TTS and the replay harness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf
import soxr


def to_int16_bytes(samples: np.ndarray) -> bytes:
    """Float [-1, 1] or int16 samples to little-endian int16 bytes."""
    if samples.dtype == np.int16:
        return samples.tobytes()
    clipped = np.clip(samples, -1.0, 1.0)
    return (clipped * 32767.0).astype("<i2").tobytes()


def from_int16_bytes(data: bytes) -> np.ndarray:
    """Little-endian int16 bytes to float32 in [-1, 1]."""
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited resampling (soxr, high quality); float32 in and out."""
    x = samples.astype(np.float32, copy=False)
    if src_rate == dst_rate or len(x) == 0:
        return x
    return soxr.resample(x, src_rate, dst_rate, quality="HQ").astype(np.float32, copy=False)


def read_audio(path: str | Path, rate: int | None = None) -> tuple[np.ndarray, int]:
    """Read a mono audio file (WAV/FLAC, PCM or µ-law) as float32, optionally resampled."""
    data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    mono = data.mean(axis=1).astype(np.float32)
    if rate is not None and rate != sr:
        return resample(mono, sr, rate), rate
    return mono, int(sr)


def rms_dbfs(samples: np.ndarray) -> float:
    if len(samples) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples.astype(np.float64)))))
    return 20.0 * np.log10(max(rms, 1e-6))
