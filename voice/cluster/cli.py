"""``dialphone cluster up --workers N [--sip-port P] [--http-port H] ...``: Kamailio on SIP port P
(default 5060), worker i on HTTP H+i (default 8080+i) and SIP P+i with RTP ports
``rtp-base + 1000*(i-1)`` .. ``+999``, PostgreSQL unless ``DIALPHONE_DATABASE_URL`` names one.
See :mod:`voice.cluster.supervisor` and ``docs/cluster.md``.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
from pathlib import Path

from voice.cluster.kamailio import Edge, KamailioMissing, default_config, find_kamailio
from voice.cluster.postgres import PostgresMissing
from voice.cluster.supervisor import Cluster, Options, WorkerSpec


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialphone cluster", description="a local cluster: Kamailio, N workers, PostgreSQL")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start everything, print where it listens, stop it all on Ctrl-C or SIGTERM")
    up.add_argument("--workers", type=int, default=2, help="dialphone serve processes (default 2)")
    up.add_argument("--host", default="127.0.0.1", help="address of the edge and the workers (default 127.0.0.1)")
    up.add_argument("--sip-port", type=int, default=5060, help="the edge's SIP port P; worker i uses P+i")
    up.add_argument("--http-port", type=int, default=8080, help="worker i serves HTTP on H+i (default 8080+i)")
    up.add_argument("--rtp-base", type=int, default=20000, help="worker i's RTP ports: base+1000*(i-1) .. +999")
    up.add_argument("--invite-rate", type=int, default=50, help="INVITEs per second the edge lets through, all workers")
    up.add_argument("--config", help="workspace YAML that seeds the store (default examples/workspace.yaml)")
    up.add_argument("--settings", help="settings file each worker reads (docs/settings.md)")
    up.add_argument("--log-format", choices=("text", "json"), default="text",
                    help="the workers' log lines: json is one object a line, with the call id (default text)")
    up.add_argument("--run-dir", type=Path, default=Path("var/cluster"), help="data folders, the edge's files")
    up.add_argument("--pg-dir", type=Path, help="keep PostgreSQL's data here (default: a throw-away folder)")
    up.add_argument("--kamailio-config", type=Path, help="default deploy/kamailio/kamailio.cfg")
    up.add_argument("--status-file", type=Path, help="write the layout (ports, pids) here as JSON once up")
    up.add_argument("--no-restart", action="store_true", help="leave a worker that exits down")
    return p


def _taken(host: str, port: int) -> bool:
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return True
    return False


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    if args.workers < 1:
        print("dialphone cluster: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        binary = find_kamailio(install=True)
        config = args.kamailio_config.resolve() if args.kamailio_config else default_config()
    except (KamailioMissing, FileNotFoundError) as exc:
        print(f"dialphone cluster: {exc}", file=sys.stderr)
        return 2
    run_dir = args.run_dir.resolve()
    workers = [
        WorkerSpec(index=i, host=args.host, http_port=args.http_port + i, sip_port=args.sip_port + i,
                   rtp_ports=(args.rtp_base + 1000 * (i - 1), args.rtp_base + 1000 * (i - 1) + 999),
                   data_dir=run_dir / f"worker-{i}")
        for i in range(1, args.workers + 1)
    ]
    ports = [args.sip_port] + [p for w in workers for p in (w.sip_port, w.http_port)]
    busy = [p for p in ports if _taken(args.host, p)]
    if busy:
        print(f"dialphone cluster: port(s) in use on {args.host}: {', '.join(map(str, busy))} "
              "(choose others with --sip-port / --http-port)", file=sys.stderr)
        return 2
    edge = Edge(binary=binary, config=config, workers=[w.sip_uri for w in workers], host=args.host,
                port=args.sip_port, run_dir=run_dir / "edge", invite_rate_per_s=args.invite_rate)
    options = Options(config=args.config, settings=args.settings, log_format=args.log_format,
                      restart=not args.no_restart, status_file=args.status_file, pg_dir=args.pg_dir)
    cluster = Cluster(workers=workers, edge=edge, options=options,
                      database_url=os.environ.get("DIALPHONE_DATABASE_URL") or None)
    try:
        return cluster.run()
    except PostgresMissing as exc:
        print(f"dialphone cluster: {exc}", file=sys.stderr)
        return 2
