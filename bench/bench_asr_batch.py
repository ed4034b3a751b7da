"""CTranslate2 throughput at batch 1-8 on CPU: is batching concurrent calls' decodes worth it?

    python bench/bench_asr_batch.py [--threads 1,2] [--lanes 1,2] [--batches 1,2,3,4,6,8] [--rounds 2] [--json F]

Utterances: the caller turns of the telephone-band fixtures (``fixtures/audio/*_8k.yaml``, 8 kHz
resampled to 16 kHz, as a SIP or media-stream call reaches the ASR), each with its own gain and a
little noise so that no two items of a batch are the same audio. For each CTranslate2 thread count
per decode (``intra_threads``), each number of lanes (decodes at once: ``inter_threads``, one Python
thread feeding each, as :class:`voice.asr.AsrBatcher` runs them) and each batch size, batches of
distinct utterances go through ``AsrEngine.transcribe_batch``; the table gives the wall time per batch,
the utterances per second of wall (all lanes together) and of CPU (process time: the steadier figure on
a shared machine). Load average is printed with the table: measure quiet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
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


def measure(engine: AsrEngine, clips: list[np.ndarray], batch: int, rounds: int, lanes: int = 1) -> dict[str, Any]:
    """``rounds`` passes over ``clips`` in batches of ``batch``, ``lanes`` batches at a time."""
    groups = []
    for r in range(rounds):
        order = clips[r % len(clips) :] + clips[: r % len(clips)]
        groups += [order[k : k + batch] for k in range(0, len(order) - batch + 1, batch)]
    warm = [threading.Thread(target=engine.transcribe_batch, args=(clips[:batch],)) for _ in range(lanes)]
    for t in warm:  # each lane builds its kernels at this shape
        t.start()
    for t in warm:
        t.join()
    walls: list[float] = []
    lock = threading.Lock()

    def lane() -> None:
        while True:
            with lock:
                if not groups:
                    return
                group = groups.pop()
            t0 = time.perf_counter()
            engine.transcribe_batch(group)
            with lock:
                walls.append(time.perf_counter() - t0)

    items = sum(len(g) for g in groups)
    t0, c0 = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=lane) for _ in range(lanes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "batch": batch,
        "batches": len(walls),
        "wall_ms_per_batch_p50": round(statistics.median(walls) * 1000, 1),
        "utterances_per_s": round(items / wall, 2),
        "utterances_per_cpu_s": round(items / cpu, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--fixtures", type=Path, default=Path("fixtures/audio"))
    p.add_argument("--threads", default="1,2")
    p.add_argument("--lanes", default="1,2")
    p.add_argument("--batches", default="1,2,3,4,6,8")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    clips = fixture_turns(args.fixtures)
    load = os.getloadavg()
    rows = []
    for lanes in (int(n) for n in args.lanes.split(",")):
        for threads in (int(t) for t in args.threads.split(",")):
            engine = AsrEngine(config=AsrConfig(cpu_threads=threads, lanes=lanes))
            for batch in (int(b) for b in args.batches.split(",")):
                rows.append({"lanes": lanes, "threads": threads, **measure(engine, clips, batch, args.rounds, lanes)})
    table = Table(title=f"ASR batch throughput, {len(clips)} distinct fixture turns at 8 kHz; "
                        f"load average {load[0]:.2f} {load[1]:.2f} at start")
    for col in ("lanes", "threads/lane", "batch", "ms/batch p50", "utt/s wall", "utt/CPU-s"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["lanes"]), str(r["threads"]), str(r["batch"]), f"{r['wall_ms_per_batch_p50']:.0f}",
                      f"{r['utterances_per_s']:.2f}", f"{r['utterances_per_cpu_s']:.2f}")
    Console().print(table)
    if args.json:
        args.json.write_text(json.dumps({"load_average": load, "utterances": len(clips), "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
