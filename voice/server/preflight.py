"""What ``dialphone serve`` checks before it loads a model, and how it names the brain it runs.

Light on purpose (no pipecat, no models): the command runs these checks before it imports the
server, so that a port in use or a brain without its key is one line within a second or two
(:class:`StartError`), not a failure after the models have loaded.
"""

from __future__ import annotations

import errno
import os
import socket

from concierge.config import BrainBackend, Workspace


class StartError(Exception):
    """Something to fix before the server can start (a port in use, a brain without its key); the
    message is one line naming the cause and the fix, and is checked before any model loads."""


def check_ports(host: str, *, http_port: int, sip_port: int) -> None:
    """Each listening port free now (bound and let go at once), so that a port in use is one line
    before the models load, not a failure after it. Port 0 (any free port) is not checked."""
    wanted = [("HTTP", socket.SOCK_STREAM, http_port, "--http-port"),
              ("SIP (UDP)", socket.SOCK_DGRAM, sip_port, "--sip-port"),
              ("SIP (TCP)", socket.SOCK_STREAM, sip_port, "--sip-port")]
    for what, kind, port, option in wanted:
        if not port:
            continue
        try:
            infos = socket.getaddrinfo(host, port, type=kind)
        except socket.gaierror:
            raise StartError(f"cannot listen on {host}: not an address of this machine (--host)") from None
        family, _, _, _, addr = infos[0]
        with socket.socket(family, kind) as sock:
            if kind == socket.SOCK_STREAM:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn and the listener do
            try:
                sock.bind(addr)
            except OSError as exc:
                why = "in use (another dialphone serve?)" if exc.errno == errno.EADDRINUSE else exc.strerror
                raise StartError(f"{what} port {port} on {host} is {why}: stop what holds it, "
                                 f"or pass {option} with another port") from None


def check_brain(workspace: Workspace) -> None:
    """``backend: anthropic`` needs its API key: without one, a clear stop rather than a silent
    fall-back to the embedded brain."""
    brain = workspace.brain
    if brain.backend is BrainBackend.ANTHROPIC and not os.environ.get(brain.api_key_env):
        raise StartError(f"brain backend anthropic needs {brain.api_key_env} in the environment: set it "
                         "(any value for the local Messages API stand-in), or DIALPHONE_BRAIN__BACKEND=embedded")


def brain_label(workspace: Workspace) -> str:
    brain = workspace.brain
    if brain.backend is BrainBackend.ANTHROPIC:
        return f"brain claude {brain.model} at {brain.base_url or 'api.anthropic.com'}"
    return "brain embedded"
