"""ASR latency benchmark: the trimmed-window engine against the 30 s window and faster-whisper's transcribe().

    python bench/bench_asr.py [--shared DIR] [--rounds 3] [--json F] [--no-baseline]

Utterances: the ten ~2-3 s sentences of ../shared/audio/speech (spk*) and ten FSDD 4-digit sequences.
Each mode transcribes every utterance ``rounds`` times; the table gives wall-clock p50/p95 and the
process CPU time per call (CPU time is the steadier figure on a shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from voice.asr import AsrConfig, AsrEngine, WindowPolicy
from voice.asr.evaluate import load_pcm16k
from voice.asr.fsdd import build_sequences


def measure(
    name: str, fn: Callable[[np.ndarray], object], clips: list[np.ndarray], rounds: int
) -> dict[str, Any]:
    fn(clips[0])  # warm-up
    wall, cpu = [], []
    for _ in tqdm(range(rounds), desc=name, file=sys.stderr, leave=False):
        for clip in clips:
            t0, c0 = time.perf_counter(), time.process_time()
            fn(clip)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    wall.sort()
    return {
        "mode": name,
        "calls": len(wall),
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(wall[int(0.95 * (len(wall) - 1))], 1),
        "cpu_ms_p50": round(statistics.median(cpu), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path(os.environ.get("DIALPHONE_SHARED", "../shared")))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-baseline", action="store_true", help="skip faster-whisper transcribe()")
    args = parser.parse_args(argv)
    speech = sorted((args.shared / "audio" / "speech").glob("spk*.wav"))
    clips = [load_pcm16k(p) for p in speech]
    clips += [s.audio for s in build_sequences(args.shared / "audio" / "fsdd", count=10, seed=7, split="tuning")]
    mean_s = float(np.mean([len(c) for c in clips])) / 16000
    nocache = {"cache_size": 0, "cpu_threads": args.threads}
    rows = []
    engine = AsrEngine(config=AsrConfig(**nocache))
    rows.append(
        measure("engine: trimmed window + silence fill, beam 3", engine.transcribe, clips, args.rounds)
    )
    greedy = AsrEngine(config=AsrConfig(beam_size=1, **nocache))
    rows.append(measure("engine: same, greedy (beam 1)", greedy.transcribe, clips, args.rounds))
    full = AsrEngine(config=AsrConfig(window=WindowPolicy(full_window=True), **nocache))
    rows.append(measure("engine: full 30 s window, beam 3", full.transcribe, clips, args.rounds))
    cached = AsrEngine(config=AsrConfig(cpu_threads=args.threads, cache_size=len(clips)))
    for clip in clips:
        cached.start(clip)
    rows.append(measure("speculative hit (finish after start)", cached.transcribe, clips, args.rounds))
    rows.append(measure("batch of 4 (per utterance)", lambda c: engine.transcribe_batch([c] * 4), clips, 1))
    rows[-1] = {
        **rows[-1],
        "p50_ms": round(rows[-1]["p50_ms"] / 4, 1),
        "p95_ms": round(rows[-1]["p95_ms"] / 4, 1),
        "cpu_ms_p50": round(rows[-1]["cpu_ms_p50"] / 4, 1),
    }
    if not args.no_baseline:
        from faster_whisper import WhisperModel

        fw = WhisperModel(str(engine.model.path), device="cpu", compute_type="int8", cpu_threads=args.threads)
        rows.append(
            measure(
                "faster-whisper transcribe() (defaults)",
                lambda c: list(fw.transcribe(c, language="en")[0]),
                clips,
                args.rounds,
            )
        )
    table = Table(title=f"ASR latency, {len(clips)} utterances (mean {mean_s:.1f} s), {args.threads} threads")
    for col in ("mode", "calls", "p50 ms", "p95 ms", "CPU ms p50"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            r["mode"], str(r["calls"]), f"{r['p50_ms']:.0f}", f"{r['p95_ms']:.0f}", f"{r['cpu_ms_p50']:.0f}"
        )
    Console().print(table)
    if args.json:
        args.json.write_text(
            json.dumps({"mean_utterance_s": round(mean_s, 2), "rows": rows}, indent=1) + "\n"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
