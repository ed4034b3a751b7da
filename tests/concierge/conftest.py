"""Fixtures for the concierge tests: the example workspace, a call with in-process seams."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from concierge.audit_adapter import SchemaCheckedMemorySink
from concierge.audit_sink import MemoryAuditSink
from concierge.call_control import RecordingCallControl
from concierge.config import Workspace, load_workspace
from concierge.messages_api_server import MessagesApiServer
from concierge.session import ConciergeCall

REPO = Path(__file__).resolve().parents[2]
# Saturday 10:00 in New York: every example department is open (sales: Sat 10:00-16:00).
OPEN_HOURS = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


@pytest.fixture
def workspace() -> Workspace:
    return load_workspace(REPO / "examples" / "workspace.yaml", env={})


@pytest.fixture
def audit() -> MemoryAuditSink:
    """Every event a test emits must also pass the real audit log's schema."""
    return SchemaCheckedMemorySink()


@pytest.fixture
def control() -> RecordingCallControl:
    return RecordingCallControl()


@pytest.fixture
def call(workspace: Workspace, audit: MemoryAuditSink, control: RecordingCallControl) -> ConciergeCall:
    return ConciergeCall(
        call_id="call-test-1", workspace=workspace, audit=audit, control=control, clock=lambda: OPEN_HOURS
    )


@pytest.fixture
async def api_server() -> AsyncIterator[MessagesApiServer]:
    async with MessagesApiServer() as server:
        yield server
