"""Every number in the cards is reproduced by ``dialphone eval all``: the quick run (the CI subset,
deterministic seeds) regenerated into a temporary folder must equal the committed quick section of
metrics.json and the quick block of every card, and the release gate must pass on it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from voice.cards.gate import gate_main
from voice.cards.markdown import quick_block

DIALPHONE = str(Path(sys.executable).with_name("dialphone"))
CARDS_DIR = Path(__file__).resolve().parents[3] / "docs" / "model-cards"


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Path:
    """``dialphone eval all --quick`` in its own process, as a person runs it: this test process has
    loaded CTranslate2 long before, with the host's own kernels, and the cards pin theirs at first import
    (:mod:`voice.cards`)."""
    out = tmp_path_factory.mktemp("cards")
    done = subprocess.run([DIALPHONE, "eval", "all", "--quick", "--shared", str(shared_dir), "--out", str(out)],
                          capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "warning" not in done.stdout, done.stdout[-2000:]
    return out


def test_eval_all_pins_portable_kernels_before_ctranslate2_loads() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CT2_")}
    probe = ("import os, sys; sys.argv = ['dialphone', 'eval', 'gate', '--help']\n"
             "from voice.cli import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(os.environ.get('CT2_USE_MKL'), os.environ.get('CT2_FORCE_CPU_ISA'))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True)
    assert done.stdout.split()[-2:] == ["0", "AVX2"], done.stdout


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
