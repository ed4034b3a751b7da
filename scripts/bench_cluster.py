"""The local cluster measured in one run: what the Kamailio hop adds, 20 concurrent calls through
the edge next to 20 direct to one worker, and what a call costs a worker (CPU, memory).

    .venv/bin/python scripts/bench_cluster.py [--workers 2] [--calls 20] [--rounds 2] [--json OUT]

1. ``dialphone cluster up --workers N`` on free ports (its own PostgreSQL), until it is up.
2. The hop: ``--hop-calls`` one-at-a-time calls (INVITE, 200, ACK, BYE), alternately through the edge
   and straight to worker 1; set-up time (INVITE sent to 200 received) at p50 / p95 on each path.
3. ``--rounds`` times: ``dialphone bench concurrency --via sip --calls N`` through the edge, then
   direct to worker 1, each as its own process (the command an operator runs); around each, the
   workers' CPU seconds (utime + stime from /proc) and resident memory.
4. The figures, as a table and (``--json``) a file; the machine's load average before and after.

Run it on a quiet machine: every figure is CPU-bound and the callers share the cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from voice.testing.fresh_server import free_port_block  # noqa: E402
from voice.testing.sip_uac import SipUac  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def _proc(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and resident MiB of ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return cpu, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def _hop(edge: tuple[str, int], direct: tuple[str, int], calls: int) -> dict[str, Any]:
    times: dict[str, list[float]] = {"edge": [], "direct": []}
    for i in range(2 * calls):
        path = "edge" if i % 2 == 0 else "direct"
        uac = await SipUac.open(edge if path == "edge" else direct)
        try:
            started = time.perf_counter()
            status = await uac.invite(timeout_s=10)
            took = (time.perf_counter() - started) * 1000
            if status == 200:
                times[path].append(took)
            await asyncio.sleep(0.3)  # let the call's pipeline start, as a caller would
            await uac.bye()
        finally:
            await uac.close()
        await asyncio.sleep(0.2)
    out: dict[str, Any] = {}
    for path, values in times.items():
        out[path] = {"calls": len(values), "setup_p50_ms": round(_pct(values, 0.5), 2),
                     "setup_p95_ms": round(_pct(values, 0.95), 2)}
    out["added_p50_ms"] = round(out["edge"]["setup_p50_ms"] - out["direct"]["setup_p50_ms"], 2)
    out["added_p95_ms"] = round(out["edge"]["setup_p95_ms"] - out["direct"]["setup_p95_ms"], 2)
    return out


def _scrape(http: str) -> dict[str, float]:
    """A worker's counters that the capacity model needs (sums over labels)."""
    with urllib.request.urlopen(http + "/metrics", timeout=5) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in WANTED:
                out[sample.name] = out.get(sample.name, 0.0) + sample.value
    return out


WANTED = ("dialphone_calls_answered_total", "dialphone_turns_total", "dialphone_asr_seconds_sum",
          "dialphone_asr_seconds_count", "dialphone_voice_to_voice_seconds_sum", "dialphone_voice_to_voice_seconds_count",
          "dialphone_rtp_send_gaps_total", "dialphone_event_loop_lag_seconds_sum", "dialphone_event_loop_lag_seconds_count")


