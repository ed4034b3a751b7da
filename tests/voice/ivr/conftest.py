"""Engines loaded once for the IVR tests, on the session's loop (``loop_scope="session"`` tests).

The audit sink is an in-memory one: these tests read the event types each call emitted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from concierge.audit_sink import MemoryAuditSink
from concierge.config import Workspace, load_workspace
from voice.ivr import prerender
from voice.pipeline.engines import Engines

REPO = Path(__file__).resolve().parents[3]


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def engines(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Engines]:
    ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
    loaded = Engines.load(ws, tmp_path_factory.mktemp("ivr-var"))
    await loaded.start()
    prerender(ws, loaded.prompts)
    loaded.audit = MemoryAuditSink()
    yield loaded
    await loaded.close()


@contextmanager
def using(engines: Engines, **features: Any) -> Iterator[Workspace]:
    """Run with the workspace's feature switches (and other fields) changed, then restore."""
    before = engines.workspace
    f = before.features.model_copy(update={k: v for k, v in features.items() if k in type(before.features).model_fields})
    other = {k: v for k, v in features.items() if k not in type(before.features).model_fields}
    engines.workspace = before.model_copy(update={"features": f, **other})
    try:
        yield engines.workspace
    finally:
        engines.workspace = before


@pytest.fixture(name="using")
def using_fixture() -> Any:
    """The :func:`using` context manager, for test modules (which cannot import a conftest)."""
    return using
