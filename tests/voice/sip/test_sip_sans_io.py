"""The sans-I/O cores import no asyncio, no I/O modules and nothing of ours outside themselves."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
FORBIDDEN = {"asyncio", "socket", "selectors", "threading", "time", "trio"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", ["sip", "rtp"])
def test_sans_io_imports(package: str) -> None:
    files = sorted((REPO / "voice" / package).glob("*.py"))
    assert len(files) >= 8
    for path in files:
        for name in _imports(path):
            root = name.split(".")[0]
            assert root not in FORBIDDEN, f"{path.name} imports {name}"
            if root in ("voice", "concierge", "redaction", "audit"):
                assert name.startswith(f"voice.{package}."), f"{path.name} imports {name}"
