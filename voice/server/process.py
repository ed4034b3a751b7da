"""The server process's state: the engines it loads once, the SIP listener it starts, its calls.

Routes and listeners see the process through :class:`voice.pipeline.server_state.ServerState`;
:class:`ServerProcess` is the implementation: it loads the engines and starts the SIP listener.
Its HTTP app is :func:`voice.server.app.create_app`; :mod:`voice.server.main` runs both.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from pathlib import Path
from typing import Any

from concierge.config import Workspace
from voice.pipeline.engines import Engines
from voice.telephony.gc_pacing import PACER
from voice.telephony.listener import SipServer


class ServerProcess:
    """Everything one server process shares between calls: configuration, models, listeners.

    Implements :class:`~voice.pipeline.server_state.ServerState` for the routes and the SIP listener."""

    def __init__(self, *, workspace: Workspace, data_dir: Path) -> None:
        self.workspace = workspace
        self.data_dir = data_dir
        self.engines: Engines | None = None
        self.ready = False
        self.calls: dict[str, Any] = {}
        self._listeners: list[SipServer] = []

    async def start(self, *, host: str, sip_port: int) -> None:
        loop = asyncio.get_running_loop()
        engines = await loop.run_in_executor(None, lambda: Engines.load(self.workspace, self.data_dir))
        self.engines = engines
        await engines.start()
        sip = SipServer(state=self, host=host, port=sip_port)
        await sip.start()
        self._listeners.append(sip)
        self.ready = True

    async def shutdown(self, *, deadline_s: float) -> None:
        self.ready = False
        for listener in self._listeners:
            await listener.stop(deadline_s=deadline_s)
        if self.engines is not None:
            await self.engines.close()


SWITCH_INTERVAL_S = 0.0001


def settle_heap() -> None:
    """Tune the interpreter for real-time media once everything is loaded (the server process only:
    ``dialphone serve`` calls it after start-up; a test process embedding the app keeps its defaults).

    - Freeze the start-up heap (models, spaCy, pipecat, pydantic schemas) out of the garbage
      collector's view: a full collection holds the GIL while it scans, and over that heap it stalled
      the RTP media thread 200-400 ms at a time.
    - Switch threads every 0.1 ms instead of 5: the media thread gives up the GIL on every socket call
      (a select, a recvfrom per packet in, a sendto per packet out: ~80 per 20 ms tick with 20 calls)
      and, while the event loop is busy, waits a whole switch interval to take it back each time. At
      5 ms it waited up to 180 ms a tick; at 1 ms, 20 SIP calls still had 13-16 RTP gaps over 40 ms a
      run; at 0.1 ms the gaps left were full GC passes (``dialphone bench concurrency --via sip --calls 20``).
    - Let the media clock run the full GC passes right after it sends (:mod:`voice.telephony.gc_pacing`).
    """
    gc.collect()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    PACER.enable()
