"""The release gate: re-measured figures against those stored in ``docs/model-cards/metrics.json``.

    dialphone eval gate [--metrics docs/model-cards/metrics.json] [--quick] [--shared DIR] [--measured F]

Each figure has a direction and a tolerance (:data:`RULES`): the gate fails when the new figure is worse
than the stored one by more than the tolerance. Each bias gap (best minus worst group) has a ceiling
(:data:`BIAS_LIMITS`): the gate fails when the new gap exceeds it, whatever was stored. ``--quick``
compares the quick section (the CI subset); without it, the full section. ``--measured F`` compares a
metrics file written earlier by ``dialphone eval all`` instead of measuring again. Exit status 0: pass,
1: a figure regressed or a gap is over its ceiling, 2: the metrics file cannot be used.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from voice.cards.exceptions import MetricsFileError

DEFAULT_METRICS = Path(__file__).resolve().parents[2] / "docs" / "model-cards" / "metrics.json"
ZERO_LEAK_TYPES = ("CREDIT_CARD", "CVV", "SSN")


class Better(Enum):
    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True, slots=True)
class Rule:
    """A figure at ``path`` (dotted keys into a section) may get worse by at most ``tolerance``."""

    path: str
    better: Better
    tolerance: float


@dataclass(frozen=True, slots=True)
class Check:
    figure: str
    stored: float | None
    measured: float
    limit: str
    ok: bool


RULES: dict[str, Rule] = {
    "asr.wer_speech": Rule("asr.speech.all.wer", Better.LOWER, 0.02),
    "asr.digit_accuracy": Rule("asr.fsdd.no_hint.all.p", Better.HIGHER, 0.05),
    "asr.digit_accuracy_hint": Rule("asr.fsdd.digits_hint.all.p", Better.HIGHER, 0.05),
    "asr.noise_hallucination": Rule("asr.noise.hallucinated.p", Better.LOWER, 0.0),
    "redaction.recall": Rule("redaction.corpus.recall.p", Better.HIGHER, 0.005),
    "redaction.heldout_recall": Rule("redaction.heldout.recall.p", Better.HIGHER, 0.0),
    "redaction.fsdd_tokenized": Rule("redaction.fsdd.tokenized.p", Better.HIGHER, 0.05),
    "routing.accuracy": Rule("routing.accuracy.p", Better.HIGHER, 0.0),
    "tts.wer_16k": Rule("tts.by_rate.16 kHz.wer", Better.LOWER, 0.03),
    "tts.wer_8k": Rule("tts.by_rate.8 kHz µ-law.wer", Better.LOWER, 0.03),
}
# Per entity type, added from the stored file: recall may fall by 0.02 at most, and the zero-leak types
# (cards, CVV, SSN) may not leak one character more.
TYPE_RECALL_TOLERANCE = 0.02

BIAS_LIMITS: dict[str, tuple[str, float]] = {
    "asr.accent_gap": ("asr.fsdd.no_hint.accent_gap.gap", 0.20),
    "asr.accent_gap_hint": ("asr.fsdd.digits_hint.accent_gap.gap", 0.20),
    "redaction.fsdd_accent_gap": ("redaction.fsdd.accent_gap.gap", 0.20),
    "tts.telephone_gap": ("tts.rate_gap.gap", 0.10),
}


def lookup(section: dict[str, Any], path: str) -> float:
    node: Any = section
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            raise MetricsFileError(f"metrics section lacks {path}")
        node = node[key]
    if not isinstance(node, int | float):
        raise MetricsFileError(f"{path} is not a number")
    return float(node)


def _rules_for(stored: dict[str, Any]) -> dict[str, Rule]:
    rules = dict(RULES)
    for t in sorted(stored.get("redaction", {}).get("corpus", {}).get("types", {})):
        rules[f"redaction.recall.{t}"] = Rule(f"redaction.corpus.types.{t}.recall.p", Better.HIGHER,
                                              TYPE_RECALL_TOLERANCE)
        if t in ZERO_LEAK_TYPES:
            rules[f"redaction.leak.{t}"] = Rule(f"redaction.corpus.types.{t}.leak_rate", Better.LOWER, 0.0)
    return rules


def compare(stored: dict[str, Any], measured: dict[str, Any]) -> list[Check]:
    """Every rule and bias ceiling applied to two sections (stored, measured) of metrics files."""
    checks = []
    for name, rule in _rules_for(stored).items():
        old, new = lookup(stored, rule.path), lookup(measured, rule.path)
        sign = 1.0 if rule.better is Better.HIGHER else -1.0
        ok = sign * (new - old) >= -rule.tolerance - 1e-9
        limit = f"{'>=' if sign > 0 else '<='} {old - sign * rule.tolerance:.4f} (stored {'-' if sign > 0 else '+'} {rule.tolerance})"
        checks.append(Check(name, old, new, limit, ok))
    for name, (path, ceiling) in BIAS_LIMITS.items():
        new = lookup(measured, path)
        checks.append(Check(name, lookup(stored, path), new, f"gap <= {ceiling}", new <= ceiling + 1e-9))
    return checks


def describe() -> dict[str, Any]:
    """The rules as written into metrics.json (documentation; the gate applies the module's values)."""
    return {
        "tolerances": {name: {"figure": r.path, "better": r.better.value, "tolerance": r.tolerance}
                       for name, r in RULES.items()},
        "per_type_recall_tolerance": TYPE_RECALL_TOLERANCE,
        "zero_leak_types": list(ZERO_LEAK_TYPES),
        "bias_gap_ceilings": {name: {"figure": p, "max_gap": c} for name, (p, c) in BIAS_LIMITS.items()},
    }


def load_section(path: Path, key: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MetricsFileError(f"cannot read metrics file {path}: {exc}") from exc
    section = data.get(key) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise MetricsFileError(f"{path} has no {key!r} section")
    return section


def render(checks: Sequence[Check], console: Console, title: str) -> None:
    table = Table(title=title)
    for col in ("figure", "stored", "measured", "limit", "verdict"):
        table.add_column(col, justify="left" if col in ("figure", "limit") else "right", no_wrap=True)
    for c in checks:
        stored = "-" if c.stored is None else f"{c.stored:.4f}"
        verdict = "pass" if c.ok else "[red]FAIL[/red]"
        table.add_row(c.figure, stored, f"{c.measured:.4f}", c.limit, verdict)
    console.print(table)


def gate_main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dialphone eval gate", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--metrics", type=Path, default=DEFAULT_METRICS, help="stored figures")
    parser.add_argument("--quick", action="store_true", help="the CI subset (quick section)")
    parser.add_argument("--shared", type=Path, help="shared data folder (default: $DIALPHONE_SHARED or ../shared)")
    parser.add_argument("--measured", type=Path, help="a metrics.json written earlier, instead of measuring")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    key = "quick" if args.quick else "full"
    console = Console(width=None if sys.stdout.isatty() else 110)
    try:
        stored = load_section(args.metrics, key)
        if args.measured:
            measured = load_section(args.measured, key)
        else:
            from voice.cards.run import measure_sections, resolve_shared

            measured_sections = measure_sections(resolve_shared(args.shared), quick=args.quick)
            measured = measured_sections[key]
        checks = compare(stored, measured)
    except MetricsFileError as exc:
        print(f"eval gate: {exc}", file=sys.stderr)
        return 2
    render(checks, console, f"Release gate ({key} section of {args.metrics.name})")
    failed = [c.figure for c in checks if not c.ok]
    if failed:
        console.print(f"[red]gate FAILED[/red]: {', '.join(failed)}")
        return 1
    console.print(f"gate passed: {len(checks)} figures within tolerance")
    return 0
