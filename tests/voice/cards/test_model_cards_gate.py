"""The release gate fails on an injected regression and on a bias gap over its ceiling, and names it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from voice.cards.gate import BIAS_LIMITS, compare, gate_main

METRICS = Path(__file__).resolve().parents[3] / "docs" / "model-cards" / "metrics.json"


def _stored() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(METRICS.read_text(encoding="utf-8"))
    return data


def _failed(stored: dict[str, Any], measured: dict[str, Any]) -> list[str]:
    return [c.figure for c in compare(stored, measured) if not c.ok]


# Issue 14: measured on the held-out FSDD takes (25-49), the full run's no-hint accent gap is 26 points
# (GRC/Greek 74%), over the 20-point ceiling; no model or decoder available here closes it (the card shows
# the alternatives). The gate is right to fail; this marker says so until the gap is closed (strict: it
# turns red again the day the gate passes, so the marker cannot outlive the problem).
KNOWN_OVER_CEILING = {"full": ["asr.accent_gap"]}


@pytest.mark.parametrize("key", ["full", "quick"])
def test_stored_figures_pass_against_themselves(key: str) -> None:
    section = _stored()[key]
    assert _failed(section, section) == KNOWN_OVER_CEILING.get(key, [])


def test_worse_digit_accuracy_beyond_tolerance_fails() -> None:
    stored = _stored()["quick"]
    measured = copy.deepcopy(stored)
    measured["asr"]["fsdd"]["no_hint"]["all"]["p"] -= 0.06
    assert _failed(stored, measured) == ["asr.digit_accuracy"]
    measured["asr"]["fsdd"]["no_hint"]["all"]["p"] = stored["asr"]["fsdd"]["no_hint"]["all"]["p"] - 0.04
    assert _failed(stored, measured) == []  # within the 0.05 tolerance


def test_a_leaked_card_digit_fails() -> None:
    stored = _stored()["quick"]
    measured = copy.deepcopy(stored)
    measured["redaction"]["corpus"]["types"]["CREDIT_CARD"]["leak_rate"] += 0.001
    assert _failed(stored, measured) == ["redaction.leak.CREDIT_CARD"]


def test_bias_gap_over_its_ceiling_fails_even_if_stored_that_way() -> None:
    stored = _stored()["quick"]
    measured = copy.deepcopy(stored)
    ceiling = BIAS_LIMITS["redaction.fsdd_accent_gap"][1]
    measured["redaction"]["fsdd"]["accent_gap"]["gap"] = ceiling + 0.01
    assert _failed(measured, measured) == ["redaction.fsdd_accent_gap"]


def test_gate_main_exits_1_and_names_the_figure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doctored = _stored()
    doctored["quick"]["routing"]["accuracy"]["p"] = 1.5  # impossible stored figure: any measurement regresses
    stored = tmp_path / "metrics.json"
    stored.write_text(json.dumps(doctored), encoding="utf-8")
    code = gate_main(["--quick", "--metrics", str(stored), "--measured", str(METRICS)])
    out = capsys.readouterr().out
    assert code == 1
    assert "routing.accuracy" in out and "FAIL" in out
    assert gate_main(["--quick", "--metrics", str(METRICS), "--measured", str(METRICS)]) == 0


def test_gate_main_exits_2_without_a_usable_metrics_file(tmp_path: Path) -> None:
    (tmp_path / "metrics.json").write_text('{"full": null}', encoding="utf-8")
    assert gate_main(["--metrics", str(tmp_path / "metrics.json"), "--measured", str(METRICS)]) == 2


def test_gate_main_remeasures_and_fails_on_a_worse_measurement(monkeypatch: pytest.MonkeyPatch,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    import voice.cards.run as run

    worse = _stored()
    worse["quick"]["tts"]["by_rate"]["8 kHz µ-law"]["wer"] += 0.05  # the injected regression
    calls: list[bool] = []

    def measure(shared: Path, *, quick: bool) -> dict[str, Any]:
        calls.append(quick)
        return {"full": None, "quick": worse["quick"]}

    monkeypatch.setattr(run, "measure_sections", measure)
    monkeypatch.setattr(run, "resolve_shared", lambda shared: Path("."))
    assert gate_main(["--quick", "--metrics", str(METRICS)]) == 1
    assert calls == [True]
    assert "tts.wer_8k" in capsys.readouterr().out
