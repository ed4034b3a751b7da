"""``dialphone eval …`` and ``dialphone bench …`` entry points that live in other packages.

Each package owns its evaluation; this module only forwards the arguments (voice is the top layer,
so it is the one place that may import them all).
"""

from __future__ import annotations


def redaction_main(argv: list[str]) -> int:
    from redaction.cli import main

    return main(["eval", *argv])


def redaction_bench_main(argv: list[str]) -> int:
    from redaction.cli import main

    return main(["bench", *argv])


def concierge_main(argv: list[str]) -> int:
    from concierge.cli import main

    return main(["eval", *argv])


def gate_bench_main(argv: list[str]) -> int:
    from concierge.cli import main

    return main(["bench-gate", *argv])


def audit_bench_main(argv: list[str]) -> int:
    from audit.cli import main

    return main(["bench", *argv])


def all_main(argv: list[str]) -> int:
    from voice.model_cards import main

    return main(argv)
