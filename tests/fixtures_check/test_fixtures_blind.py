"""The blind set (fixtures/audio-blind): the same scenarios as fixtures/audio, with voices and rates drawn
by seed instead of chosen by audition, so end-to-end figures can be reported on audio nobody screened."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import soundfile as sf
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
SCREENED, BLIND = FIXTURES / "audio", FIXTURES / "audio-blind"


def _docs(folder: Path) -> dict[str, dict[str, Any]]:
    index = yaml.safe_load((folder / "INDEX.yaml").read_text(encoding="utf-8"))
    return {e["scenario"]: yaml.safe_load((folder / e["yaml"]).read_text(encoding="utf-8")) for e in index["scenarios"]}


def test_blind_set_has_the_same_scripts_and_expectations() -> None:
    screened, blind = _docs(SCREENED), _docs(BLIND)
    assert set(blind) == set(screened)
    for name, doc in blind.items():
        ref = screened[name]
        assert doc["expect"] == ref["expect"], name
        assert [t["text"] for t in doc["turns"]] == [t["text"] for t in ref["turns"]], name
        assert [t["pii"] for t in doc["turns"]] == [t["pii"] for t in ref["turns"]], name


def test_blind_voices_were_not_the_auditioned_ones() -> None:
    screened, blind = _docs(SCREENED), _docs(BLIND)
    pairs = [(t["voice"], t["rate"], s["turns"][i]["voice"], s["turns"][i]["rate"])
             for name, doc in blind.items() for s in [screened[name]] for i, t in enumerate(doc["turns"])]
    assert sum((a, b) != (c, d) for a, b, c, d in pairs) >= 0.75 * len(pairs)
    assert len({p[0] for p in pairs}) >= 6  # drawn from the whole candidate list


def test_blind_audio_matches_its_yaml() -> None:
    for doc in _docs(BLIND).values():
        info = sf.info(str(BLIND / doc["audio"]))
        assert info.samplerate == doc["sample_rate"]
        assert abs(info.duration - doc["duration_s"]) < 0.02
        assert all(0 <= t["start_s"] < t["end_s"] <= doc["duration_s"] for t in doc["turns"])