def _bench(server: str, calls: int, workers: list[dict[str, Any]], out: Path) -> dict[str, Any]:
    pids = [int(w["pid"]) for w in workers]
    before = {pid: _proc(pid) for pid in pids}
    counters = {int(w["pid"]): _scrape(w["http"]) for w in workers}
    peak = {pid: before[pid][1] for pid in pids}
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            for pid in pids:
                peak[pid] = max(peak[pid], _proc(pid)[1])

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "voice.cli", "bench", "concurrency", "--via", "sip", "--server", server,
                        "--calls", str(calls), "--json", str(out)], cwd=REPO, capture_output=True, text=True)
    took = time.monotonic() - started
    done.set()
    sampler.join()
    after = {pid: _proc(pid) for pid in pids}
    result: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {"error": r.stderr[-2000:]}
    result["exit"] = r.returncode
    result["wall_s"] = round(took, 1)
    result["workers"] = {}
    for w in workers:
        pid = int(w["pid"])
        now = _scrape(w["http"])
        delta = {k.removeprefix("dialphone_"): round(now.get(k, 0.0) - counters[pid].get(k, 0.0), 3) for k in WANTED}
        result["workers"][str(pid)] = {
            "cpu_s": round(after[pid][0] - before[pid][0], 2), "rss_mib_before": round(before[pid][1], 1),
            "rss_mib_peak": round(peak[pid], 1), **delta}
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--hop-calls", type=int, default=30)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dialphone-bench-cluster-"))
    sip, http = free_port_block(args.workers), free_port_block(args.workers)
    status = tmp / "status.json"
    load_before = os.getloadavg()
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice.cli", "cluster", "up", "--workers", str(args.workers), "--sip-port", str(sip),
         "--http-port", str(http - 1), "--rtp-base", "42000", "--run-dir", str(tmp / "run"),
         "--status-file", str(status)],
        cwd=REPO, stdout=(tmp / "cluster.out").open("wb"), stderr=(tmp / "cluster.err").open("wb"),
    )
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_before": [round(x, 2) for x in load_before]}}
    print(f"bench cluster: starting {args.workers} workers behind Kamailio ...", file=sys.stderr, flush=True)
    try:
        deadline = time.monotonic() + 300
        while not (status.exists() and json.loads(status.read_text()).get("state") == "up"):
            if proc.poll() is not None or time.monotonic() > deadline:
                print((tmp / "cluster.out").read_text(), file=sys.stderr)
                return 1
            time.sleep(0.5)
        st = json.loads(status.read_text())
        pids = [int(w["pid"]) for w in st["workers"]]
        edge = ("127.0.0.1", sip)
        direct = ("127.0.0.1", int(st["workers"][0]["sip"].rsplit(":", 1)[1]))
        report["idle"] = {str(pid): {"rss_mib": round(_proc(pid)[1], 1)} for pid in pids}
        time.sleep(2)
        idle_before = {pid: _proc(pid)[0] for pid in pids}
        time.sleep(10)
        report["idle_cpu_per_worker"] = round(sum(_proc(pid)[0] - idle_before[pid] for pid in pids) / len(pids) / 10, 4)
        print(f"bench cluster: up; the hop ({args.hop_calls} set-ups each way) ...", file=sys.stderr, flush=True)
        report["hop"] = asyncio.run(_hop(edge, direct, args.hop_calls))
        rounds = []
        for i in range(args.rounds):
            print(f"bench cluster: round {i + 1}/{args.rounds}: {args.calls} calls through the edge, then direct ...",
                  file=sys.stderr, flush=True)
            via_edge = _bench(f"127.0.0.1:{sip}", args.calls, st["workers"], tmp / f"edge-{i}.json")
            time.sleep(3)
            direct_one = _bench(f"127.0.0.1:{direct[1]}", args.calls, st["workers"], tmp / f"direct-{i}.json")
            time.sleep(3)
            rounds.append({"edge": via_edge, "direct_worker_1": direct_one})
        report["rounds"] = rounds
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        report["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    _print(report)
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


def _print(report: dict[str, Any]) -> None:
    """The report as tables: the hop, each round's calls, and each worker's share of them."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=None if sys.stdout.isatty() else 120)
    m = report["machine"]
    console.print(f"machine: {m['cpus']} CPUs; load average before {m['load_before']}, after {m['load_after']}")
    idle = ", ".join(f"{w['rss_mib']} MiB" for w in report["idle"].values())
    console.print(f"idle workers: {idle} resident; {report['idle_cpu_per_worker'] * 100:.1f}% of a core each")
    hop = report["hop"]
    t = Table(title="Proxy hop: INVITE to 200 OK, one call at a time")
    for col in ("path", "p50 ms", "p95 ms"):
        t.add_column(col, justify="left" if col == "path" else "right")
    t.add_row("through the edge", str(hop["edge"]["setup_p50_ms"]), str(hop["edge"]["setup_p95_ms"]))
    t.add_row("direct to worker 1", str(hop["direct"]["setup_p50_ms"]), str(hop["direct"]["setup_p95_ms"]))
    t.add_row("added by the hop", str(hop["added_p50_ms"]), str(hop["added_p95_ms"]))
    console.print(t)
    t = Table(title="Concurrent calls (dialphone bench concurrency --via sip)")
    for col in ("round", "path", "v2v p50 ms", "v2v p95 ms", "set-up p50 ms", "set-up p95 ms", "no reply",
                "RTP gaps (max ms)", "wall s"):
        t.add_column(col, justify="left" if col in ("round", "path") else "right")
    w = Table(title="Each worker during each run")
    for col in ("round", "path", "worker", "calls", "turns", "CPU s", "RSS peak MiB", "ASR s / turn"):
        w.add_column(col, justify="left" if col in ("round", "path", "worker") else "right")
    for i, r in enumerate(report["rounds"], 1):
        for name, b in r.items():
            t.add_row(str(i), name, str(b.get("p50_ms")), str(b.get("p95_ms")), str(b.get("setup_p50_ms")),
                      str(b.get("setup_p95_ms")), str(b.get("no_reply")),
                      f"{b.get('rtp_gaps')} ({b.get('max_rtp_gap_ms')})", str(b.get("wall_s")))
            for pid, fig in (b.get("workers") or {}).items():
                turns = fig.get("asr_seconds_count") or 0
                per_turn = f"{fig.get('asr_seconds_sum', 0) / turns:.3f}" if turns else "-"
                w.add_row(str(i), name, pid, f"{fig.get('calls_answered_total', 0):.0f}", f"{turns:.0f}",
                          str(fig.get("cpu_s")), str(fig.get("rss_mib_peak")), per_turn)
    console.print(t)
    console.print(w)



if __name__ == "__main__":
    sys.exit(main())
