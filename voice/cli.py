"""The ``dialphone`` command line: serve, config, admin, replay, bench, eval, audit, cluster.

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
    from concierge.config import ConfigError, load_workspace
    from voice.server.preflight import StartError, check_brain, check_ports
    from voice.settings import load_settings

    try:
        settings = load_settings(
            args.settings, config=args.config, host=args.host, sip_port=args.sip_port, http_port=args.http_port,
            data_dir=args.data_dir, log_format=args.log_format,
            rtp_port_min=args.rtp_ports[0] if args.rtp_ports else None,
            rtp_port_max=args.rtp_ports[1] if args.rtp_ports else None,
        )
        # before the server's imports (pipecat, the models' libraries): what can be checked now is
        check_brain(settings.runtime_workspace(load_workspace(settings.config)))
        check_ports(settings.host, http_port=settings.http_port, sip_port=settings.sip_port)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except StartError as exc:
        print(f"dialphone: {exc}", file=sys.stderr)
        return 2
    from voice.server.main import run_server

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
        if mod_name.startswith("voice.cards."):
            import os

            from voice.cards import PORTABLE_KERNELS

            for name, value in PORTABLE_KERNELS.items():  # before CTranslate2 loads (voice/cards/__init__)
                os.environ.setdefault(name, value)
        return int(getattr(importlib.import_module(mod_name), func)([*prefix, *argv]) or 0)

    return run


# Subcommands implemented by the packages that own them: (target, arguments put before the user's).
# Everything after the subcommand's name is theirs.
DELEGATED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("audit",): ("audit.cli:main",),
    ("tokens",): ("voice.admin.cli:tokens_main",),
    ("admin", "token"): ("voice.admin.cli:admin_token_main",),
    ("config", "import"): ("voice.admin.cli:config_main", "import"),
    ("config", "export"): ("voice.admin.cli:config_main", "export"),
    ("eval", "redaction"): ("voice.cards.redaction_eval:main", "eval"),
    ("bench", "redaction"): ("voice.cards.redaction_eval:main", "bench"),
    ("eval", "asr"): ("voice.asr.evaluate:main",),
    ("eval", "concierge"): ("concierge.cli:eval_main",),
    ("eval", "boundary"): ("voice.testing.boundary_cli:main",),
    ("eval", "all"): ("voice.cards.cli:main",),
    ("eval", "gate"): ("voice.cards.gate:gate_main",),
    ("bench", "gate"): ("concierge.cli:bench_gate_main",),
    ("bench", "audit"): ("audit.cli:main", "bench"),
    ("bench", "approvals"): ("voice.store.bench:main",),
    ("bench", "latency"): ("voice.testing.replay_cli:bench_latency_main",),
    ("bench", "concurrency"): ("voice.testing.concurrency:main",),
    ("bench", "capacity"): ("voice.testing.capacity:main",),
    ("bench", "ivr"): ("voice.testing.ivr_bench:main",),
    ("bench", "races"): ("voice.testing.race_bench:main",),
    ("eval", "audit-coverage"): ("voice.testing.audit_coverage:main",),
    ("replay",): ("voice.testing.replay_cli:replay_main",),
    ("cluster",): ("voice.cluster.cli:main",),
    ("messages-api",): ("concierge.messages_api_server:main",),
}

#: One line for each evaluation and benchmark (``dialphone eval --help``, ``dialphone bench --help``).
GROUPS: dict[str, tuple[str, dict[str, str]]] = {
    "eval": ("evaluations on real audio and the project's corpora", {
        "asr": "word error rate of the speech recognizer on the shared recordings",
        "redaction": "recall, precision and leak rate of PII detection on the corpus",
        "concierge": "routing accuracy of the embedded brain over the fixtures",
        "boundary": "the privacy boundary: generated calls giving numbers every way, leaks anywhere",
        "audit-coverage": "every fixture through every transport: AI actions that happened vs. logged",
        "all": "regenerate the model cards in docs/model-cards/",
        "gate": "the release gate on measured figures and bias gaps",
    }),
    "bench": ("benchmarks that print a table (and --json)", {
        "latency": "voice-to-voice latency over every fixture turn, measured at the caller",
        "concurrency": "latency with N concurrent calls (inproc, media stream or SIP)",
        "capacity": "the most concurrent calls that keep p95 <= 1 s, each point a fresh server",
        "redaction": "redaction latency per utterance",
        "gate": "tool call to logged decision latency",
        "audit": "audit log write throughput (SQLite, PostgreSQL)",
        "approvals": "approval decision to the waiting process",
        "ivr": "IVR service level under AI load",
        "races": "the races of one call's authority, each --runs times",
    }),
    "admin": ("administration of a deployment's store", {
        "token": "admin API tokens: create --role ROLE --name N, list, revoke ID",
    }),
}


def _group_help(group: str) -> str:
    what, subs = GROUPS[group]
    width = max(len(name) for name in subs)
    lines = [f"usage: dialphone {group} {{{','.join(subs)}}} ...", "", what + ":", ""]
    lines += [f"  {name:<{width}}  {line}" for name, line in subs.items()]
    lines += ["", f"dialphone {group} NAME --help shows the options of one."]
    return "\n".join(lines)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("dialphone-concierge")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialphone", description="DialPhone Smart Virtual Concierge")
    p.add_argument("--version", action="version", version=f"dialphone {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    s = sub.add_parser("serve", help="start the server (settings: docs/settings.md)",
                       description="Start the server. Every option may also come from the environment "
                                   "(DIALPHONE_*) or a settings file; an option given here wins.")
    s.add_argument("--settings", metavar="FILE", help="YAML settings file (default: $DIALPHONE_SETTINGS_FILE, else none)")
    s.add_argument("--config", metavar="FILE",
                   help=f"workspace YAML that seeds the store (default: $DIALPHONE_CONFIG, else {DEFAULT_CONFIG})")
    s.add_argument("--host", help="address of the HTTP and SIP listeners (default: $DIALPHONE_HOST, else 127.0.0.1)")
    s.add_argument("--sip-port", type=int, metavar="PORT",
                   help="SIP port, UDP and TCP (default: $DIALPHONE_SIP_PORT, else 5060)")
    s.add_argument("--http-port", type=int, metavar="PORT",
                   help="HTTP port: caller page, admin console, media streams (default: $DIALPHONE_HTTP_PORT, else 8080)")
    s.add_argument("--data-dir", metavar="DIR",
                   help="folder of the SQLite store and audit log (default: $DIALPHONE_DATA_DIR, else var)")
    s.add_argument("--log-format", choices=("text", "json"),
                   help="json: one object a line, with the call id (default: $DIALPHONE_LOG_FORMAT, else text)")
    s.add_argument("--rtp-ports", type=_port_range, metavar="LOW-HIGH",
                   help="RTP port range (default: $DIALPHONE_RTP_PORT_MIN/MAX, else ephemeral ports)")
    s.set_defaults(func=_cmd_serve)

    c = sub.add_parser("config", help="workspace configuration: validate, import, export")
    csub = c.add_subparsers(dest="config_command", required=True, metavar="COMMAND")
    v = csub.add_parser("validate", help="check workspace YAML files: every error at its line and field")
    v.add_argument("files", nargs="+", metavar="FILE", help="workspace YAML files")
    v.set_defaults(func=_cmd_config_validate)
    csub.add_parser("import", help="apply a workspace YAML to the store as a new audited version", add_help=False)
    csub.add_parser("export", help="write the stored workspace as YAML (no secrets)", add_help=False)

    for name, helptext in (
        ("replay", "replay recorded audio or fixtures through the whole pipeline; PASS/FAIL per fixture"),
        ("audit", "export, verify and purge the audit log"),
        ("admin", "admin token create|list|revoke: admin API tokens"),
        ("tokens", "the same as admin token"),
        ("eval", "evaluations: " + " | ".join(GROUPS["eval"][1])),
        ("bench", "benchmarks: " + " | ".join(GROUPS["bench"][1])),
        ("cluster", "run Kamailio, N workers and PostgreSQL on this machine (cluster up --workers N)"),
        ("messages-api", "a local stand-in for the Anthropic Messages API that answers from a script (docs/testing.md)"),
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
    if args_list[:1] and args_list[0] in GROUPS:
        asked = args_list[1:2] in (["-h"], ["--help"])
        unknown = "" if asked or len(args_list) < 2 else f"dialphone {args_list[0]}: no such command {args_list[1]!r}\n\n"
        print(unknown + _group_help(args_list[0]), file=sys.stdout if asked else sys.stderr)
        return 0 if asked else 2
    args = _parser().parse_args(args_list)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
