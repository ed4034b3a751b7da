"""Engines (ASR, TTS, redaction, audit) loaded once for the voice tests, on the session's loop.

Tests that use them run on the session event loop: mark them
``@pytest.mark.asyncio(loop_scope="session")``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from concierge.config import load_workspace
from voice.engines import Engines

REPO = Path(__file__).resolve().parents[2]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engines]:
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    loaded = Engines.load(ws, tmp_path_factory.mktemp("voice-var"))
    await loaded.start()
    yield loaded
    await loaded.close()
