"""What the listeners and routes of a server see of the process that hosts their calls.

The SIP listener, the WebRTC signalling route and the media-stream route admit calls against the
process's state: its workspace, its engines (``None`` until the models are loaded), whether it is
ready, and the calls running now. They depend on this protocol, never on the process itself
(:class:`voice.server.process.ServerProcess` implements it), so the process can import them to start them.
"""

from __future__ import annotations

from typing import Any, Protocol

from concierge.config import Workspace
from voice.pipeline.engines import Engines


class ServerState(Protocol):
    workspace: Workspace
    engines: Engines | None
    ready: bool
    calls: dict[str, Any]  # call id -> the call's session (a CallSession), while it runs
