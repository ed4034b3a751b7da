"""The committed cards are exactly what the generator renders from the committed metrics.json, the
admin API lists them under the expected names, and every plot is a PNG."""

from __future__ import annotations

import json
from pathlib import Path

from voice.admin.service import AdminService
from voice.cards.cli import render_cards
from voice.cards.markdown import QUICK_BEGIN, QUICK_END
from voice.cards.plots import PLOTS

CARDS_DIR = Path(__file__).resolve().parents[3] / "docs" / "model-cards"
NAMES = ["concierge-routing", "redaction", "speech-recognition", "speech-synthesis"]


def _metrics() -> dict[str, object]:
    data: dict[str, object] = json.loads((CARDS_DIR / "metrics.json").read_text(encoding="utf-8"))
    return data


def test_committed_cards_are_rendered_from_committed_metrics() -> None:
    rendered = render_cards(_metrics())
    assert sorted(rendered) == [f"{n}.md" for n in NAMES]
    for name, text in rendered.items():
        assert (CARDS_DIR / name).read_text(encoding="utf-8") == text, f"{name} is stale: run dialphone eval all"


def test_committed_metrics_hold_full_and_quick_sections() -> None:
    m = _metrics()
    assert m["full"] and m["quick"]
    for card in render_cards(m).values():
        assert card.count(QUICK_BEGIN) == 1 and card.count(QUICK_END) == 1
        for heading in ("## Model details", "## Intended use", "## Factors", "## Metrics", "## Evaluation data",
                        "## Training data", "## Quantitative analyses", "## Ethical considerations",
                        "## Caveats and known failure modes"):
            assert heading in card


def test_admin_api_lists_the_cards_by_name() -> None:
    service = AdminService(state=None, store=None, model_cards_dir=CARDS_DIR)  # type: ignore[arg-type]
    assert service.model_cards() == NAMES
    card = service.model_card("speech-recognition")
    assert card is not None and card.startswith("# Model card: speech recognition")


def test_plots_are_png_files() -> None:
    for name in PLOTS:
        assert (CARDS_DIR / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
