"""Replayable caller scenarios: a fixture YAML (turns at offsets in one WAV) or plain audio files."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from voice.audio import read_audio, to_int16_bytes


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
    pcm, sr = read_audio(path, rate)
    return Scenario(name=path.stem, rate=sr, turns=[ReplayTurn(to_int16_bytes(pcm))])


def _from_yaml(path: Path, rate: int | None) -> Scenario:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    audio_path = path.parent / spec["audio"]
    pcm, sr = read_audio(audio_path, rate)
    turns = []
    for t in spec.get("turns") or []:
        a = max(0, int((float(t["start_s"]) - 0.15) * sr))
        b = min(len(pcm), int((float(t["end_s"]) + 0.1) * sr))
        turns.append(
            ReplayTurn(to_int16_bytes(pcm[a:b]), barge_in_offset_s=t.get("barge_in_offset_s"))
        )
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
