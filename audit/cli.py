"""``dialphone audit ...``: export, verify, keygen, purge, bench.

Exit status: 0 success, 1 verification found a fault (or ``--strict`` and unanchored rows),
2 usage or I/O error. Human-readable output is a table; data goes to stdout or ``--output``,
progress and summaries to stderr. ``--db`` is a SQLite file or a PostgreSQL URL; it defaults to
``$DIALPHONE_DATABASE_URL`` when that names PostgreSQL (the server keeps its audit log there too),
else ``$DIALPHONE_AUDIT_DB``, else ``audit.db`` in ``$DIALPHONE_DATA_DIR`` (``var``), where
``dialphone serve`` writes it. ``verify`` takes either, or a JSONL export.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from audit.backends import describe, open_store
from audit.checkpointing import Checkpointer
from audit.events import EventType, format_ts, parse_ts
from audit.exceptions import AuditError
from audit.export import ExportFormat, ExportRecord, ExportSummary, export
from audit.pg_store import is_url
from audit.retention import purge
from audit.signing import (
    CheckpointSigner,
    generate_private_key_pem,
    key_id,
    load_private_key,
    load_public_key,
    public_key_pem,
)
from audit.store import AuditStore, RowQuery
from audit.sync import append_sync
from audit.verify import VerifyResult
from audit.verify_sources import looks_like_export, read_checkpoints, verify_export, verify_store

OK, FAULT, ERROR = 0, 1, 2


def _db_default() -> str:
    url = os.environ.get("DIALPHONE_DATABASE_URL", "")
    if is_url(url):
        return url
    data_dir = os.environ.get("DIALPHONE_DATA_DIR") or "var"  # the server's default data folder
    return os.environ.get("DIALPHONE_AUDIT_DB") or os.path.join(data_dir, "audit.db")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dialphone audit", description="Tamper-evident audit log tools")
    sub = p.add_subparsers(dest="command", required=True)

    e = sub.add_parser("export", help="export one workspace chain as JSONL (verifiable) or CSV")
    e.add_argument("--db", default=_db_default(), help="audit database: SQLite file or postgresql:// URL (default: $DIALPHONE_DATABASE_URL when PostgreSQL, else $DIALPHONE_AUDIT_DB, else var/audit.db)")
    e.add_argument("--workspace", help="workspace id (default: the only one in the database)")
    e.add_argument("--since", help="ISO 8601 time, inclusive (UTC if no zone)")
    e.add_argument("--until", help="ISO 8601 time, exclusive")
    e.add_argument("--call", help="only this call id (filtered export)")
    e.add_argument(
        "--type", action="append", choices=[t.value for t in EventType], help="only these types (repeatable)"
    )
    e.add_argument("--format", required=True, choices=[f.value for f in ExportFormat],
                   help="jsonl: verifiable with audit verify; csv: for spreadsheets")
    e.add_argument("--output", help="file to write (default: stdout)")
    e.add_argument("--requester", default="cli", help="identity recorded in the audit.exported event")
    e.add_argument("--no-record", action="store_true", help="do not append an audit.exported event")

    v = sub.add_parser("verify", help="verify a database file or a JSONL export, offline")
    v.add_argument("target", help="audit database (SQLite file or postgresql:// URL) or EXPORT.jsonl")
    v.add_argument("--public-key", help="PEM file of the checkpoint public key (pins the key)")
    v.add_argument("--workspace", help="only this workspace (databases)")
    v.add_argument(
        "--checkpoints", help="JSONL with checkpoints kept outside the database (e.g. an earlier export)"
    )
    v.add_argument(
        "--strict", action="store_true", help="fail when rows are not covered by a signed checkpoint"
    )
    v.add_argument("--json", dest="json_out", help="also write the results as JSON to this file")

    k = sub.add_parser("keygen", help="create an Ed25519 checkpoint key, or export the public key of one")
    k.add_argument(
        "--private-key", help="PEM file to create (or read, with --public-only); default: print the new key"
    )
    k.add_argument("--public-key", help="PEM file for the public key (default: print it)")
    k.add_argument("--public-only", action="store_true", help="read --private-key and export its public key")

    g = sub.add_parser(
        "purge", help="apply retention: drop rows older than N days, keep the chain verifiable"
    )
    g.add_argument("--db", default=_db_default(), help="audit database: SQLite file or postgresql:// URL (default: $DIALPHONE_DATABASE_URL when PostgreSQL, else $DIALPHONE_AUDIT_DB, else var/audit.db)")
    g.add_argument("--workspace", help="workspace id (default: every workspace)")
    g.add_argument("--days", type=int, required=True, help="purge events older than this many days")
    g.add_argument("--now", help="ISO 8601 time to count from (default: now)")
    g.add_argument(
        "--private-key",
        default=os.environ.get("DIALPHONE_AUDIT_KEY"),
        help="sign a checkpoint after the purge",
    )
    g.add_argument("--actor", default="retention", help="identity recorded in the purge's audit event (default: retention)")

    b = sub.add_parser("bench", help="throughput, durable write latency and tamper-detection trials")
    b.add_argument("--json", dest="json_out", help="write the figures to this JSON file")
    b.add_argument(
        "--events", type=int, default=10_000, help="events per throughput run and in the tamper log"
    )
    b.add_argument("--trials", type=int, default=1000, help="tamper trials per fault kind (0: skip)")
    b.add_argument("--jobs", type=int, default=None, help="processes for the trials (default: CPU count)")
    b.add_argument("--dir", default=None, help="directory for the bench databases (default: temp dir)")
    b.add_argument(
        "--database",
        default=None,
        help="also measure PostgreSQL at this URL (an empty database: the bench adds and drops its tables' rows)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "export": cmd_export,
        "verify": cmd_verify,
        "keygen": cmd_keygen,
        "purge": cmd_purge,
        "bench": cmd_bench,
    }
    try:
        return handlers[args.command](args)
    except (AuditError, OSError) as exc:
        Console(stderr=True).print(f"[red]error:[/red] {exc}")
        return ERROR


def _progress(total: int | None, desc: str) -> tqdm[None]:
    return tqdm(total=total, desc=desc, unit="row", file=sys.stderr, disable=None, leave=False)


def _ts_arg(text: str | None) -> str | None:
    return None if text is None else format_ts(parse_ts(text))


@contextmanager
def _output(path: str | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    with open(path, "w", encoding="utf-8", newline="") as fh:
        yield fh


def _pick_workspace(store: AuditStore, wanted: str | None) -> str:
    if wanted:
        return wanted
    spaces = store.workspaces()
    if len(spaces) != 1:
        raise AuditError(f"the database holds {len(spaces)} workspaces; choose one with --workspace")
    return spaces[0]


def cmd_export(args: argparse.Namespace) -> int:
    with closing(open_store(args.db, create=False, read_only=args.no_record)) as store:
        ws = _pick_workspace(store, args.workspace)
        query = RowQuery(
            since=_ts_arg(args.since),
            until=_ts_arg(args.until),
            call_id=args.call,
            types=tuple(args.type) if args.type else None,
        )
        record = ExportRecord(workspace_id=ws, requester=args.requester, format=args.format, query=query)
        if not args.no_record:  # on the record before the first row is read
            append_sync(store, record.started())
        summary = ExportSummary(workspace_id=ws)
        completed = False
        try:
            with _progress(store.count(ws, query), "export") as bar, _output(args.output) as out:
                summary = export(
                    store,
                    workspace_id=ws,
                    query=query,
                    fmt=ExportFormat(args.format),
                    out=out,
                    progress=bar.update,
                    summary=summary,
                )
            completed = True
        finally:  # completed, or aborted (an error, an interrupt) with what was written so far
            if not args.no_record:
                append_sync(store, record.ended(summary, completed=completed))
    table = Table(title="audit export")
    for col in ("workspace", "mode", "rows", "seq range", "checkpoints", "unanchored"):
        table.add_column(col)
    seq_range = f"{summary.first_seq}..{summary.last_seq}" if summary.rows else "-"
    mode = "contiguous" if query.contiguous else "filtered"
    table.add_row(
        ws, mode, str(summary.rows), seq_range, str(summary.checkpoints), str(summary.unanchored_rows)
    )
    Console(stderr=True).print(table)
    return OK


def cmd_verify(args: argparse.Namespace) -> int:
    pinned = load_public_key(Path(args.public_key).read_bytes()) if args.public_key else None
    target = Path(args.target)
    if not is_url(args.target) and not target.exists():
        raise AuditError(f"no such file: {target}")
    if not is_url(args.target) and looks_like_export(target):
        with _progress(None, "verify") as bar:
            results = [verify_export(target, public_key=pinned, progress=bar.update)]
    else:
        extra = read_checkpoints(args.checkpoints) if args.checkpoints else []
        with closing(open_store(args.target, read_only=True)) as store:
            total = sum(store.count(ws) for ws in store.workspaces())
            with _progress(total, "verify") as bar:
                results = verify_store(
                    store,
                    public_key=pinned,
                    workspace_id=args.workspace,
                    extra_checkpoints=extra,
                    progress=bar.update,
                )
    _print_results(results)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps([_result_json(r) for r in results], indent=2) + "\n")
    failed = any(not r.ok for r in results) or (args.strict and any(r.unanchored_rows for r in results))
    return FAULT if failed or not results else OK


def _result_json(r: VerifyResult) -> dict[str, object]:
    fault = (
        None
        if r.fault is None
        else {
            "kind": r.fault.kind.value,
            "seq": r.fault.seq,
            "detail": r.fault.detail,
            "cause": r.fault.cause,
        }
    )
    return {
        "workspace_id": r.workspace_id,
        "ok": r.ok,
        "rows": r.rows,
        "first_seq": r.first_seq,
        "last_seq": r.last_seq,
        "checkpoints": r.checkpoints,
        "signatures_checked": r.signatures_checked,
        "unanchored_rows": r.unanchored_rows,
        "key_source": r.key_source,
        "fault": fault,
        "warnings": r.warnings,
    }


def _print_results(results: list[VerifyResult]) -> None:
    console = Console()
    table = Table(title="audit verify")
    for col in (
        "workspace",
        "rows checked",
        "seq range",
        "signed checkpoints",
        "unanchored",
        "result",
        "first bad seq",
        "fault",
    ):
        table.add_column(col)
    for r in results:
        f = r.fault
        table.add_row(
            r.workspace_id,
            str(r.rows),
            f"{r.first_seq}..{r.last_seq}" if r.rows else "-",
            f"{r.signatures_checked}/{r.checkpoints}",
            str(r.unanchored_rows),
            "[green]OK[/green]" if f is None else "[red]FAIL[/red]",
            "" if f is None else str(f.seq),
            "" if f is None else f.kind.value,
        )
    console.print(table)
    for r in results:
        console.print(f"{r.workspace_id}: public key {r.key_source}")
        if r.fault is not None:
            console.print(
                f"{r.workspace_id}: first bad seq {r.fault.seq}: {r.fault.kind.value} ({r.fault.cause}): {r.fault.detail}"
            )
        for w in r.warnings:
            console.print(f"[yellow]warning[/yellow] {r.workspace_id}: {w}")
    if not results:
        console.print("[red]no workspace chains found[/red]")


def cmd_keygen(args: argparse.Namespace) -> int:
    if args.private_key is None:
        if args.public_only:
            raise AuditError("--public-only needs --private-key")
        pem = generate_private_key_pem()
        sys.stdout.write(pem.decode("ascii"))
        key = load_private_key(pem)
        if args.public_key:
            Path(args.public_key).write_bytes(public_key_pem(key))
        Console(stderr=True).print(
            f"key id {key_id(key)}; keep the private key secret, give auditors the public key"
        )
        return OK
    priv_path = Path(args.private_key)
    if args.public_only:
        key = load_private_key(priv_path.read_bytes())
    else:
        if priv_path.exists():
            raise AuditError(f"{priv_path} exists; not overwriting a key")
        pem = generate_private_key_pem()
        fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        key = load_private_key(pem)
    pub = public_key_pem(key)
    if args.public_key:
        Path(args.public_key).write_bytes(pub)
    else:
        sys.stdout.write(pub.decode("ascii"))
    Console(stderr=True).print(
        f"key id {key_id(key)}; private key {priv_path}"
        + (f", public key {args.public_key}" if args.public_key else "")
    )
    return OK


def cmd_purge(args: argparse.Namespace) -> int:
    now = parse_ts(args.now) if args.now else None
    signer = CheckpointSigner(private_key=Path(args.private_key).read_bytes()) if args.private_key else None
    table = Table(title=f"audit purge (retention {args.days} days)")
    for col in ("workspace", "cutoff", "rows removed", "cut seq", "purge record seq"):
        table.add_column(col)
    with closing(open_store(args.db, create=False)) as store:
        for ws in [args.workspace] if args.workspace else store.workspaces():
            outcome = purge(store, workspace_id=ws, retention_days=args.days, now=now, actor=args.actor)
            rec = outcome.record
            if rec is not None and signer is not None:
                Checkpointer(store=store, signer=signer).checkpoint(ws)
            cut = "" if rec is None else str(rec.payload.get("cut_seq"))
            table.add_row(
                ws, outcome.cutoff, str(outcome.rows_removed), cut, "" if rec is None else str(rec.seq)
            )
    Console().print(table)
    return OK


def cmd_bench(args: argparse.Namespace) -> int:
    from audit.bench import run_bench

    with tqdm(
        total=args.trials * 6, desc="tamper trials", unit="trial", file=sys.stderr, disable=None
    ) as bar:
        figures = run_bench(
            n_events=args.events,
            trials=args.trials,
            jobs=args.jobs,
            workdir=args.dir,
            progress=bar.update,
            database=args.database,
        )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2) + "\n")
    console = Console()
    pg = figures["postgresql"]
    table = Table(title="audit bench" + (f" (PostgreSQL: {describe(args.database)})" if pg else ""))
    table.add_column("figure")
    table.add_column("SQLite", justify="right")
    if pg:
        table.add_column("PostgreSQL", justify="right")
    table.add_column("target (SQLite / PostgreSQL)")
    targets = {
        "events_per_s": ">= 5000 / >= 2000",
        "gating_write_p95_ms": "<= 5 / <= 10",
        "at_5000_per_s_commit_p99_ms": "<= 50",
    }
    for name, value in figures.items():
        if name not in ("tamper", "postgresql"):
            cells = [name, str(value)]
            if pg:
                cells.append(str(pg.get(name, "")))
            table.add_row(*cells, targets.get(name, ""))
    console.print(table)
    if figures["tamper"]:
        t = Table(title=f"tamper detection ({figures['tamper_log_events']}-event log)")
        for col in ("fault kind", "trials", "detected", "rate", "first bad seq named", "verifier faults"):
            t.add_column(col)
        for kind, s in figures["tamper"].items():
            named = f"{s['first_bad_seq_named']}/{s['first_bad_seq_predicted']}"
            t.add_row(
                kind,
                str(s["trials"]),
                str(s["detected"]),
                f"{s['detection_rate']:.2%}",
                named,
                ", ".join(f"{k}:{v}" for k, v in s["faults"].items()),
            )
        console.print(t)
    ok = figures["events_per_s"] >= 5000 and figures["gating_write_p95_ms"] <= 5
    if pg:
        ok = ok and pg["events_per_s"] >= 2000 and pg["gating_write_p95_ms"] <= 10
    ok = ok and all(s["detected"] == s["trials"] for s in figures["tamper"].values())
    return OK if ok else FAULT


if __name__ == "__main__":
    raise SystemExit(main())
