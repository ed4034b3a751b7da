"""Every number in the cards is reproduced by ``dialphone eval all``: the quick run (the CI subset,
deterministic seeds) regenerated into a temporary folder must equal the committed quick section of
metrics.json and the quick block of every card, and the release gate must pass on it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voice.cards.cli import main
from voice.cards.gate import gate_main
from voice.cards.markdown import quick_block

CARDS_DIR = Path(__file__).resolve().parents[3] / "docs" / "model-cards"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    out = tmp_path_factory.mktemp("cards")
    assert main(["--quick", "--shared", str(shared_dir), "--out", str(out)]) == 0
    return out


def _load(folder: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.slow
def test_quick_run_reproduces_the_committed_figures(regenerated: Path) -> None:
    new, old = _load(regenerated), _load(CARDS_DIR)
    assert new["full"] is None  # a quick run into an empty folder measures only the CI subset
    assert new["models"] == old["models"]
    assert new["gate"] == old["gate"]
    assert new["quick"] == old["quick"], "figures changed: run dialphone eval all and commit the cards"


@pytest.mark.slow
def test_quick_run_reproduces_each_card_quick_section(regenerated: Path) -> None:
    cards = sorted(p.name for p in CARDS_DIR.glob("*.md"))
    assert len(cards) == 4
    for name in cards:
        new = (regenerated / name).read_text(encoding="utf-8")
        old = (CARDS_DIR / name).read_text(encoding="utf-8")
        assert quick_block(new) == quick_block(old), name


@pytest.mark.slow
def test_release_gate_passes_on_the_regenerated_figures(regenerated: Path) -> None:
    assert gate_main(["--quick", "--metrics", str(CARDS_DIR / "metrics.json"),
                      "--measured", str(regenerated / "metrics.json")]) == 0
