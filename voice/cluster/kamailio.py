"""Kamailio, the SIP edge in front of the workers: find (or install) it, write its dispatcher list,
start it on the configuration in ``deploy/kamailio/kamailio.cfg``, and ask it whether it answers.

    binary = find_kamailio(install=True)       # Debian's kamailio; apt-get when root and missing
    edge = Edge(binary=binary, config=default_config(), workers=["sip:127.0.0.1:5061"],
                host="127.0.0.1", port=5060, run_dir=Path("var/cluster/edge"))
    proc = edge.start(stdout=..., stderr=...)  # kamailio -DD -E ... (foreground, logs on stderr)
    edge.wait_answering(timeout_s=10)          # it answers OPTIONS (sent to the edge itself)
    edge.dispatcher_list()                     # kamcmd dispatcher.list: each worker's state flags
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from voice.sip import SipMessage, SipParseError, SipResponse
from voice.sip.address import NameAddr
from voice.sip.builder import make_request, new_branch, new_tag
from voice.sip.uri import parse_uri

REPO = Path(__file__).resolve().parents[2]
CONFIG = Path("deploy/kamailio/kamailio.cfg")
SEARCH = ("/usr/sbin/kamailio", "/usr/local/sbin/kamailio")


class KamailioMissing(RuntimeError):
    """Kamailio is not installed and could not be installed here."""


def default_config() -> Path:
    """``deploy/kamailio/kamailio.cfg`` from the working folder, else beside the package's checkout."""
    for base in (Path.cwd(), REPO):
        if (base / CONFIG).is_file():
            return (base / CONFIG).resolve()
    raise FileNotFoundError(f"{CONFIG} not found (run from the repository, or pass --kamailio-config)")


def find_kamailio(*, install: bool = False) -> str:
    """The kamailio binary. Missing: with ``install`` and as root, ``apt-get install kamailio``
    (then the distribution's own service is stopped and disabled: the cluster runs its own);
    otherwise :class:`KamailioMissing` saying how to get it."""
    found = shutil.which("kamailio") or next((p for p in SEARCH if os.access(p, os.X_OK)), None)
    if found:
        return found
    if not install or os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise KamailioMissing(
            "kamailio not found: install Debian's kamailio package (apt-get install kamailio, or run "
            "`make system-deps` as root), or run this command as root to have it installed")
    print("dialphone cluster: installing Debian package kamailio (apt-get) …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "kamailio"], check=True, env=env)
    if shutil.which("systemctl") and Path("/run/systemd/system").is_dir():
        subprocess.run(["systemctl", "disable", "--now", "kamailio"], check=False, capture_output=True)
    return find_kamailio(install=False)


@dataclass
class Edge:
    """One Kamailio process in front of ``workers`` (SIP URIs of dispatcher set 1)."""

    binary: str
    config: Path
    workers: list[str]
    host: str
    port: int
    run_dir: Path
    invite_rate_per_s: int = 50
    probe_interval_s: int = 1
    invite_setup_ms: int = 1500
    processes: int = 4
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    @property
    def ctl_socket(self) -> Path:
        return self.run_dir / "kamailio_ctl"

    def write_list(self) -> Path:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        path = self.run_dir / "dispatcher.list"
        path.write_text("# setid destination (written by dialphone cluster)\n"
                        + "".join(f"1 {uri}\n" for uri in self.workers))
        return path

    def command(self) -> list[str]:
        listing = self.write_list()
        defines = {
            "DISPATCHER_LIST": f'"{listing}"',
            "CTL_SOCKET": f'"unix:{self.ctl_socket}"',
            "RATE_PIPE": f'"0:TAILDROP:{int(self.invite_rate_per_s)}"',
            "PROBE_INTERVAL": str(int(self.probe_interval_s)),
            "INVITE_SETUP_MS": str(int(self.invite_setup_ms)),
            "PROCESSES": str(int(self.processes)),
        }
        cmd = [self.binary, "-DD", "-E", "-f", str(self.config), "-Y", str(self.run_dir), "-m", "64", "-M", "8",
               "-l", f"udp:{self.host}:{self.port}", "-l", f"tcp:{self.host}:{self.port}"]
        for name, value in defines.items():
            cmd += ["-A", f"{name}={value}"]
        return cmd

    def start(self, *, stdout: int | IO[Any] | None = None, stderr: int | IO[Any] | None = None) -> subprocess.Popen[bytes]:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        return self.proc

    def wait_answering(self, *, timeout_s: float = 10.0) -> None:
        """Until the edge answers an OPTIONS sent to itself with 200 (raises TimeoutError)."""
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"kamailio exited with status {self.proc.returncode}")
            if probe(self.host, self.port, timeout_s=0.5) == 200:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("kamailio does not answer OPTIONS")
            time.sleep(0.1)

    def dispatcher_list(self) -> str:
        """``kamcmd dispatcher.list`` (each destination's URI and FLAGS: AP active, IP inactive)."""
        kamcmd = shutil.which("kamcmd") or "/usr/sbin/kamcmd"
        out = subprocess.run([kamcmd, "-s", f"unix:{self.ctl_socket}", "dispatcher.list"],
                             capture_output=True, text=True, timeout=5)
        return out.stdout

    def stop(self, *, timeout_s: float = 5.0) -> None:
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def probe(host: str, port: int, *, timeout_s: float = 1.0, user: str | None = None) -> int | None:
    """Send one out-of-dialog OPTIONS over UDP; the final status, or None without an answer.
    ``user`` None probes the server itself (``sip:host:port``), else ``sip:user@host:port``."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        local = sock.getsockname()[1]
        target = f"sip:{user + '@' if user else ''}{host}:{port}"
        req = make_request(
            "OPTIONS", parse_uri(target), via=f"SIP/2.0/UDP {host}:{local};branch={new_branch()};rport",
            from_addr=NameAddr.parse(f"<sip:probe@{host}:{local}>;tag={new_tag()}", "from"),
            to_addr=NameAddr.parse(f"<{target}>", "to"), call_id=new_tag() + new_tag(), cseq=1,
        )
        sock.settimeout(timeout_s)
        try:
            sock.sendto(bytes(req), (host, port))
            while True:
                data = sock.recv(65536)
                try:
                    msg = SipMessage.parse(data)
                except SipParseError:
                    continue
                if isinstance(msg, SipResponse) and msg.status >= 200:
                    return msg.status
        except OSError:  # timeout, ICMP port unreachable
            return None
