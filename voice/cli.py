"""The ``dialphone`` command line: serve, config, replay, bench, eval, audit.

Options may also come from the environment with the ``DIALPHONE_`` prefix (``DIALPHONE_CONFIG``,
``DIALPHONE_HOST``, ``DIALPHONE_SIP_PORT``, ``DIALPHONE_HTTP_PORT``, ``DIALPHONE_DATA_DIR``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_CONFIG = "examples/workspace.yaml"


def _env(name: str, default: str) -> str:
    return os.environ.get(f"DIALPHONE_{name}", default)


def _cmd_serve(args: argparse.Namespace) -> int:
    from voice.server.main import run_server

    return run_server(
        config=Path(args.config),
        host=args.host,
        sip_port=args.sip_port,
        http_port=args.http_port,
        data_dir=Path(args.data_dir),
    )


def _cmd_config_validate(args: argparse.Namespace) -> int:
    from concierge.config import ConfigError, load_workspace

    status = 0
    for f in args.files:
        try:
            ws = load_workspace(f)
        except ConfigError as exc:
            for line, field, msg in exc.problems:
                print(f"{f}:{line if line else '?'}: {field}: {msg}", file=sys.stderr)
            status = 1
        else:
            print(f"{f}: ok (workspace {ws.id}, {len(ws.departments)} departments)")
    return status


def _delegate(target: str, *prefix: str) -> Callable[[list[str]], int]:
    """Run another package's ``main(argv)`` (``pkg.module:function``), with ``prefix`` before the
    arguments. Imported on use, so ``dialphone serve`` never loads an evaluation's dependencies."""

    def run(argv: list[str]) -> int:
        import importlib

        mod_name, func = target.split(":")
        return int(getattr(importlib.import_module(mod_name), func)([*prefix, *argv]) or 0)

    return run


# Subcommands implemented by the packages that own them: (target, arguments put before the user's).
# Everything after the subcommand's name is theirs.
DELEGATED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("audit",): ("audit.cli:main",),
    ("eval", "redaction"): ("redaction.cli:main", "eval"),
    ("bench", "redaction"): ("redaction.cli:main", "bench"),
    ("eval", "asr"): ("voice.asr.evaluate:main",),
    ("eval", "concierge"): ("concierge.cli:main", "eval"),
    ("eval", "all"): ("voice.cards.cli:main",),
    ("eval", "gate"): ("voice.cards.gate:gate_main",),
    ("bench", "gate"): ("concierge.cli:main", "bench-gate"),
    ("bench", "audit"): ("audit.cli:main", "bench"),
    ("bench", "latency"): ("voice.testing.replay:bench_latency_main",),
    ("bench", "concurrency"): ("voice.testing.replay:bench_concurrency_main",),
    ("bench", "ivr"): ("voice.testing.ivr_bench:main",),
    ("replay",): ("voice.testing.replay:replay_main",),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialphone", description="DialPhone Smart Virtual Concierge")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="start the server")
    s.add_argument("--config", default=_env("CONFIG", DEFAULT_CONFIG))
    s.add_argument("--host", default=_env("HOST", "127.0.0.1"))
    s.add_argument("--sip-port", type=int, default=int(_env("SIP_PORT", "5060")))
    s.add_argument("--http-port", type=int, default=int(_env("HTTP_PORT", "8080")))
    s.add_argument("--data-dir", default=_env("DATA_DIR", "var"))
    s.set_defaults(func=_cmd_serve)

    c = sub.add_parser("config", help="workspace configuration")
    csub = c.add_subparsers(dest="config_command", required=True)
    v = csub.add_parser("validate", help="validate workspace YAML files")
    v.add_argument("files", nargs="+")
    v.set_defaults(func=_cmd_config_validate)

    for name, helptext in (
        ("replay", "replay recorded audio through the whole pipeline"),
        ("audit", "export, verify and purge the audit log"),
        ("eval", "evaluations: asr | redaction | concierge | gate | all"),
        ("bench", "benchmarks: latency | redaction | gate | audit | concurrency | ivr"),
    ):
        sub.add_parser(name, help=helptext, add_help=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from voice.server.logs import configure

    configure()
    args_list = list(sys.argv[1:] if argv is None else argv)
    for key in sorted(DELEGATED, key=len, reverse=True):
        if tuple(args_list[: len(key)]) == key:
            return _delegate(*DELEGATED[key])(args_list[len(key) :])
    if args_list[:1] in (["eval"], ["bench"]):
        kinds = sorted({k[1] for k in DELEGATED if k[0] == args_list[0]})
        print(f"usage: dialphone {args_list[0]} {{{','.join(kinds)}}} ...", file=sys.stderr)
        return 2
    args = _parser().parse_args(args_list)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
