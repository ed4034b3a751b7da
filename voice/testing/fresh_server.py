"""A fresh ``dialphone serve`` for one measurement: its own data folder, ports and workspace copy.

    async with FreshServer(overrides={"overload": {"enabled": False}}) as server:
        server.ws_url, server.sip_addr, server.pid, server.secret

Each capacity point runs against a new process (nothing warmed or left queued by the point before;
no state shared between runs). The workspace is ``examples/workspace.yaml`` with ``overrides``
merged in (``sip.max_calls`` and ``sip.invite_rate_per_s`` raised so that the bench, not a limit,
decides how many calls there are), and the process gets a clean environment: no ``DIALPHONE_*``
variable of the caller's leaks in (the embedded stack: SQLite, the embedded brain), except the
media-stream secret made for this run. The server's log is kept in its folder (``log_path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 240.0


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_port_block(n: int) -> int:
    """A port p with p .. p+n free on loopback for UDP and TCP (a cluster's workers take p+i)."""
    for _ in range(200):
        base = free_port()
        if base + n > 65000:
            continue
        ok = True
        for port in range(base, base + n + 1):
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                with socket.socket(socket.AF_INET, kind) as s:
                    try:
                        s.bind(("127.0.0.1", port))
                    except OSError:
                        ok = False
        if ok:
            return base
    raise RuntimeError("no free port block")


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """``base`` with ``extra`` merged in, nested mappings key by key."""
    out = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


class FreshServer:
    """Start (``async with``) and stop one server process on loopback."""

    def __init__(self, *, config: Path = REPO / "examples" / "workspace.yaml",
                 overrides: dict[str, Any] | None = None, keep: bool = False, repo: Path = REPO) -> None:
        """``repo``: the checkout whose code the server runs (another one compares before and after)."""
        self.config = config
        self.repo = repo
        self.overrides = merge({"sip": {"max_calls": 1000, "invite_rate_per_s": 500}}, overrides or {})
        self.keep = keep
        self.secret = "bench-" + secrets.token_hex(12)
        self.http_port = free_port()
        self.sip_port = free_port(socket.SOCK_DGRAM)
        self.dir = Path(tempfile.mkdtemp(prefix="dialphone-bench-"))
        self.log_path = self.dir / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready_s = 0.0

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.http_port}/media/twilio"

    @property
    def sip_addr(self) -> str:
        return f"127.0.0.1:{self.sip_port}"

    def server_for(self, via: str) -> str:
        return self.sip_addr if via == "sip" else self.ws_url

    async def __aenter__(self) -> FreshServer:
        workspace = merge(yaml.safe_load(self.config.read_text(encoding="utf-8")), self.overrides)
        ws_path = self.dir / "workspace.yaml"
        ws_path.write_text(yaml.safe_dump(workspace, sort_keys=False), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith("DIALPHONE_")}
        env["DIALPHONE_MEDIA_STREAM_SECRET"] = self.secret
        env["DIALPHONE_SHARED"] = os.environ.get("DIALPHONE_SHARED", str(REPO.parent / "shared"))
        cmd = [sys.executable, "-m", "voice.cli", "serve", "--config", str(ws_path), "--host", "127.0.0.1",
               "--sip-port", str(self.sip_port), "--http-port", str(self.http_port),
               "--data-dir", str(self.dir / "var")]
        started = time.monotonic()
        self.proc = await asyncio.to_thread(self._spawn, cmd, env)
        try:
            await self._wait_ready()
        except BaseException:
            await self.stop()
            raise
        self.ready_s = time.monotonic() - started
        return self

    def _spawn(self, cmd: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        with open(self.log_path, "wb") as log:
            return subprocess.Popen(cmd, cwd=self.repo, env=env, stdout=log, stderr=subprocess.STDOUT)

    async def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise RuntimeError(f"the server exited while starting (log: {self.log_path})")
            if await asyncio.to_thread(self._ready):
                return
            await asyncio.sleep(0.5)
        raise TimeoutError(f"the server was not ready within {READY_TIMEOUT_S:.0f} s (log: {self.log_path})")

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.http_url + "/readyz", timeout=2) as resp:
                return int(resp.status) == 200
        except OSError:
            return False

    async def stop(self) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            for _ in range(200):
                if proc.poll() is not None:
                    break
                await asyncio.sleep(0.1)
            if proc.poll() is None:
                proc.kill()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if exc is not None:
            self.keep = True  # the log says why
        await self.stop()
