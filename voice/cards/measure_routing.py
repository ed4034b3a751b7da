"""Concierge routing: the embedded brain over the fixture scenarios, disaggregated by expected outcome.

- Scripts (:func:`concierge.evaluate.evaluate_routing` on the scripted turn texts): both renderings of
  a scenario (16 kHz and 8 kHz) carry the same script, so each distinct script is routed once (the
  16 kHz files); n counts distinct scripted turns, not files.
- End to end, per band: each turn is cut from its WAV, recognized by the project's ``AsrEngine``,
  passed through a per-call :class:`redaction.CallGuard` (the pipeline's privacy boundary: tokenized
  text, or the turn withheld when unsure), then routed (a withheld turn reaches the brain as nothing);
  each turn that carries a sensitive value is checked for a leak (a digit or number word left in what
  the brain receives, :func:`redaction.fsdd.leaks_digits`), and withheld turns are counted. Reported for the screened fixtures (``fixtures/audio``, voices
  chosen by audition) and for the blind set (``fixtures/audio-blind``, voices and rates drawn by seed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import yaml

from concierge.config import Workspace, load_workspace
from concierge.evaluate import RoutingReport, evaluate_routing, load_scenarios, with_transcripts
from redaction import CallGuard
from redaction.fsdd import leaks_digits
from redaction.redactor import CallRedactor
from voice.asr.engine import AsrEngine
from voice.audio import resample
from voice.cards.exceptions import MeasurementError
from voice.cards.stats import Count, proportion, proportion_gap

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "audio"
BLIND = REPO / "fixtures" / "audio-blind"
WORKSPACE = REPO / "examples" / "workspace.yaml"
BANDS = {"wideband": "16 kHz", "telephone": "8 kHz µ-law"}
CUT_BEFORE_S, CUT_AFTER_S = 0.1, 0.3


def _summary(report: RoutingReport) -> dict[str, Any]:
    groups: dict[str, Count] = {}
    for r in report.results:
        c = groups.get(r.expected, Count(0, 0))
        groups[r.expected] = Count(c.k + r.ok, c.n + 1)
    groups = dict(sorted(groups.items()))
    return {
        "accuracy": proportion(sum(r.ok for r in report.results), len(report.results)),
        "by_expected": {g: proportion(c.k, c.n) for g, c in groups.items()},
        "expected_gap": proportion_gap(groups),
        "misses": [{"scenario": r.scenario, "turn": r.turn, "expected": r.expected, "got": r.got}
                   for r in report.results if not r.ok],
    }


def _docs(folder: Path) -> list[dict[str, Any]]:
    docs = []
    for path in sorted(folder.glob("*.yaml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and "turns" in doc:
            docs.append(doc)
    return docs


def _heard(engine: AsrEngine, folder: Path, doc: dict[str, Any]) -> tuple[list[str], int, int, int]:
    """(what the brain receives for each turn, turns with a sensitive value, of which leaked, turns
    withheld) for one call."""
    audio, rate = sf.read(str(folder / doc["audio"]), dtype="float32")
    guard = CallGuard(CallRedactor(call_id=f"card-{doc['scenario']}"))
    texts, pii_turns, leaked, withheld = [], 0, 0, 0
    for turn in doc["turns"]:
        a = max(0, int((turn["start_s"] - CUT_BEFORE_S) * rate))
        b = min(len(audio), int((turn["end_s"] + CUT_AFTER_S) * rate))
        clip = np.ascontiguousarray(audio[a:b], dtype=np.float32)
        result = guard.heard(engine.transcribe(resample(clip, rate, 16000) if rate != 16000 else clip).text)
        withheld += result.withheld is not None
        text = result.text
        texts.append(text)
        if turn.get("pii"):
            pii_turns += 1
            leaked += leaks_digits(text)
    return texts, pii_turns, leaked, withheld


def end_to_end(engine: AsrEngine, folder: Path, workspace: Workspace) -> dict[str, Any]:
    """Routing and leaks per band, ASR output redacted then routed (module docstring)."""
    docs = _docs(folder)
    if not docs:
        raise MeasurementError(f"no fixture scenarios under {folder}")
    scenarios = {s.name: s for s in load_scenarios(folder)}
    out: dict[str, Any] = {}
    for band, label in BANDS.items():
        chosen = [d for d in docs if d.get("band") == band]
        heard: dict[str, list[str]] = {}
        pii = leaks = held = 0
        for doc in chosen:
            heard[doc["scenario"]], p, leak, w = _heard(engine, folder, doc)
            pii, leaks, held = pii + p, leaks + leak, held + w
        report = evaluate_routing(workspace, with_transcripts([scenarios[d["scenario"]] for d in chosen], heard))
        out[label] = {"scenarios": len(chosen), **_summary(report),
                      "pii_turns": pii, "leaked": proportion(leaks, pii), "withheld_turns": held}
    return out


def measure(engine: AsrEngine, fixtures: Path = FIXTURES, workspace: Path = WORKSPACE,
            blind: Path = BLIND) -> dict[str, Any]:
    scenarios = load_scenarios(fixtures)
    if not scenarios:
        raise MeasurementError(f"no fixture scenarios under {fixtures}")
    scripts = [s for s in scenarios if s.name.endswith("_16k")]  # each script once (both bands share it)
    ws = load_workspace(str(workspace))
    report = evaluate_routing(ws, scripts)
    return {
        "scenarios": len(scripts),
        "files": len(scenarios),
        **_summary(report),
        "end_to_end": {"screened": end_to_end(engine, fixtures, ws), "blind": end_to_end(engine, blind, ws)},
    }
