"""The committed caller fixtures: every YAML parses, matches its audio, and keeps its promises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
import yaml

AUDIO = Path(__file__).resolve().parents[2] / "fixtures" / "audio"
DEPARTMENTS = {"billing", "technical_support", "sales", "clinical", "fraud"}
EVENTS = {
    "transfer.proposed",
    "needs_approval",
    "clarifying_question",
    "human_request",
    "no_speech",
    "barge_in",
}
REQUIRED_BASES = {
    "billing",
    "technical_support",
    "sales",
    "clinical",
    "fraud",
    "unclear_then_clarified",
    "human_request",
    "card_number",
    "ssn",
    "phone_number",
    "date_of_birth",
    "split_number",
    "barge_in",
    "silence",
    "noisy_line",
}
BANDS = {"wideband": (16000, "PCM_16"), "telephone": (8000, "ULAW")}


def _index() -> dict[str, Any]:
    index: dict[str, Any] = yaml.safe_load((AUDIO / "INDEX.yaml").read_text(encoding="utf-8"))
    return index


def _docs() -> list[dict[str, Any]]:
    return [yaml.safe_load((AUDIO / e["yaml"]).read_text(encoding="utf-8")) for e in _index()["scenarios"]]


DOCS = _docs()
IDS = [d["scenario"] for d in DOCS]


def _luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def test_index_lists_every_scenario_file_and_nothing_else() -> None:
    listed = {e["yaml"] for e in _index()["scenarios"]} | {e["audio"] for e in _index()["scenarios"]}
    on_disk = {p.name for p in AUDIO.iterdir() if p.suffix in (".yaml", ".wav")} - {"INDEX.yaml"}
    assert listed == on_disk


def test_every_required_scenario_exists_in_both_bands() -> None:
    pairs = {(e["base"], e["band"]) for e in _index()["scenarios"]}
    missing = {(b, band) for b in REQUIRED_BASES for band in BANDS} - pairs
    assert not missing


def test_folder_stays_small() -> None:
    total = sum(p.stat().st_size for p in AUDIO.iterdir())
    assert total < 6 * 1024 * 1024, f"fixtures/audio is {total / 1e6:.1f} MB"


def test_more_than_one_voice_and_several_rates() -> None:
    turns = [t for d in DOCS for t in d["turns"]]
    assert len({t["voice"].split(":")[0] for t in turns}) >= 2
    assert len({t["voice"] for t in turns}) >= 3
    assert len({(t["voice"], t["rate"]) for t in turns}) >= 5


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_audio_matches_yaml(doc: dict[str, Any]) -> None:
    info = sf.info(str(AUDIO / doc["audio"]))
    rate, subtype = BANDS[doc["band"]]
    assert (info.samplerate, info.channels, info.subtype) == (rate, 1, subtype)
    assert doc["sample_rate"] == rate
    assert info.duration == pytest.approx(doc["duration_s"], abs=0.011)
    end = 0.0
    for i, turn in enumerate(doc["turns"]):
        assert turn["index"] == i
        assert turn["audio"] == doc["audio"] and turn["sample_rate"] == rate
        assert end <= turn["start_s"] < turn["end_s"]
        assert turn["end_s"] + turn["pause_after_s"] <= doc["duration_s"] + 1e-6
        end = turn["end_s"] + turn["pause_after_s"]


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_speech_where_the_yaml_says_and_quiet_in_pauses(doc: dict[str, Any]) -> None:
    audio, rate = sf.read(str(AUDIO / doc["audio"]), dtype="float32")

    def rms(a: float, b: float) -> float:
        seg = audio[int(a * rate) : int(b * rate)]
        return float(np.sqrt(np.mean(seg.astype(np.float64) ** 2)))

    floor = 10 ** (-50 / 20) if doc["noise"] is None else rms(0.0, 0.4) * 1.5
    for turn in doc["turns"]:
        assert rms(turn["start_s"], turn["end_s"]) > 10 ** (-35 / 20)
        gap = min(turn["pause_after_s"], 1.0)
        if gap >= 0.3:
            assert rms(turn["end_s"] + 0.05, turn["end_s"] + gap - 0.05) < floor
    if not doc["turns"]:
        assert rms(0.0, doc["duration_s"]) < 10 ** (-50 / 20)


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_expectations_are_well_formed(doc: dict[str, Any]) -> None:
    assert doc["department"] in DEPARTMENTS | {None}
    expect = doc["expect"]
    assert expect["department"] == doc["department"]
    assert expect["needs_approval"] == (doc["department"] in {"clinical", "fraud"})
    for ev in expect["events"]:
        assert ev["event"] in EVENTS
        assert ev["turn"] is None or 0 <= ev["turn"] < len(doc["turns"])
    proposed = [ev["department"] for ev in expect["events"] if ev["event"] == "transfer.proposed"]
    if doc["department"] is not None:
        assert proposed and proposed[-1] == doc["department"]
    approvals = [ev for ev in expect["events"] if ev["event"] == "needs_approval"]
    assert bool(approvals) == expect["needs_approval"]
    for turn in doc["turns"]:
        assert turn["text"].strip()
        assert turn["barge_in"] == (turn["barge_in_offset_s"] is not None)
        if turn["barge_in"]:
            assert any(ev["event"] == "barge_in" for ev in turn["events"])


@pytest.mark.parametrize("doc", DOCS, ids=IDS)
def test_pii_values_are_fake_and_well_formed(doc: dict[str, Any]) -> None:
    for ent in doc["expect"]["pii"]:
        value = ent["value"]
        assert isinstance(value, str)
        if ent["type"] == "CREDIT_CARD":
            assert value.isdigit() and 13 <= len(value) <= 19 and _luhn(value)
        elif ent["type"] == "US_SSN":
            assert len(value) == 9 and value.isdigit() and value[:3] not in ("000", "666")
        elif ent["type"] == "PHONE_NUMBER":
            assert len(value) == 10 and value[3:8] == "55501"  # fictional NANP range
        elif ent["type"] == "DATE_OF_BIRTH":
            assert len(value) == 10 and value[4] == value[7] == "-"
        else:
            pytest.fail(f"unknown PII type {ent['type']}")
        parts = [p for i in ent["turns"] for p in doc["turns"][i]["pii"] if p["type"] == ent["type"]]
        if len(ent["turns"]) > 1:
            assert "".join(p["value"] for p in sorted(parts, key=lambda p: p["part"])) == value
        else:
            assert [p["value"] for p in parts] == [value]


def test_bands_carry_the_same_scenario() -> None:
    by_base: dict[str, list[dict[str, Any]]] = {}
    for doc in DOCS:
        by_base.setdefault(doc["base"], []).append(doc)
    for docs in by_base.values():
        wide, tel = sorted(docs, key=lambda d: d["sample_rate"], reverse=True)
        assert wide["expect"] == tel["expect"]
        strip = ("audio", "sample_rate")
        assert [{k: v for k, v in t.items() if k not in strip} for t in wide["turns"]] == [
            {k: v for k, v in t.items() if k not in strip} for t in tel["turns"]
        ]
