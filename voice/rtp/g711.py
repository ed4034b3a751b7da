"""G.711 µ-law and A-law with numpy lookup tables (ITU-T G.711, the Sun/audioop reference code).

Encoding indexes a 65,536-entry table with the int16 sample; decoding a 256-entry one. Results
equal Python's ``audioop.lin2ulaw/ulaw2lin/lin2alaw/alaw2lin`` for 16-bit samples::

    payload = ulaw_encode(pcm16)          # np.int16 array -> bytes, one byte per sample
    pcm16 = ulaw_decode(payload)          # bytes -> np.int16 array
    encode("PCMA", pcm16), decode("PCMA", payload)
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["alaw_decode", "alaw_encode", "decode", "encode", "ulaw_decode", "ulaw_encode"]

Pcm = npt.NDArray[np.int16]

_SEG_UEND = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_SEG_AEND = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _segment(value: int, ends: tuple[int, ...]) -> int:
    for i, end in enumerate(ends):
        if value <= end:
            return i
    return len(ends)


def _lin2ulaw(sample: int) -> int:
    pcm = sample >> 2
    if pcm < 0:
        pcm, mask = -pcm, 0x7F
    else:
        mask = 0xFF
    pcm = min(pcm, 8159) + (0x84 >> 2)
    seg = _segment(pcm, _SEG_UEND)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((pcm >> (seg + 1)) & 0xF)) ^ mask


def _ulaw2lin(byte: int) -> int:
    u = ~byte & 0xFF
    t = (((u & 0x0F) << 3) + 0x84) << ((u & 0x70) >> 4)
    return 0x84 - t if u & 0x80 else t - 0x84


def _lin2alaw(sample: int) -> int:
    pcm = sample >> 3
    if pcm >= 0:
        mask = 0xD5
    else:
        mask = 0x55
        pcm = -pcm - 1
    seg = _segment(pcm, _SEG_AEND)
    if seg >= 8:
        return 0x7F ^ mask
    aval = seg << 4
    aval |= (pcm >> 1) & 0xF if seg < 2 else (pcm >> seg) & 0xF
    return aval ^ mask


def _alaw2lin(byte: int) -> int:
    a = byte ^ 0x55
    t = (a & 0x0F) << 4
    seg = (a & 0x70) >> 4
    if seg == 0:
        t += 8
    elif seg == 1:
        t += 0x108
    else:
        t = (t + 0x108) << (seg - 1)
    return t if a & 0x80 else -t


_SAMPLES = range(-32768, 32768)
#: index with ``sample + 32768``
ULAW_ENCODE = np.array([_lin2ulaw(s) for s in _SAMPLES], dtype=np.uint8)
ALAW_ENCODE = np.array([_lin2alaw(s) for s in _SAMPLES], dtype=np.uint8)
ULAW_DECODE = np.array([_ulaw2lin(b) for b in range(256)], dtype=np.int16)
ALAW_DECODE = np.array([_alaw2lin(b) for b in range(256)], dtype=np.int16)


def _index(pcm: npt.ArrayLike) -> npt.NDArray[np.int32]:
    return np.asarray(pcm, dtype=np.int16).astype(np.int32) + 32768


def ulaw_encode(pcm: npt.ArrayLike) -> bytes:
    return ULAW_ENCODE[_index(pcm)].tobytes()


def alaw_encode(pcm: npt.ArrayLike) -> bytes:
    return ALAW_ENCODE[_index(pcm)].tobytes()


def ulaw_decode(data: bytes) -> Pcm:
    return ULAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def alaw_decode(data: bytes) -> Pcm:
    return ALAW_DECODE[np.frombuffer(data, dtype=np.uint8)]


def encode(codec: str, pcm: npt.ArrayLike) -> bytes:
    """Encode with ``"PCMU"`` or ``"PCMA"``."""
    return ulaw_encode(pcm) if codec.upper() == "PCMU" else alaw_encode(pcm)


def decode(codec: str, data: bytes) -> Pcm:
    """Decode ``"PCMU"`` or ``"PCMA"`` bytes to int16 samples."""
    return ulaw_decode(data) if codec.upper() == "PCMU" else alaw_decode(data)
