"""G.711 tables against ITU reference values and Python's audioop (where it still exists)."""

from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

from voice.rtp.g711 import alaw_decode, alaw_encode, decode, encode, ulaw_decode, ulaw_encode

ALL = np.arange(-32768, 32768, dtype=np.int16)


@pytest.mark.parametrize(
    ("sample", "ulaw", "alaw"),
    [
        (0, 0xFF, 0xD5),
        (-1, 0x7E, 0x55),
        (32767, 0x80, 0xAA),
        (-32768, 0x00, 0x2A),
        (1000, 0xCE, 0xFA),
        (-1000, 0x4E, 0x7A),
    ],
)
def test_known_encodings(sample: int, ulaw: int, alaw: int) -> None:
    assert ulaw_encode(np.array([sample], dtype=np.int16)) == bytes([ulaw])
    assert alaw_encode(np.array([sample], dtype=np.int16)) == bytes([alaw])


def test_known_decodings() -> None:
    assert ulaw_decode(bytes([0x80, 0x00, 0xFF, 0x7F])).tolist() == [32124, -32124, 0, 0]
    assert alaw_decode(bytes([0xAA, 0x2A, 0xD5, 0x55])).tolist() == [32256, -32256, 8, -8]


def test_round_trip_is_idempotent_and_monotonic() -> None:
    for codec in ("PCMU", "PCMA"):
        once = decode(codec, encode(codec, ALL))
        assert decode(codec, encode(codec, once)).tolist() == once.tolist()
        assert np.all(np.diff(once.astype(np.int32)) >= 0)  # quantisation keeps order
        err = np.abs(once.astype(np.int32) - ALL.astype(np.int32))
        assert err.max() <= 1024  # G.711 step at full scale
        small = np.abs(ALL.astype(np.int32)) < 64
        assert err[small].max() <= 8


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="audioop was removed in Python 3.13")
def test_matches_audioop_exactly() -> None:
    audioop = importlib.import_module("audioop")
    data = ALL.tobytes()
    assert ulaw_encode(ALL) == audioop.lin2ulaw(data, 2)
    assert alaw_encode(ALL) == audioop.lin2alaw(data, 2)
    codes = bytes(range(256))
    assert ulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)
    assert alaw_decode(codes).tobytes() == audioop.alaw2lin(codes, 2)
