"""What one SIP call costs a worker, split into a per-second part and a per-turn part (docs/scaling.md).

    .venv/bin/python scripts/measure_call_cost.py [--json OUT]

One ``dialphone serve`` on free ports, then, one phase at a time (CPU seconds from /proc, resident
memory sampled every 250 ms, counters from ``/metrics``):

1. idle: the worker alone for 10 s (its own timers: the edge's probes are not there).
2. held: ``--held`` calls at once, each a caller line of silence for ``--hold-s`` seconds (RTP both
   ways, VAD, the pipeline, the greeting at the start): CPU per call-second with no caller turns.
3. turns, one call at a time: ``--sequential`` calls of the telephone fixtures, one after another:
   ASR time per turn without contention.
4. turns, at once: the same fixtures as ``--calls`` concurrent calls: CPU per turn once the held
   cost of their call-seconds is taken off, and the peak memory with that many calls.

Every figure is measured on the machine it runs on; run it when the machine is quiet.
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

from voice.testing.caller import CallerLine  # noqa: E402
from voice.testing.scenarios import expand, load_scenario  # noqa: E402
from voice.testing.sip_replay import replay_sip_caller  # noqa: E402
from voice.testing.sip_uac import SipUac  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _proc(pid: int) -> tuple[float, float]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS, int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _metrics(http: str) -> dict[str, float]:
    with urllib.request.urlopen(http + "/metrics", timeout=5) as r:
        text = r.read().decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[s.name] = out.get(s.name, 0.0) + s.value
    return out


class Phase:
    """CPU, peak memory and counters of the worker over one phase."""

    def __init__(self, pid: int, http: str) -> None:
        self.pid, self.http = pid, http

    def __enter__(self) -> Phase:
        self.cpu0, self.rss0 = _proc(self.pid)
        self.peak = self.rss0
        self.m0 = _metrics(self.http)
        self.t0 = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.25):
            self.peak = max(self.peak, _proc(self.pid)[1])

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.wall = time.monotonic() - self.t0
        cpu1, _ = _proc(self.pid)
        self.cpu = cpu1 - self.cpu0
        m1 = _metrics(self.http)
        self.delta = {k: m1.get(k, 0.0) - self.m0.get(k, 0.0) for k in m1}

    def report(self) -> dict[str, Any]:
        return {"wall_s": round(self.wall, 2), "cpu_s": round(self.cpu, 2), "rss_mib_start": round(self.rss0, 1),
                "rss_mib_peak": round(self.peak, 1)}


async def _held(server: tuple[str, int], calls: int, hold_s: float) -> float:
    """``calls`` calls of silence held ``hold_s`` seconds; their call-seconds."""

    async def one() -> float:
        uac = await SipUac.open(server)
        line = CallerLine(sample_rate=8000, send=uac.send_audio)
        try:
            assert await uac.invite() == 200
            started = time.monotonic()
            line.start()
            await asyncio.sleep(hold_s)
            await line.stop()
            await uac.bye()
            return time.monotonic() - started
        finally:
            await uac.close()

    return sum(await asyncio.gather(*(one() for _ in range(calls))))


async def _turns(server: str, scenarios: list[Any], concurrent: bool) -> float:
    async def one(s: Any) -> float:
        _, uac = await replay_sip_caller(server, s)
        return time.monotonic() - uac.answered_at

    if concurrent:
        return sum(await asyncio.gather(*(one(s) for s in scenarios)))
    total = 0.0
    for s in scenarios:
        total += await one(s)
    return total


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--held", type=int, default=10)
    p.add_argument("--hold-s", type=float, default=20.0)
    p.add_argument("--sequential", type=int, default=6)
    p.add_argument("--calls", type=int, default=20)
    p.add_argument("--json", type=Path)
    args = p.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="dialphone-call-cost-"))
    sip, http_port = _free_port(), _free_port()
    http = f"http://127.0.0.1:{http_port}"
    proc = subprocess.Popen([sys.executable, "-m", "voice.cli", "serve", "--sip-port", str(sip), "--http-port",
                             str(http_port), "--data-dir", str(tmp)], cwd=REPO,
                            stdout=(tmp / "serve.log").open("wb"), stderr=subprocess.STDOUT)
    out: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": os.getloadavg()}
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(http + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                print((tmp / "serve.log").read_text()[-3000:], file=sys.stderr)
                return 1
            time.sleep(0.5)
        time.sleep(2)
        paths = [x for x in expand([REPO / "fixtures" / "audio"]) if x.stem.endswith("_8k")]
        scenarios = [load_scenario(paths[i % len(paths)]) for i in range(args.calls)]
        with Phase(proc.pid, http) as idle:
            time.sleep(10)
        out["idle"] = {**idle.report(), "cpu_share": round(idle.cpu / idle.wall, 4)}
        with Phase(proc.pid, http) as held:
            call_s = asyncio.run(_held(("127.0.0.1", sip), args.held, args.hold_s))
        base = (held.cpu - out["idle"]["cpu_share"] * held.wall) / call_s
        out["held"] = {**held.report(), "calls": args.held, "call_s": round(call_s, 1),
                       "cpu_per_call_second": round(base, 4),
                       "rss_mib_per_call": round((held.peak - held.rss0) / args.held, 2)}
        with Phase(proc.pid, http) as seq:
            seq_call_s = asyncio.run(_turns(f"127.0.0.1:{sip}", scenarios[: args.sequential], concurrent=False))
        turns = seq.delta.get("dialphone_turns_total", 0.0)
        out["sequential"] = {**seq.report(), "calls": args.sequential, "call_s": round(seq_call_s, 1),
                             "turns": turns,
                             "asr_s_per_turn": round(seq.delta.get("dialphone_asr_seconds_sum", 0) / max(1, turns), 4),
                             "cpu_per_turn_s": round((seq.cpu - base * seq_call_s
                                                      - out["idle"]["cpu_share"] * seq.wall) / max(1, turns), 4)}
        time.sleep(3)
        with Phase(proc.pid, http) as conc:
            conc_call_s = asyncio.run(_turns(f"127.0.0.1:{sip}", scenarios, concurrent=True))
        turns = conc.delta.get("dialphone_turns_total", 0.0)
        v2v_n = conc.delta.get("dialphone_voice_to_voice_seconds_count", 0.0)
        out["concurrent"] = {**conc.report(), "calls": args.calls, "call_s": round(conc_call_s, 1), "turns": turns,
                             "turns_per_call_second": round(turns / conc_call_s, 4),
                             "asr_s_per_turn": round(conc.delta.get("dialphone_asr_seconds_sum", 0) / max(1, turns), 4),
                             "server_v2v_mean_s": round(conc.delta.get("dialphone_voice_to_voice_seconds_sum", 0)
                                                        / max(1, v2v_n), 3),
                             "cpu_per_turn_s": round((conc.cpu - base * conc_call_s
                                                      - out["idle"]["cpu_share"] * conc.wall) / max(1, turns), 4),
                             "rss_mib_per_call": round((conc.peak - out["idle"]["rss_mib_start"]) / args.calls, 2)}
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        out["load_after"] = os.getloadavg()
    print(json.dumps(out, indent=2))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
