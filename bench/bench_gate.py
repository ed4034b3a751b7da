"""Benchmark: tool call to logged transfer decision (target p95 <= 20 ms).

    python bench/bench_gate.py [--json F] [--iterations N] [--config FILE]
"""

from __future__ import annotations

import sys

from concierge.cli import main

if __name__ == "__main__":
    raise SystemExit(main(["bench-gate", *sys.argv[1:]]))
