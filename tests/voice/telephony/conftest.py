"""Engines loaded once (session loop) and SIP servers on loopback for the SIP listener tests.

Tests using them run on the session event loop: ``@pytest.mark.asyncio(loop_scope="session")``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from concierge.config import Workspace, load_workspace
from voice.pipeline.engines import Engines
from voice.server.process import ServerProcess
from voice.telephony.listener import SipServer

REPO = Path(__file__).resolve().parents[3]
#: scale timeouts on slow machines (DIALPHONE_TIMEOUT_FACTOR=3)
FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def sip_engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engines]:
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    loaded = Engines.load(ws, tmp_path_factory.mktemp("sip-var"))
    await loaded.start()
    yield loaded
    await loaded.close()


ServerFactory = Callable[..., AbstractAsyncContextManager[SipServer]]


@pytest.fixture
def sip_server(sip_engines: Engines, tmp_path: Path) -> ServerFactory:
    """``async with sip_server(max_calls=1, trunk_allowlist=[...], **server_kwargs) as sip:``"""

    @asynccontextmanager
    async def start(**kwargs: Any) -> AsyncIterator[SipServer]:
        ws: Workspace = sip_engines.workspace.model_copy(deep=True)
        for name in ("max_calls", "trunk_allowlist", "invite_rate_per_s"):
            if name in kwargs:
                setattr(ws.sip, name, kwargs.pop(name))
        state = ServerProcess(workspace=ws, data_dir=tmp_path)
        state.engines = sip_engines
        server = SipServer(state=state, host="127.0.0.1", port=0, **kwargs)
        await server.start()
        try:
            yield server
        finally:
            await server.stop(deadline_s=3 * FACTOR)

    return start
