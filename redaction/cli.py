"""``eval`` and ``bench`` for redaction (wired into ``dialphone eval|bench redaction`` by voice/).

    dialphone eval redaction [--json F] [--no-fsdd] [--shared DIR]   (voice/ verifies the speech model)
    dialphone bench redaction [--json F] [--rounds N]
    python -m redaction.cli eval --no-fsdd ...                       (the corpus alone: no model needed)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from redaction.evaluate import EvalResult, bench, evaluate, target_failures
from redaction.heldout import build_heldout


def default_shared() -> Path:
    env = os.environ.get("DIALPHONE_SHARED")
    return Path(env) if env else Path(__file__).resolve().parent.parent.parent / "shared"


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[0]})


def _write(path: str | None, data: dict[str, object]) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _table(title: str, result: EvalResult) -> Table:
    table = Table(title=title)
    for col in ("entity", "support", "recall", "precision", "leak rate"):
        table.add_column(col, justify="left" if col == "entity" else "right")
    for t in result.recall:
        table.add_row(t, str(result.support[t]), f"{result.recall[t]:.3f}", f"{result.precision[t]:.3f}",
                      f"{result.leak_rate[t]:.4f}")
    return table


def _eval(args: argparse.Namespace, console: Console, model_dir: Path | None) -> int:
    if not args.no_fsdd and model_dir is None:
        console.print("eval redaction: the FSDD part needs a verified speech model: run `dialphone eval "
                      "redaction` (it verifies tiny.en first), or give --no-fsdd")
        return 2
    result = evaluate()
    heldout = evaluate(build_heldout())
    fsdd_share: float | None = None
    detail: dict[str, object] = {}
    if not args.no_fsdd:
        from redaction.fsdd import run_fsdd_cases
        from redaction.whisper_asr import WhisperTranscriber

        assert model_dir is not None
        fr = run_fsdd_cases(WhisperTranscriber(model_dir), Path(args.shared))
        fsdd_share = fr.share
        detail = {"cases": fr.cases, "by_kind": fr.by_kind, "by_mode": fr.by_mode,
                  "without_context": fr.share_without_context}
    for title, r in ((f"Redaction on the corpus ({result.utterances} utterances)", result),
                     (f"Hand-written held-out set ({heldout.utterances} utterances)", heldout)):
        console.print(_table(title, r))
        console.print(f"  fail closed: {r.fail_closed_tokens} NUMBER tokens, {r.fail_closed_on_harmless} of them "
                      "on numbers the labels call harmless")
    if fsdd_share is not None:
        ft = Table(title="FSDD numbers through real ASR: share tokenized (no digit reaches the brain)")
        ft.add_column("slice")
        ft.add_column("share", justify="right")
        ft.add_row("all", f"{fsdd_share:.3f}")
        ft.add_row("all, no context utterance", f"{fr.share_without_context:.3f}")
        for group in ("by_kind", "by_mode"):
            values = detail[group]
            assert isinstance(values, dict)
            for k, v in values.items():
                ft.add_row(f"{group[3:]} {k}", f"{v:.3f}")
        console.print(ft)
    failures = target_failures(result, fsdd_share)
    console.print("targets: all met" if not failures else "targets missed: " + ", ".join(failures))
    data: dict[str, object] = dict(result.as_dict())
    data["fsdd_numbers_tokenized"] = fsdd_share
    data["heldout"] = heldout.as_dict()
    if detail:
        data["fsdd_detail"] = detail
    _write(args.json, data)
    return 0


def _bench(args: argparse.Namespace, console: Console) -> int:
    _pin_one_core()
    r = bench(rounds=args.rounds)
    table = Table(title=f"Redaction latency per utterance (<= {r.max_words} words, one core, warm)")
    for col in ("utterances", "p50 ms", "p95 ms", "cpu p50 ms", "cpu p95 ms"):
        table.add_column(col, justify="right")
    table.add_row(str(r.utterances), f"{r.p50_ms:.3f}", f"{r.p95_ms:.3f}", f"{r.cpu_p50_ms:.3f}",
                  f"{r.cpu_p95_ms:.3f}")
    console.print(table)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    if load > (os.cpu_count() or 1):
        console.print(f"note: load average {load:.1f} on {os.cpu_count()} cores: wall times include waiting for a core")
    _write(args.json, {"p50_ms": r.p50_ms, "p95_ms": r.p95_ms, "cpu_p50_ms": r.cpu_p50_ms,
                       "cpu_p95_ms": r.cpu_p95_ms, "utterances": r.utterances})
    return 0


def main(argv: list[str] | None = None, *, model_dir: Path | None = None) -> int:
    """``dialphone eval redaction`` (``eval ...``) and ``dialphone bench redaction`` (``bench ...``);
    ``model_dir``: a Whisper folder already verified by the caller, for the FSDD part of ``eval``."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    command = args_in[0] if args_in and args_in[0] in ("eval", "bench") else "eval"
    rest = args_in[1:] if args_in and args_in[0] == command else args_in
    parser = argparse.ArgumentParser(prog=f"dialphone {command} redaction", description=(
        "recall, precision and leak rate on the corpus; FSDD numbers via real ASR" if command == "eval"
        else "latency per utterance on the corpus"))
    if command == "eval":
        parser.add_argument("--json", metavar="F", help="write the figures as JSON to F")
        parser.add_argument("--no-fsdd", action="store_true", help="skip the FSDD + ASR part")
        parser.add_argument("--shared", default=str(default_shared()), metavar="DIR", help="the shared data folder")
    else:
        parser.add_argument("--json", metavar="F", help="write {p50_ms, p95_ms} as JSON to F")
        parser.add_argument("--rounds", type=int, default=3, help="passes over the corpus (default 3)")
    args = parser.parse_args(rest)
    console = Console(file=sys.stdout)
    if command == "eval":
        return _eval(args, console, model_dir)
    return _bench(args, console)


if __name__ == "__main__":
    raise SystemExit(main())
