"""A local PostgreSQL server: Debian's ``postgresql`` package, ``initdb`` + ``pg_ctl`` as an
unprivileged user, on a free loopback port (``dialphone cluster up`` and the tests).

As root, the server runs as the ``postgres`` user the package creates (``runuser``); otherwise as
the current user. Without ``root`` it lives in a temporary folder removed at :meth:`PgCluster.stop`;
with one, the folder is kept and reused at the next start (its data survives).

    cluster = PgCluster.start(); url = cluster.new_database(); ...; cluster.stop()
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


class PostgresMissing(RuntimeError):
    """The PostgreSQL server binaries are not installed."""


def bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise PostgresMissing("PostgreSQL server binaries not found: install Debian's postgresql (make system-deps)")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgCluster:
    root: Path
    port: int
    bin: Path
    user: str | None  # run as this user (root only)
    keep: bool = False  # keep the folder at stop (a folder the caller named)
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    @classmethod
    def start(cls, root: Path | None = None, *, port: int | None = None) -> PgCluster:
        """Start a server in ``root`` (created and initialised when new), else in a temporary folder."""
        keep = root is not None
        if root is None:
            root = Path(tempfile.mkdtemp(prefix="dialphone-pg-"))
        root = root.resolve()
        root.mkdir(parents=True, exist_ok=True)
        user = None
        if os.geteuid() == 0:
            user = "postgres"
            pw = pwd.getpwnam(user)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        cluster = cls(root=root, port=port or free_port(), bin=bin_dir(), user=user, keep=keep)
        data = root / "data"
        if not (data / "PG_VERSION").exists():
            cluster._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = (f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                "-c shared_buffers=64MB")
        cluster._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60", "start")
        return cluster

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _psql(self, sql: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                         "-v", "ON_ERROR_STOP=1", "-q", "-c", sql, check=check)

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}_{int(time.time() * 1000) % 100000}"
        self._psql(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def database(self, name: str) -> str:
        """The URL of database ``name`` (a plain identifier), created when missing."""
        if not name.isidentifier():
            raise ValueError("database name must be a plain identifier")
        found = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                          "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if found.stdout.strip() != "1":
            self._psql(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        mode = "fast" if self.keep else "immediate"
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", mode, "-w", "stop", check=False)
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
