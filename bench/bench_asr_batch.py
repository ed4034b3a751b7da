"""CTranslate2 throughput at batch 1-8 on CPU: is batching concurrent calls' decodes worth it?

    python bench/bench_asr_batch.py [--threads 1,2] [--batches 1,2,3,4,6,8] [--rounds 3] [--json F]

Utterances: the caller turns of the telephone-band fixtures (``fixtures/audio/*_8k.yaml``, 8 kHz
resampled to 16 kHz, as a SIP or media-stream call reaches the ASR), each with its own gain and a
little noise so that no two items of a batch are the same audio. For each CTranslate2 thread count
(``intra_threads``; ``inter_threads`` stays 1: one decode at a time per engine) and each batch size,
batches of distinct utterances go through ``AsrEngine.transcribe_batch``; the table gives the wall
time per batch, per utterance and the utterances per second of wall and of CPU (process time: the
steadier figure on a shared machine). Load average is printed with the table: measure quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.table import Table

from voice.asr import AsrConfig, AsrEngine
from voice.audio import from_int16_bytes, resample
from voice.testing.scenarios import expand, load_scenario


def fixture_turns(folder: Path, seed: int = 5) -> list[np.ndarray]:
    """Every spoken caller turn of the 8 kHz fixtures at 16 kHz, each with its own gain and noise."""
    rng = np.random.default_rng(seed)
    out = []
    for path in expand([folder]):
        if not path.stem.endswith("_8k") or path.stem.startswith("silence"):
            continue
        for turn in load_scenario(path).turns:
            x = resample(from_int16_bytes(turn.pcm16), 8000, 16000)
            x = x * rng.uniform(0.8, 1.1) + rng.normal(0, 10 ** (-70 / 20), len(x)).astype(np.float32)
            out.append(x.astype(np.float32))
    return out


def measure(engine: AsrEngine, clips: list[np.ndarray], batch: int, rounds: int) -> dict[str, Any]:
    engine.transcribe_batch(clips[:batch])  # warm-up at this shape
    walls, cpus, items = [], [], 0
    for r in range(rounds):
        order = clips[r % len(clips) :] + clips[: r % len(clips)]
        for k in range(0, len(order) - batch + 1, batch):
            group = order[k : k + batch]
            t0, c0 = time.perf_counter(), time.process_time()
            engine.transcribe_batch(group)
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
            items += len(group)
    wall, cpu = sum(walls), sum(cpus)
    return {
        "batch": batch,
        "batches": len(walls),
        "wall_ms_per_batch_p50": round(statistics.median(walls) * 1000, 1),
        "wall_ms_per_utterance": round(wall / items * 1000, 1),
        "utterances_per_s": round(items / wall, 2),
        "utterances_per_cpu_s": round(items / cpu, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--fixtures", type=Path, default=Path("fixtures/audio"))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--batches", default="1,2,3,4,6,8")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    clips = fixture_turns(args.fixtures)
    load = os.getloadavg()
    rows = []
    for threads in (int(t) for t in args.threads.split(",")):
        engine = AsrEngine(config=AsrConfig(cpu_threads=threads))
        for batch in (int(b) for b in args.batches.split(",")):
            rows.append({"threads": threads, **measure(engine, clips, batch, args.rounds)})
    table = Table(title=f"ASR batch throughput, {len(clips)} distinct fixture turns at 8 kHz; "
                        f"load average {load[0]:.2f} {load[1]:.2f} at start")
    for col in ("threads", "batch", "ms/batch p50", "ms/utterance", "utt/s wall", "utt/CPU-s"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["threads"]), str(r["batch"]), f"{r['wall_ms_per_batch_p50']:.0f}",
                      f"{r['wall_ms_per_utterance']:.0f}", f"{r['utterances_per_s']:.2f}",
                      f"{r['utterances_per_cpu_s']:.2f}")
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps({"load_average": load, "utterances": len(clips), "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
