"""``dialphone eval all``: run every evaluation and write the model cards.

    dialphone eval all [--shared DIR] [--out docs/model-cards] [--quick] [--render-only]

Writes ``metrics.json`` (every measured figure, the model details and the gate's rules), one card per AI
feature (speech-recognition.md, redaction.md, concierge-routing.md, speech-synthesis.md), generated from
``metrics.json`` alone, and PNG plots. ``--quick`` measures only the CI subset; the full section of an
existing ``metrics.json`` in the output folder is kept, so the cards stay complete. ``--render-only``
re-renders cards and plots from the output folder's ``metrics.json`` (after a change of wording).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from voice.cards import (
    CT2_LOADED_FIRST,
    PORTABLE_KERNELS,
    card_asr,
    card_redaction,
    card_routing,
    card_tts,
    details,
    gate,
)
from voice.cards.exceptions import CardsError
from voice.cards.markdown import pct
from voice.cards.run import REPO, measure_sections, resolve_shared

DEFAULT_OUT = REPO / "docs" / "model-cards"
SCHEMA = 1
CARDS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    card_asr.NAME: card_asr.render,
    card_redaction.NAME: card_redaction.render,
    card_routing.NAME: card_routing.render,
    card_tts.NAME: card_tts.render,
}


def model_details() -> dict[str, Any]:
    return {"asr": details.asr_details(), "redaction": details.redaction_details(),
            "routing": details.routing_details(), "tts": details.tts_details()}


def build_metrics(sections: Mapping[str, Any], previous_full: Any = None) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "generated_by": "dialphone eval all",
        "models": model_details(),
        "full": sections["full"] if sections["full"] is not None else previous_full,
        "quick": sections["quick"],
        "gate": gate.describe(),
    }


def dumps(metrics: Mapping[str, Any]) -> str:
    return json.dumps(metrics, indent=1, ensure_ascii=False) + "\n"


def render_cards(metrics: Mapping[str, Any]) -> dict[str, str]:
    """Card file name -> markdown, from a metrics dict alone."""
    return {f"{name}.md": render(metrics) for name, render in CARDS.items()}


def write_all(metrics: Mapping[str, Any], out: Path) -> list[Path]:
    from voice.cards.plots import write_plots

    out.mkdir(parents=True, exist_ok=True)
    written = [out / "metrics.json"]
    written[0].write_text(dumps(metrics), encoding="utf-8")
    for name, text in render_cards(metrics).items():
        (out / name).write_text(text, encoding="utf-8")
        written.append(out / name)
    written += write_plots(metrics["full"] or metrics["quick"], out)
    return written


def summary(metrics: Mapping[str, Any], console: Console) -> None:
    table = Table(title="Model card figures")
    for col in ("figure", "full", "quick (CI)"):
        table.add_column(col, justify="left" if col == "figure" else "right")
    for name, rule in gate.RULES.items():
        cells = [pct(gate.lookup(metrics[k], rule.path)) if metrics.get(k) else "-" for k in ("full", "quick")]
        table.add_row(name, *cells)
    for name, (path, ceiling) in gate.BIAS_LIMITS.items():
        cells = [pct(gate.lookup(metrics[k], path)) if metrics.get(k) else "-" for k in ("full", "quick")]
        table.add_row(f"{name} (ceiling {pct(ceiling)})", *cells)
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dialphone eval all", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--shared", type=Path, help="shared data folder (default: $DIALPHONE_SHARED or ../shared)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default docs/model-cards)")
    parser.add_argument("--quick", action="store_true", help="only the CI subset (the quick section)")
    parser.add_argument("--render-only", action="store_true",
                        help="measure nothing: render the cards and plots again from OUT/metrics.json")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    console = Console(width=None if sys.stdout.isatty() else 110)
    if args.render_only:
        metrics = json.loads((args.out / "metrics.json").read_text(encoding="utf-8"))
        console.print(f"rendered {len(write_all(metrics, args.out))} files in {args.out} from metrics.json")
        return 0
    if CT2_LOADED_FIRST or any(os.environ.get(k) != v for k, v in PORTABLE_KERNELS.items()):
        console.print("eval all: warning: CTranslate2 does not run on the cards' pinned CPU kernels "
                      f"({', '.join(f'{k}={v}' for k, v in PORTABLE_KERNELS.items())}); on this host the "
                      "figures may differ from cards made elsewhere (run `dialphone eval all`)")
    started = time.monotonic()
    try:
        sections = measure_sections(resolve_shared(args.shared), quick=args.quick)
    except CardsError as exc:
        print(f"eval all: {exc}", file=sys.stderr)
        return 2
    previous = None
    existing = args.out / "metrics.json"
    if args.quick and existing.is_file():
        previous = json.loads(existing.read_text(encoding="utf-8")).get("full")
    metrics = build_metrics(sections, previous)
    written = write_all(metrics, args.out)
    summary(metrics, console)
    console.print(f"wrote {len(written)} files to {args.out} in {time.monotonic() - started:.0f} s")
    return 0
