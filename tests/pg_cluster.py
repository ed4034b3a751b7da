"""A throw-away PostgreSQL for the tests: Debian's ``postgresql`` package, ``initdb`` + ``pg_ctl``
as an unprivileged user, in a temporary folder, on a free loopback port.

``make test`` installs the package when missing (``scripts/system-deps.sh``); there is no skip for
want of it: a test that needs PostgreSQL fails loudly if it cannot start one. As root, the cluster
runs as the ``postgres`` user the package creates (``runuser``); otherwise as the current user.

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
from dataclasses import dataclass
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found: install Debian's postgresql (make system-deps)")
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
    _names = itertools.count(1)

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=120)

    @classmethod
    def start(cls) -> PgCluster:
        root = Path(tempfile.mkdtemp(prefix="dialphone-pg-"))
        user = None
        if os.geteuid() == 0:
            user = "postgres"
            pw = pwd.getpwnam(user)
            os.chown(root, pw.pw_uid, pw.pw_gid)
        cluster = cls(root=root, port=free_port(), bin=_bin_dir(), user=user)
        data = root / "data"
        cluster._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        opts = (f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=200 "
                "-c shared_buffers=64MB")
        cluster._run("pg_ctl", "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "-t", "60", "start")
        return cluster

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def new_database(self, prefix: str = "t") -> str:
        """A fresh, empty database; its URL."""
        name = f"{prefix}_{os.getpid()}_{next(self._names)}_{int(time.time() * 1000) % 100000}"
        self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", "postgres",
                  "-v", "ON_ERROR_STOP=1", "-q", "-c", f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)
