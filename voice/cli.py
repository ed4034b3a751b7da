"""The ``dialphone`` command line: serve, config, tokens, replay, bench, eval, audit, cluster.

``serve``'s options may also come from the environment or a settings file: they are deployment
settings (:mod:`voice.settings`, ``DIALPHONE_CONFIG``, ``DIALPHONE_HOST``, ``DIALPHONE_SIP_PORT``,
``DIALPHONE_HTTP_PORT``, ``DIALPHONE_DATA_DIR``, ``DIALPHONE_DATABASE_URL``, ...; docs/settings.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

DEFAULT_CONFIG = "examples/workspace.yaml"


def _cmd_serve(args: argparse.Namespace) -> int:
    from concierge.config import ConfigError
    from voice.server.main import run_server
    from voice.settings import load_settings

    try:
        settings = load_settings(
            args.settings, config=args.config, host=args.host, sip_port=args.sip_port, http_port=args.http_port,
            data_dir=args.data_dir, log_format=args.log_format,
            rtp_port_min=args.rtp_ports[0] if args.rtp_ports else None,
            rtp_port_max=args.rtp_ports[1] if args.rtp_ports else None,
        )
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    return run_server(settings)


def _port_range(text: str) -> tuple[int, int]:
    low, sep, high = text.partition("-")
    if not sep or not low.isdigit() or not high.isdigit():
        raise argparse.ArgumentTypeError("expected LOW-HIGH, e.g. 20000-20999")
    return int(low), int(high)


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
    ("tokens",): ("voice.admin.cli:tokens_main",),
    ("config", "import"): ("voice.admin.cli:config_main", "import"),
    ("config", "export"): ("voice.admin.cli:config_main", "export"),
    ("eval", "redaction"): ("redaction.cli:main", "eval"),
    ("bench", "redaction"): ("redaction.cli:main", "bench"),
    ("eval", "asr"): ("voice.asr.evaluate:main",),
    ("eval", "concierge"): ("concierge.cli:main", "eval"),
    ("eval", "boundary"): ("voice.testing.boundary_cli:main",),
    ("eval", "all"): ("voice.cards.cli:main",),
    ("eval", "gate"): ("voice.cards.gate:gate_main",),
    ("bench", "gate"): ("concierge.cli:main", "bench-gate"),
    ("bench", "audit"): ("audit.cli:main", "bench"),
    ("bench", "approvals"): ("voice.store.bench:main",),
    ("bench", "latency"): ("voice.testing.replay:bench_latency_main",),
    ("bench", "concurrency"): ("voice.testing.concurrency:main",),
    ("bench", "capacity"): ("voice.testing.capacity:main",),
    ("bench", "ivr"): ("voice.testing.ivr_bench:main",),
    ("bench", "races"): ("voice.testing.race_bench:main",),
    ("eval", "audit-coverage"): ("voice.testing.audit_coverage:main",),
    ("replay",): ("voice.testing.replay:replay_main",),
    ("cluster",): ("voice.cluster.cli:main",),
}


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialphone", description="DialPhone Smart Virtual Concierge")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("serve", help="start the server (settings: docs/settings.md)")
    s.add_argument("--settings", help="YAML settings file (else $DIALPHONE_SETTINGS_FILE)")
    s.add_argument("--config", help=f"workspace YAML that seeds the store (default {DEFAULT_CONFIG})")
    s.add_argument("--host")
    s.add_argument("--sip-port", type=int)
    s.add_argument("--http-port", type=int)
    s.add_argument("--data-dir")
    s.add_argument("--log-format", choices=("text", "json"), help="json: one object a line, with the call id")
    s.add_argument("--rtp-ports", type=_port_range, metavar="LOW-HIGH", help="RTP port range (default: ephemeral)")
    s.set_defaults(func=_cmd_serve)

    c = sub.add_parser("config", help="workspace configuration")
    csub = c.add_subparsers(dest="config_command", required=True)
    v = csub.add_parser("validate", help="validate workspace YAML files")
    v.add_argument("files", nargs="+")
    v.set_defaults(func=_cmd_config_validate)
    csub.add_parser("import", help="apply a workspace YAML to the store as a new audited version", add_help=False)
    csub.add_parser("export", help="write the stored workspace as YAML (no secrets)", add_help=False)

    for name, helptext in (
        ("replay", "replay recorded audio through the whole pipeline"),
        ("audit", "export, verify and purge the audit log"),
        ("tokens", "list, create and revoke admin API tokens"),
        ("eval", "evaluations: asr | redaction | boundary | concierge | audit-coverage | gate | all"),
        ("bench", "benchmarks: latency | redaction | gate | audit | approvals | concurrency | capacity | ivr | races"),
        ("cluster", "run Kamailio, N workers and PostgreSQL on this machine (cluster up --workers N)"),
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
