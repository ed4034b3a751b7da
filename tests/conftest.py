"""Shared test fixtures: where ../shared lives, the repository root."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from loguru import logger as _loguru

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
