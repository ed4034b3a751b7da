"""Run every evaluation once, with one rich progress bar per stage, and return the metrics sections.

The full section uses 200 FSDD digit sequences and 90 FSDD redaction cases, and measures the ASR
alternatives side by side; the quick section (the CI subset of the release gate) uses the first 60
sequences and 36 cases. The ASR digit sequences of the
quick section are a prefix of the full set, so a full run scores them from the same transcripts; the
FSDD redaction cases are drawn differently per size, so a full run also runs the quick case set.
Everything else (speech WER, the silence probe, the redaction corpus, routing, the TTS round trip) is
the same in both sections.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from voice.cards import measure_alternatives, measure_asr, measure_redaction, measure_routing, measure_tts
from voice.cards.exceptions import MeasurementError

REPO = Path(__file__).resolve().parents[2]


def resolve_shared(shared: Path | None) -> Path:
    path = shared or Path(os.environ.get("DIALPHONE_SHARED") or REPO.parent / "shared")
    if not (path / "audio" / "fsdd" / "speakers.json").is_file():
        raise MeasurementError(f"no audio/fsdd/speakers.json under {path} (give --shared DIR)")
    return path


@contextmanager
def _stages(console: Console) -> Iterator[Callable[[str, int], Callable[[], None]]]:
    columns = (TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:

        def stage(name: str, total: int) -> Callable[[], None]:
            task = progress.add_task(name, total=total)
            return lambda: progress.advance(task)

        yield stage


def measure_sections(shared: Path, *, quick: bool, console: Console | None = None) -> dict[str, Any]:
    """``{"full": section or None, "quick": section}``; a section holds asr, redaction, routing, tts."""
    from voice.asr.config import AsrConfig, Device
    from voice.asr.engine import AsrEngine
    from voice.tts import HibariEngine

    console = console or Console(stderr=True)
    sequences = measure_asr.SEQUENCES_QUICK if quick else measure_asr.SEQUENCES_FULL
    with _stages(console) as stage:
        load = stage("load models", 2)
        asr = AsrEngine(config=AsrConfig(device=Device.CPU))  # CPU int8 everywhere: the same figures on any host
        load()
        tts = HibariEngine()
        tts.warm_up()
        load()
        raw = measure_asr.measure(asr, shared, sequences=sequences,
                                  tick=stage("speech recognition", measure_asr.work(sequences)))
        tick = stage("redaction corpus", 1)
        corpus = measure_redaction.measure_corpus()
        tick()
        fsdd_quick = measure_redaction.measure_fsdd(
            asr, shared, per_kind=measure_redaction.PER_KIND_QUICK,
            tick=stage("redaction FSDD (quick set)", measure_redaction.fsdd_work(measure_redaction.PER_KIND_QUICK)))
        fsdd_full = alternatives = None
        if not quick:
            alternatives = measure_alternatives.measure_alternatives(
                shared, sequences=measure_asr.SEQUENCES_FULL,
                tick=stage("ASR alternatives", measure_alternatives.work(measure_asr.SEQUENCES_FULL)))
            fsdd_full = measure_redaction.measure_fsdd(
                asr, shared, per_kind=measure_redaction.PER_KIND_FULL,
                tick=stage("redaction FSDD (full set)", measure_redaction.fsdd_work(measure_redaction.PER_KIND_FULL)))
        tick = stage("concierge routing (scripts, ASR)", 1)
        routing = measure_routing.measure(asr)
        tick()
        tts_items = measure_tts.measure(tts, asr, stage("speech synthesis round trip", len(measure_tts.SENTENCES)))
    tts_summary = measure_tts.summarize(tts_items)

    def section(seqs: int, fsdd: dict[str, Any], alt: dict[str, Any] | None = None) -> dict[str, Any]:
        asr_figures = measure_asr.summarize(raw, sequences=seqs)
        if alt is not None:
            asr_figures["alternatives"] = alt
        return {
            "asr": asr_figures,
            "redaction": {**corpus, "fsdd": fsdd},
            "routing": routing,
            "tts": tts_summary,
        }

    return {
        "full": None if fsdd_full is None else section(measure_asr.SEQUENCES_FULL, fsdd_full, alternatives),
        "quick": section(measure_asr.SEQUENCES_QUICK, fsdd_quick),
    }
