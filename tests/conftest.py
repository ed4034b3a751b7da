"""Shared test fixtures: where ../shared lives, the repository root."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger as _loguru

from tests.pg_cluster import PgCluster

REPO = Path(__file__).resolve().parent.parent

# pipecat logs every frame at DEBUG through loguru: keep test output readable.
_loguru.remove()
_loguru.add(sys.stderr, level="WARNING")


def shared_root() -> Path:
    """The shared data folder: $DIALPHONE_SHARED, else ../shared beside the checkout."""
    env = os.environ.get("DIALPHONE_SHARED")
    return Path(env) if env else REPO.parent / "shared"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    root = shared_root()
    if not root.is_dir():
        pytest.skip(f"shared data folder not found at {root} (set DIALPHONE_SHARED)")
    return root


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    """A throw-away PostgreSQL server for the session (tests/pg_cluster.py); never skipped."""
    cluster = PgCluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_url(pg_cluster: PgCluster) -> str:
    """A fresh, empty PostgreSQL database for one test."""
    return pg_cluster.new_database()
