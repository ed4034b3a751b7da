"""Fixtures shared by the voice tests.

``engines``: the engines (ASR, TTS, redaction, audit) loaded once, on the session's loop; tests that
use them run on the session event loop: mark them ``@pytest.mark.asyncio(loop_scope="session")``.
(The IVR and admin tests load their own, and the SIP listener tests use ``sip_engines``.)

``media_server``: one real server (the app on uvicorn, :mod:`media_server`) per test session, for the
media-stream and WebRTC tests, which talk to it over the network only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from media_server import MediaServer

from concierge.config import load_workspace
from voice.pipeline.engines import Engines

REPO = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engines]:
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    loaded = Engines.load(ws, tmp_path_factory.mktemp("voice-var"))
    await loaded.start()
    yield loaded
    await loaded.close()


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    server = MediaServer(tmp_path_factory.mktemp("media-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fixtures_dir(repo_root: Path) -> Path:
    return repo_root / "fixtures" / "audio"
