"""``dialphone config import|export`` and ``dialphone admin token create|list|revoke`` (also ``dialphone tokens``).

They work on the store the deployment settings name (``DIALPHONE_DATABASE_URL``, else SQLite in
``DIALPHONE_DATA_DIR``), so they may run beside live servers: an imported version is picked up by
every server within ``DIALPHONE_CONFIG_POLL_S``. Imports and token changes are ``config.changed``
audit events (actor ``--actor``, default ``cli``), written before the store changes.

    dialphone config import examples/workspace.yaml     # version N -> N+1, naming the changed fields
    dialphone config export --workspace demo -o ws.yaml  # the stored version, without secrets
    dialphone admin token create --role supervisor --name bob --expires-in 30d   # shown once
    dialphone admin token list ; dialphone admin token revoke ID
(``--workspace`` defaults to the id in the deployment's workspace YAML.)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import yaml

from audit import builders
from audit.exceptions import AuditError
from audit.pg_store import PgAuditStore
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore
from audit.store import AuditStore
from audit.sync import append_sync
from concierge.config import ConfigError, differences, load_workspace, stored_form
from voice.admin.roles import Role
from voice.ivr.optout import configure_identifiers
from voice.settings import Settings, load_settings
from voice.store import SqlConfigStore, StoreError, VersionConflict
from voice.store.tokens import digest, expiry, new_token


@contextmanager
def _open(settings_file: str | None) -> Iterator[tuple[Settings, SqlConfigStore, AuditStore]]:
    settings = load_settings(settings_file)
    configure_identifiers(settings.optout_key())
    url = settings.database_url_value()
    store = SqlConfigStore(url)
    audit: AuditStore = PgAuditStore(url) if settings.uses_postgresql else SqliteAuditStore(settings.audit_db_path())
    try:
        yield settings, store, audit
    finally:
        audit.close()
        store.close()


def _audit(settings: Settings, audit: AuditStore, ws: str, actor: str, key: str, before: Any, after: Any) -> None:
    material = settings.signing_key()
    signer = CheckpointSigner(private_key=material) if material is not None else None
    event = builders.config_changed(workspace_id=ws, admin=actor, key=key, before=before, after=after)
    append_sync(audit, event, durable=True, signer=signer)


def _cmd_import(args: argparse.Namespace) -> int:
    yaml_ws = load_workspace(args.file)
    with _open(args.settings) as (settings, store, audit):
        handle = store.workspace_lock(yaml_ws.id)
        try:
            found = store.load_versioned(yaml_ws.id)
            version = found[1] if found else 0
            changed = differences(stored_form(found[0]), stored_form(yaml_ws)) if found else ["<new workspace>"]
            if not changed:
                print(f"workspace {yaml_ws.id}: the YAML equals stored version {version}; nothing to import")
            else:
                _audit(settings, audit, yaml_ws.id, args.actor, "workspace", {"version": version},
                       {"version": version + 1, "source": "import", "fields": changed[:50]})
                new = store.save(yaml_ws, actor=args.actor, expected_version=version)
                print(f"workspace {yaml_ws.id}: version {version} -> {new}; changed: {', '.join(changed)}")
            store.seed_extras(yaml_ws, actor=args.actor)
        finally:
            store.workspace_unlock(handle)
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    with _open(args.settings) as (_settings, store, _audit):
        ids = store.workspace_ids()
        ws_id = args.workspace or (ids[0] if len(ids) == 1 else None)
        if ws_id is None:
            print(f"the store holds {len(ids)} workspaces; choose one with --workspace", file=sys.stderr)
            return 2
        found = store.load_versioned(ws_id)
        if found is None:
            print(f"no workspace {ws_id!r} in the store", file=sys.stderr)
            return 2
    text = (f"# workspace {ws_id}, stored version {found[1]} (dialphone config export; secrets and "
            "opt-out numbers are never stored)\n") + yaml.safe_dump(stored_form(found[0]), sort_keys=False,
                                                                     allow_unicode=True)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    else:
        sys.stdout.write(text)
    return 0


def config_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone config", description="the stored workspace configuration")
    sub = p.add_subparsers(dest="command", required=True)
    i = sub.add_parser("import", help="apply a workspace YAML as a new audited version")
    i.add_argument("file", help="workspace YAML (checked as dialphone config validate does)")
    i.add_argument("--actor", default="cli", help="identity recorded in the config.changed event")
    i.set_defaults(func=_cmd_import)
    e = sub.add_parser("export", help="the stored version as YAML (no secrets, no opt-out numbers)")
    e.add_argument("--workspace", help="workspace id (default: the only one stored)")
    e.add_argument("--output", "-o", help="file to write (default: stdout)")
    e.set_defaults(func=_cmd_export)
    for sp in (i, e):
        sp.add_argument("--settings", help="YAML settings file (else $DIALPHONE_SETTINGS_FILE)")
    return _run(p, argv)


def _cmd_tokens_list(args: argparse.Namespace) -> int:
    with _open(args.settings) as (_settings, store, _audit):
        rows = store.all_tokens(args.workspace)
    print(f"{'id':12}  {'workspace':12}  {'name':20}  {'role':10}  {'status':8}  expires")
    for t in rows:
        print(f"{t.id:12}  {t.workspace_id:12}  {t.name:20}  {t.role:10}  {t.status:8}  {t.expires_at or 'never'}")
    return 0


def _cmd_tokens_create(args: argparse.Namespace) -> int:
    expires = expiry(args.expires_in)
    token = new_token()
    with _open(args.settings) as (settings, store, audit):
        ws = _workspace_of(args, settings)
        _audit(settings, audit, ws, args.actor, "tokens", "<absent>",
               {"name": args.name, "role": args.role, "expires_at": expires or "never"})
        rec = store.add_token(workspace_id=ws, name=args.name, role=args.role, digest=digest(token),
                              expires_at=expires, actor=args.actor)
    print(f"token {rec.id} for {args.role} {args.name} of workspace {ws}, expires {expires or 'never'}")
    print(f"shown once: {token}")
    return 0


def _cmd_tokens_revoke(args: argparse.Namespace) -> int:
    with _open(args.settings) as (settings, store, audit):
        ws = _workspace_of(args, settings)
        found = next((t for t in store.all_tokens(ws) if t.id == args.token_id), None)
        if found is None:
            print(f"no token {args.token_id} in workspace {ws}", file=sys.stderr)
            return 1
        if found.revoked_at is None:
            _audit(settings, audit, ws, args.actor, "tokens",
                   {"id": found.id, "name": found.name, "role": found.role}, {"id": found.id, "revoked": "yes"})
            store.revoke_token(ws, args.token_id, actor=args.actor)
    print(f"token {args.token_id} revoked")
    return 0


def tokens_main(argv: list[str], *, prog: str = "dialphone tokens") -> int:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = argparse.ArgumentParser(prog=prog, description="admin API tokens in the store")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    ls = sub.add_parser("list", help="tokens with their status (never their value)", formatter_class=fmt)
    ls.add_argument("--workspace", help="only this workspace's tokens (default: every workspace)")
    ls.set_defaults(func=_cmd_tokens_list)
    c = sub.add_parser("create", help="a new token, shown once", formatter_class=fmt)
    c.add_argument("--role", required=True, choices=[r.value for r in Role], help="what the token may do")
    c.add_argument("--name", required=True, help="whose token it is (shown in the list and the audit log)")
    c.add_argument("--expires-in", default="90d", help="12h, 30d, 2w or never")
    c.set_defaults(func=_cmd_tokens_create)
    r = sub.add_parser("revoke", help="revoke a token (it stays listed as revoked)", formatter_class=fmt)
    r.add_argument("token_id", help="the id that create and list show")
    r.set_defaults(func=_cmd_tokens_revoke)
    for sp in (c, r):
        sp.add_argument("--workspace", help="the workspace (default: the one the deployment's workspace YAML names)")
        sp.add_argument("--actor", default="cli", help="identity recorded in the config.changed event")
    for sp in (ls, c, r):
        sp.add_argument("--settings", help="YAML settings file (default: $DIALPHONE_SETTINGS_FILE)")
    return _run(p, argv)


def admin_token_main(argv: list[str]) -> int:
    """``dialphone admin token create|list|revoke``."""
    return tokens_main(argv, prog="dialphone admin token")


def _workspace_of(args: argparse.Namespace, settings: Settings) -> str:
    """``--workspace``, else the id in the deployment's workspace YAML (``DIALPHONE_CONFIG``)."""
    return str(args.workspace) if args.workspace else load_workspace(settings.config).id


def _run(p: argparse.ArgumentParser, argv: list[str]) -> int:
    args = p.parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (StoreError, AuditError, ValueError) as exc:
        kind = "conflict" if isinstance(exc, VersionConflict) else "error"
        print(f"dialphone: {kind}: {exc}", file=sys.stderr)
        return 2
