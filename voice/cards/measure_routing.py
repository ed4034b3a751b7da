"""Concierge routing: the embedded brain over the fixture scenarios' scripted turns
(:func:`concierge.evaluate.evaluate_routing`), disaggregated by the expected outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from concierge.config import load_workspace
from concierge.evaluate import evaluate_routing, load_scenarios
from voice.cards.exceptions import MeasurementError
from voice.cards.stats import Count, proportion, proportion_gap

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "audio"
WORKSPACE = REPO / "examples" / "workspace.yaml"


def measure(fixtures: Path = FIXTURES, workspace: Path = WORKSPACE) -> dict[str, Any]:
    scenarios = load_scenarios(fixtures)
    if not scenarios:
        raise MeasurementError(f"no fixture scenarios under {fixtures}")
    report = evaluate_routing(load_workspace(str(workspace)), scenarios)
    groups: dict[str, Count] = {}
    for r in report.results:
        c = groups.get(r.expected, Count(0, 0))
        groups[r.expected] = Count(c.k + r.ok, c.n + 1)
    groups = dict(sorted(groups.items()))
    return {
        "scenarios": len(scenarios),
        "accuracy": proportion(sum(r.ok for r in report.results), len(report.results)),
        "by_expected": {g: proportion(c.k, c.n) for g, c in groups.items()},
        "expected_gap": proportion_gap(groups),
        "misses": [{"scenario": r.scenario, "turn": r.turn, "expected": r.expected, "got": r.got}
                   for r in report.results if not r.ok],
    }
