"""Start, watch and stop a local cluster: PostgreSQL, N workers, Kamailio in front of them.

    cluster = Cluster(layout, options)
    return cluster.run()       # up, print where everything listens, watch; Ctrl-C / SIGTERM: down

Start-up order: Kamailio is found (installed when root, else a clear error) before anything starts;
PostgreSQL (unless ``DIALPHONE_DATABASE_URL`` names one); the workers (``dialphone serve``, each
with its own HTTP and SIP port, RTP range and data folder, all on the one database), until every
one answers ``GET /readyz``; then Kamailio, so its dispatcher starts with every worker up. A worker
that exits while the cluster runs is restarted (the edge's probes take it out and put it back).

Shutdown order: workers first (SIGINT: each BYEs its calls, through the edge, and exits), then
Kamailio, then the PostgreSQL this command started. Each child's output is passed on with its name
(``[worker 1] ...``; with ``--log-format json`` each JSON line gains a ``"worker"`` field).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from voice.cluster.kamailio import Edge
from voice.cluster.postgres import PgCluster

READY_TIMEOUT_S = 600.0
STOP_TIMEOUT_S = 20.0


@dataclass(frozen=True)
class WorkerSpec:
    index: int
    host: str
    http_port: int
    sip_port: int
    rtp_ports: tuple[int, int]
    data_dir: Path

    @property
    def http(self) -> str:
        return f"http://{self.host}:{self.http_port}"

    @property
    def sip_uri(self) -> str:
        return f"sip:{self.host}:{self.sip_port}"


@dataclass
class Options:
    config: str | None = None  # workspace YAML (seeds the store on first start)
    settings: str | None = None  # settings file passed to each worker
    log_format: str = "text"
    restart: bool = True
    status_file: Path | None = None
    pg_dir: Path | None = None


@dataclass
class _Child:
    name: str
    proc: subprocess.Popen[bytes]
    started_at: float
    ready: bool = False
    restarts: int = 0
    pump: threading.Thread | None = None


@dataclass
class Cluster:
    """The cluster on this machine; :meth:`run` brings it up, watches it, and takes it down."""

    workers: list[WorkerSpec]
    edge: Edge
    options: Options
    database_url: str | None = None
    out: IO[str] = field(default_factory=lambda: sys.stdout)
    _children: dict[int, _Child] = field(default_factory=dict)
    _pg: PgCluster | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _edge_pump: threading.Thread | None = None
    _up: bool = False

    # ------------------------------------------------------------------ the whole run

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stop.set())
        started = time.monotonic()
        try:
            self._start_database()
            for spec in self.workers:
                self._spawn(spec)
            self._say(f"waiting until {len(self.workers)} workers are ready (models load: up to a few minutes) …")
            if not self._wait_ready():
                return 1 if not self._stop.is_set() else 0
            self._start_edge()
            self._up = True
            self._write_status()
            self._print_layout(time.monotonic() - started)
            self._watch()
            return 0
        finally:
            self._down()

    def _say(self, text: str) -> None:
        print(f"dialphone cluster: {text}", file=self.out, flush=True)

    # ------------------------------------------------------------------ parts

    def _start_database(self) -> None:
        if self.database_url:
            self._say("PostgreSQL: the one DIALPHONE_DATABASE_URL names")
            return
        self._say("starting PostgreSQL …")
        self._pg = PgCluster.start(self.options.pg_dir)
        self.database_url = self._pg.database("dialphone")

    def _worker_env(self) -> dict[str, str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.database_url:
            env["DIALPHONE_DATABASE_URL"] = self.database_url
        return env

    def _spawn(self, spec: WorkerSpec, restarts: int = 0) -> None:
        cmd = [sys.executable, "-m", "voice.cli", "serve", "--host", spec.host, "--sip-port", str(spec.sip_port),
               "--http-port", str(spec.http_port), "--data-dir", str(spec.data_dir),
               "--rtp-ports", f"{spec.rtp_ports[0]}-{spec.rtp_ports[1]}", "--log-format", self.options.log_format]
        if self.options.config:
            cmd += ["--config", self.options.config]
        if self.options.settings:
            cmd += ["--settings", self.options.settings]
        spec.data_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                env=self._worker_env())
        child = _Child(f"worker {spec.index}", proc, time.monotonic(), restarts=restarts)
        child.pump = _pump(proc, f"worker {spec.index}", spec.index, self.options.log_format == "json")
        self._children[spec.index] = child
        self._write_status()

    def _start_edge(self) -> None:
        self._say(f"starting Kamailio on sip:{self.edge.host}:{self.edge.port} …")
        proc = self.edge.start(stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self._edge_pump = _pump(proc, "edge", None, False)
        self.edge.wait_answering(timeout_s=15)
        self._write_status()

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self._stop.is_set():
            for spec in self.workers:
                child = self._children[spec.index]
                if child.proc.poll() is not None:
                    self._say(f"worker {spec.index} exited with status {child.proc.returncode} while starting")
                    return False
                if not child.ready:
                    child.ready = _ready(spec)
            if all(self._children[s.index].ready for s in self.workers):
                return True
            if time.monotonic() > deadline:
                self._say("workers not ready in time")
                return False
            self._stop.wait(0.5)
        return False

    def _watch(self) -> None:
        """Until Ctrl-C or SIGTERM: restart a worker that exited; say when it is ready again."""
        while not self._stop.wait(0.2):
            if self.edge.proc is not None and self.edge.proc.poll() is not None:
                self._say(f"Kamailio exited with status {self.edge.proc.returncode}; stopping the cluster")
                return
            for spec in self.workers:
                child = self._children[spec.index]
                code = child.proc.poll()
                if code is not None:
                    self._restart(spec, child, code)
                elif not child.ready and _ready(spec):
                    child.ready = True
                    self._say(f"worker {spec.index} ready again (pid {child.proc.pid}); the edge's next probe puts it back")

    def _restart(self, spec: WorkerSpec, child: _Child, code: int) -> None:
        how = f"signal {signal.Signals(-code).name}" if code < 0 else f"status {code}"
        if not self.options.restart:
            if child.ready:
                self._say(f"worker {spec.index} exited ({how}); not restarted (--no-restart)")
                child.ready = False
            return
        delay = min(30.0, 2.0 ** child.restarts) if time.monotonic() - child.started_at < 30 else 1.0
        self._say(f"worker {spec.index} exited ({how}); the edge routes around it; restarting in {delay:.0f}s")
        if self._stop.wait(delay):
            return
        self._spawn(spec, restarts=child.restarts + 1)

    def _down(self) -> None:
        live = [c for c in self._children.values() if c.proc.poll() is None]
        if live:
            self._say(f"stopping {len(live)} workers (each ends its calls) …")
        for child in live:
            child.proc.send_signal(signal.SIGINT)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in live:
            try:
                child.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
        for child in self._children.values():
            if child.pump is not None:
                child.pump.join(timeout=2)
        if self.edge.proc is not None:
            self._say("stopping Kamailio …")
            self.edge.stop()
        if self._edge_pump is not None:
            self._edge_pump.join(timeout=2)
        if self._pg is not None:
            self._say("stopping PostgreSQL …")
            self._pg.stop()
        if self.options.status_file is not None:
            self.options.status_file.unlink(missing_ok=True)
        self._say("stopped")

    # ------------------------------------------------------------------ what an operator sees

    def status(self) -> dict[str, Any]:
        edge = self.edge
        return {
            "state": "up" if self._up else "starting",
            "edge": {"sip": f"{edge.host}:{edge.port}", "transports": ["udp", "tcp"],
                     "ctl": str(edge.ctl_socket),
                     "pid": edge.proc.pid if edge.proc is not None else None, "config": str(edge.config),
                     "invite_rate_per_s": edge.invite_rate_per_s},
            "workers": [
                {"index": s.index, "pid": self._children[s.index].proc.pid if s.index in self._children else None,
                 "http": s.http, "sip": f"{s.host}:{s.sip_port}", "rtp_ports": list(s.rtp_ports),
                 "metrics": s.http + "/metrics", "data_dir": str(s.data_dir)}
                for s in self.workers
            ],
            "database": _masked(self.database_url or ""),
            "database_started_here": self._pg is not None,
        }

    def _write_status(self) -> None:
        path = self.options.status_file
        if path is not None:
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(self.status(), indent=2))
            tmp.replace(path)

    def _print_layout(self, took_s: float) -> None:
        st = self.status()
        lines = [f"up in {took_s:.1f}s",
                 f"  edge      kamailio  sip:{st['edge']['sip']} (udp, tcp)  pid {st['edge']['pid']}  "
                 f"INVITE limit {st['edge']['invite_rate_per_s']}/s  config {st['edge']['config']}"]
        for w in st["workers"]:
            lines.append(f"  worker {w['index']}  dialphone {w['http']}/  sip:{w['sip']}  rtp {w['rtp_ports'][0]}-"
                         f"{w['rtp_ports'][1]}  pid {w['pid']}  (/readyz, /metrics)")
        where = "started here, stopped at exit" if st["database_started_here"] else "given"
        lines.append(f"  database  {st['database']} ({where})")
        lines.append(f"callers dial sip:anything@{st['edge']['sip']}; Ctrl-C stops everything; "
                     "`kill -TERM <worker pid>` drains one worker")
        for line in lines:
            self._say(line)


def _ready(spec: WorkerSpec) -> bool:
    try:
        with urllib.request.urlopen(spec.http + "/readyz", timeout=2) as r:
            return bool(r.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _masked(url: str) -> str:
    """The URL with any password replaced (it is printed and written to the status file)."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not sep or not at or ":" not in creds:
        return url
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"


def _pump(proc: subprocess.Popen[bytes], name: str, index: int | None, json_lines: bool) -> threading.Thread:
    """Pass the child's output on to our stderr, each line marked with the child's name."""

    def run() -> None:
        assert proc.stdout is not None
        for raw in iter(proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            if json_lines and line.startswith("{"):
                try:
                    obj = json.loads(line)
                except ValueError:
                    obj = None
                if isinstance(obj, dict):
                    obj["worker"] = index
                    sys.stderr.write(json.dumps(obj, ensure_ascii=False) + "\n")
                    continue
            sys.stderr.write(f"[{name}] {line}\n")
        sys.stderr.flush()

    thread = threading.Thread(target=run, name=f"pump-{name}", daemon=True)
    thread.start()
    return thread
