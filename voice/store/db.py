"""Engines and migrations: one SQLAlchemy URL picks the backend.

``sqlite:///PATH`` (the embedded default, WAL) or ``postgresql://...`` (run with psycopg 3). The
schema is Alembic's (``migrations/``, version table ``dialphone_state_version``); :func:`open_engine`
upgrades it to the newest revision under a lock, so several servers may start at once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from voice.store.exceptions import StoreError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "dialphone_state_version"


def driver_url(url: str) -> str:
    """``postgresql://`` / ``postgres://`` -> ``postgresql+psycopg://`` (psycopg 3)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def libpq_dsn(url: str) -> str:
    """The URL as libpq takes it (for psycopg's own connections: LISTEN)."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def is_postgresql(url: str) -> bool:
    return url.startswith(("postgresql", "postgres:"))


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock``."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> sa.Engine:
    url = driver_url(url)
    try:
        if url.startswith("sqlite"):
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return sa.create_engine(url, pool_size=5, max_overflow=10, pool_pre_ping=True)
    except (sa.exc.SQLAlchemyError, ValueError, ImportError) as exc:
        raise StoreError(f"cannot open the state store: {type(exc).__name__}") from None


def upgrade(engine: sa.Engine, *, script_location: Path = MIGRATIONS, version_table: str = VERSION_TABLE) -> None:
    """Bring the schema to the newest revision (idempotent; serialized across processes)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.attributes["version_table"] = version_table
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": advisory_key(version_table)})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except sa.exc.SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the state store: {type(exc).__name__}") from None


def open_engine(url: str) -> sa.Engine:
    engine = make_engine(url)
    upgrade(engine)
    return engine
