"""Fixtures for the media-stream tests: one real server per test session (engines load once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from media_server import MediaServer


@pytest.fixture(scope="session")
def media_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MediaServer]:
    server = MediaServer(tmp_path_factory.mktemp("media-server")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def fixtures_dir(repo_root: Path) -> Path:
    return repo_root / "fixtures" / "audio"
