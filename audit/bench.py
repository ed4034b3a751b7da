"""Benchmarks: sustained group-commit throughput, durable (gating) write latency, tamper trials.

Throughput and gating latency run on SQLite (a temporary file) and, with ``database``, on
PostgreSQL at that URL too (each run in a workspace of its own, whose rows are deleted after).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audit.log import AuditLog
from audit.pg_store import PgAuditStore
from audit.signing import CheckpointSigner, generate_private_key_pem, load_public_key
from audit.sqlite_store import SqliteAuditStore
from audit.store import AuditStore
from audit.synthetic import call_events, traffic
from audit.tamper import KindStats, Snapshot, TamperKind, run_trial

WORKSPACE = "bench"
Opener = Callable[[], AuditStore]


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(slots=True)
class Throughput:
    events: int
    seconds: float
    commit_p99_ms: float
    commit_max_ms: float
    batches: int

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds


async def _throughput(
    opener: Opener, signer: CheckpointSigner, n_events: int, calls: int, ws: str = WORKSPACE
) -> Throughput:
    """``calls`` concurrent call tasks emit ``n_events`` in total; each task awaits the commit of
    its own events (gating ones durably), so the figure is committed events per second."""
    store = opener()
    latencies: list[float] = []
    per_call = max(1, n_events // calls)
    async with AuditLog(store=store, signer=signer, checkpoint_every=1000, checkpoint_interval_s=5.0) as log:

        async def call(i: int) -> int:
            rng = random.Random(i)
            done = 0
            while done < per_call:
                for event, gating in call_events(ws, f"t-{i}-{done}", rng):
                    start = time.perf_counter()
                    await log.append(event, durable=gating)
                    latencies.append(time.perf_counter() - start)
                    done += 1
                    if done >= per_call:
                        break
            return done

        started = time.perf_counter()
        counts = await asyncio.gather(*(call(i) for i in range(calls)))
        elapsed = time.perf_counter() - started
        batches = log.stats.batches
    store.close()
    return Throughput(sum(counts), elapsed, _pct(latencies, 0.99) * 1e3, max(latencies) * 1e3, batches)


async def _open_loop(
    db: Path, signer: CheckpointSigner, rate: int, seconds: float
) -> tuple[float, list[float]]:
    """Offer ``rate`` events/s (100 calls, observer style: non-gating events are not awaited,
    gating ones are awaited durably); returns (achieved events/s, commit latencies in ms)."""
    store = SqliteAuditStore(db)
    lat: list[float] = []
    streams = [traffic(WORKSPACE, 10**9, seed=i) for i in range(100)]
    total = int(rate * seconds)
    async with AuditLog(store=store, signer=signer, checkpoint_every=1000, checkpoint_interval_s=5.0) as log:
        loop = asyncio.get_running_loop()
        pending: list[asyncio.Future[Any]] = []

        def done_cb(start: float) -> Callable[[asyncio.Future[Any]], None]:
            return lambda _f: lat.append((time.perf_counter() - start) * 1e3)

        started = time.perf_counter()
        sent = 0
        while sent < total:
            due = min(total, int((time.perf_counter() - started) * rate) + 1)
            while sent < due:
                event, gating = next(streams[sent % 100])
                fut = (
                    loop.create_task(log.append(event, durable=True)) if gating else log.append_nowait(event)
                )
                fut.add_done_callback(done_cb(time.perf_counter()))
                pending.append(fut)
                sent += 1
            await asyncio.sleep(0.002)
        await asyncio.gather(*pending)
        elapsed = time.perf_counter() - started
    store.close()
    return total / elapsed, lat


async def _gating(
    opener: Opener, signer: CheckpointSigner, samples: int, background_calls: int, ws: str = WORKSPACE
) -> list[float]:
    """Latency of durable appends, one every 10 ms, while ``background_calls`` emit non-gating
    events at a conversational pace (about 25 events/s each)."""
    store = opener()
    lat: list[float] = []
    stop = asyncio.Event()
    async with AuditLog(store=store, signer=signer) as log:

        async def background(i: int) -> None:
            for event, _ in traffic(ws, 10**9, seed=i):
                if stop.is_set():
                    return
                log.append_nowait(event)
                await asyncio.sleep(0.04)

        tasks = [asyncio.create_task(background(i)) for i in range(background_calls)]
        gating = [e for e, g in traffic(ws, samples * 12, seed=99) if g][:samples]
        await asyncio.sleep(0.2)
        for event in gating:
            start = time.perf_counter()
            await log.append(event, durable=True)
            lat.append((time.perf_counter() - start) * 1e3)
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.gather(*tasks)
    store.close()
    return lat


_SNAP: Snapshot | None = None
_KEY: Any = None


def _init_worker(db: str, pem: bytes) -> None:
    global _SNAP, _KEY
    with SqliteAuditStore(db, create=False) as store:
        _SNAP = Snapshot.load(store, WORKSPACE)
    _KEY = load_public_key(pem)


def _trials(kind: str, seeds: list[int]) -> list[tuple[bool, bool | None, str, str]]:
    assert _SNAP is not None
    return [run_trial(_SNAP, _KEY, TamperKind(kind), seed) for seed in seeds]


async def _build_log(db: Path, signer: CheckpointSigner, n_events: int) -> None:
    store = SqliteAuditStore(db)
    async with AuditLog(store=store, signer=signer, checkpoint_every=100) as log:
        batch: list[asyncio.Future[Any]] = []
        for event, gating in traffic(WORKSPACE, n_events):
            batch.append(log.append_nowait(event, durable=gating))
            if len(batch) >= 2000:
                await asyncio.gather(*batch)
                batch = []
        await asyncio.gather(*batch)
    store.close()


def tamper_trials(
    *,
    db: Path,
    signer: CheckpointSigner,
    n_events: int,
    trials: int,
    jobs: int,
    progress: Callable[[int], None] | None = None,
) -> dict[str, KindStats]:
    """``trials`` random trials per fault kind on a fresh ``n_events`` log (checkpoint every 100)."""
    asyncio.run(_build_log(db, signer, n_events))
    stats = {k.value: KindStats() for k in TamperKind}
    chunk = 25
    work = [
        (kind.value, [k_i * 1_000_000 + s for s in range(start, min(trials, start + chunk))])
        for k_i, kind in enumerate(TamperKind)
        for start in range(0, trials, chunk)
    ]
    for kind_name, outcomes in _run_chunks(db, signer, work, jobs):
        st = stats[kind_name]
        for detected, located, fault, variant in outcomes:
            st.trials += 1
            st.detected += detected
            if located is not None:
                st.predicted += 1
                st.located += located
            st.faults[fault] = st.faults.get(fault, 0) + 1
            if not detected:
                st.missed_variants.append(variant)
        if progress is not None:
            progress(len(outcomes))
    return stats


_Outcome = list[tuple[bool, bool | None, str, str]]


def _run_chunks(
    db: Path, signer: CheckpointSigner, work: list[tuple[str, list[int]]], jobs: int
) -> Iterator[tuple[str, _Outcome]]:
    """Run trial chunks in ``jobs`` processes (in this process when jobs == 1)."""
    if jobs <= 1:
        _init_worker(str(db), signer.public_key_pem())
        for kind, seeds in work:
            yield kind, _trials(kind, seeds)
        return
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(str(db), signer.public_key_pem()),
    ) as pool:
        futures = {pool.submit(_trials, kind, seeds): kind for kind, seeds in work}
        for fut in concurrent.futures.as_completed(futures):
            yield futures[fut], fut.result()


def _sqlite(path: Path) -> Opener:
    return lambda: SqliteAuditStore(path)


def pg_figures(url: str, signer: CheckpointSigner, n_events: int) -> dict[str, Any]:
    """Throughput and gating latency on PostgreSQL, in workspaces of their own (deleted after)."""
    tag = f"{os.getpid()}-{int(time.time())}"
    spaces = {k: f"bench-{k}-{tag}" for k in ("tp", "idle", "load")}
    samples = min(300, max(20, n_events // 40))

    def opener() -> AuditStore:
        return PgAuditStore(url)

    try:
        tp = asyncio.run(_throughput(opener, signer, n_events, calls=200, ws=spaces["tp"]))
        idle = asyncio.run(_gating(opener, signer, samples, background_calls=0, ws=spaces["idle"]))
        loaded = asyncio.run(_gating(opener, signer, samples, background_calls=40, ws=spaces["load"]))
    finally:
        with PgAuditStore(url) as store:
            for ws in spaces.values():
                for table in ("audit_events", "audit_heads", "audit_checkpoints"):
                    store.execute_raw(f"DELETE FROM {table} WHERE workspace_id = :ws", {"ws": ws})
    return {
        "events_per_s": round(tp.events_per_s, 1),
        "gating_write_p95_ms": round(_pct(loaded, 0.95), 3),
        "gating_write_p50_ms": round(statistics.median(loaded), 3),
        "gating_write_p95_idle_ms": round(_pct(idle, 0.95), 3),
        "saturated_append_p99_ms": round(tp.commit_p99_ms, 3),
        "throughput_events": tp.events,
        "throughput_batches": tp.batches,
    }


def run_bench(
    *,
    n_events: int = 10_000,
    trials: int = 1000,
    jobs: int | None = None,
    workdir: str | None = None,
    progress: Callable[[int], None] | None = None,
    database: str | None = None,
) -> dict[str, Any]:
    """All figures as one JSON-able dict (``postgresql``: the same figures there, with ``database``)."""
    signer = CheckpointSigner(private_key=generate_private_key_pem())
    with tempfile.TemporaryDirectory(dir=workdir, prefix="audit-bench-") as tmp:
        root = Path(tmp)
        tp = asyncio.run(_throughput(_sqlite(root / "throughput.db"), signer, n_events, calls=200))
        offered_rate, commit_lat = asyncio.run(
            _open_loop(root / "open-loop.db", signer, 5000, max(1.0, n_events / 5000))
        )
        samples = min(300, max(20, n_events // 40))
        idle = asyncio.run(_gating(_sqlite(root / "gating-idle.db"), signer, samples, background_calls=0))
        loaded = asyncio.run(_gating(_sqlite(root / "gating-load.db"), signer, samples, background_calls=40))
        tamper = (
            tamper_trials(
                db=root / "tamper.db",
                signer=signer,
                n_events=n_events,
                trials=trials,
                jobs=jobs or os.cpu_count() or 1,
                progress=progress,
            )
            if trials
            else {}
        )
    return {
        "events_per_s": round(tp.events_per_s, 1),
        "gating_write_p95_ms": round(_pct(loaded, 0.95), 3),
        "gating_write_p50_ms": round(statistics.median(loaded), 3),
        "gating_write_p95_idle_ms": round(_pct(idle, 0.95), 3),
        "gating_samples": samples,
        "gating_background_events_per_s": 40 * 25,
        "at_5000_per_s_achieved_events_per_s": round(offered_rate, 1),
        "at_5000_per_s_commit_p99_ms": round(_pct(commit_lat, 0.99), 3),
        "at_5000_per_s_commit_max_ms": round(max(commit_lat), 3),
        "saturated_append_p99_ms": round(tp.commit_p99_ms, 3),
        "throughput_events": tp.events,
        "throughput_batches": tp.batches,
        "tamper_log_events": n_events if trials else 0,
        "tamper": {
            k: {
                "trials": s.trials,
                "detected": s.detected,
                "detection_rate": round(s.detected / s.trials, 4) if s.trials else None,
                "first_bad_seq_named": s.located,
                "first_bad_seq_predicted": s.predicted,
                "faults": dict(sorted(s.faults.items())),
                "missed_variants": s.missed_variants[:10],
            }
            for k, s in tamper.items()
        },
        "db_dir": str(Path(workdir or tempfile.gettempdir()).resolve()),
        "postgresql": pg_figures(database, signer, n_events) if database else None,
    }
