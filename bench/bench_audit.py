"""Benchmark the audit log: group-commit throughput, durable (gating) write latency and the
tamper-detection trials (1,000 per fault kind on a 10,000-event log by default).

    python bench/bench_audit.py [--json F] [--events N] [--trials N] [--jobs J] [--dir D]
"""

from __future__ import annotations

import sys

from audit.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench", *sys.argv[1:]]))
