"""Replayable caller scenarios: a fixture YAML (turns at offsets in one WAV) or plain audio files.

:func:`load_scenario` checks what it reads (before any model loads): a file that is not audio or not
a fixture, or audio at a rate the pipeline cannot take, raises :class:`ReplayError` with one line
naming the file, the cause and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import yaml

from voice.audio import read_audio, to_int16_bytes
from voice.testing.exceptions import ReplayError

#: Rates the pipeline runs at (webrtcvad's, the telephone band and wideband); ``--rate`` resamples to one.
RATES = (8000, 16000)


@dataclass
class ReplayTurn:
    pcm16: bytes
    barge_in_offset_s: float | None = None


@dataclass
class Scenario:
    name: str
    rate: int
    turns: list[ReplayTurn]
    department: str | None = None
    expect: dict[str, Any] = field(default_factory=dict)
    spec: dict[str, Any] = field(default_factory=dict)


def load_scenario(path: Path, *, rate: int | None = None) -> Scenario:
    """A fixture YAML, or an audio file replayed as one continuous caller turn."""
    if path.suffix in (".yaml", ".yml"):
        return _from_yaml(path, rate)
    pcm, sr = _audio(path, rate)
    return Scenario(name=path.stem, rate=sr, turns=[ReplayTurn(to_int16_bytes(pcm))])


def _audio(path: Path, rate: int | None) -> tuple[np.ndarray, int]:
    if rate is not None and rate not in RATES:
        raise ReplayError(f"--rate {rate}: the pipeline runs at {' or '.join(map(str, RATES))} Hz")
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError):
        raise ReplayError(f"{path}: not an audio file that can be read (WAV or FLAC) "
                          "nor a fixture YAML; pass recordings or fixtures/audio/*.yaml") from None
    if rate is None and info.samplerate not in RATES:
        raise ReplayError(f"{path}: audio at {info.samplerate} Hz; the pipeline runs at 8000 or 16000 Hz: "
                          "pass --rate 8000 or --rate 16000 to resample it")
    return read_audio(path, rate)


def _from_yaml(path: Path, rate: int | None) -> Scenario:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        raise ReplayError(f"{path}: not a readable fixture YAML") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("audio"), str):
        raise ReplayError(f"{path}: not a fixture (no 'audio:' field naming its recording); "
                          "see fixtures/README.md")
    audio_path = path.parent / spec["audio"]
    if not audio_path.is_file():
        raise ReplayError(f"{path}: its audio {audio_path} does not exist (fixtures/make_fixtures.py renders it)")
    pcm, sr = _audio(audio_path, rate)
    turns = []
    try:
        for t in spec.get("turns") or []:
            a = max(0, int((float(t["start_s"]) - 0.15) * sr))
            b = min(len(pcm), int((float(t["end_s"]) + 0.1) * sr))
            turns.append(
                ReplayTurn(to_int16_bytes(pcm[a:b]), barge_in_offset_s=t.get("barge_in_offset_s"))
            )
    except (KeyError, TypeError, ValueError):
        raise ReplayError(f"{path}: every turn needs numeric start_s and end_s") from None
    if not turns:  # silence scenario: the whole file is one "turn" of line audio
        turns.append(ReplayTurn(to_int16_bytes(pcm)))
    return Scenario(
        name=str(spec.get("scenario", path.stem)),
        rate=sr,
        turns=turns,
        department=spec.get("department"),
        expect=dict(spec.get("expect") or {}),
        spec=spec,
    )


def expand(paths: list[Path]) -> list[Path]:
    """Folders expand to the fixture YAMLs they hold (INDEX.yaml excluded)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.glob("*.yaml") if q.name != "INDEX.yaml"))
        else:
            out.append(p)
    return out


def silence(rate: int, seconds: float) -> bytes:
    return np.zeros(int(rate * seconds), dtype="<i2").tobytes()
