"""Interval arithmetic of the cards against published worked examples."""

from __future__ import annotations

import pytest

from voice.cards.stats import (
    Count,
    Scored,
    bootstrap_wer,
    newcombe_difference,
    proportion,
    proportion_gap,
    wer_gap,
)


def test_newcombe_hybrid_score_matches_newcombe_1998_example() -> None:
    # Newcombe (1998), Statistics in Medicine 17:873, table II example (a): 56/70 vs 48/80,
    # method 10 gives 0.0524 to 0.3339.
    lo, hi = newcombe_difference(56, 70, 48, 80)
    assert lo == pytest.approx(0.0524, abs=1e-4)
    assert hi == pytest.approx(0.3339, abs=1e-4)


def test_newcombe_at_the_boundary_stays_inside_minus_one_to_one() -> None:
    lo, hi = newcombe_difference(10, 10, 0, 10)
    assert 0.0 < lo < hi == pytest.approx(1.0)


def test_proportion_uses_wilson_interval() -> None:
    d = proportion(0, 10)
    assert d["p"] == 0.0
    assert d["ci95"] == [0.0, pytest.approx(0.2775, abs=1e-4)]  # Wilson upper bound for 0/10


def test_gap_names_best_and_worst_group() -> None:
    gap = proportion_gap({"a": Count(9, 10), "b": Count(5, 10), "c": Count(7, 10)})
    assert (gap["best"], gap["worst"], gap["gap"]) == ("a", "b", 0.4)
    ci = gap["ci95"]
    assert isinstance(ci, list) and ci[0] < 0.4 < ci[1]


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    items = [Scored(i % 3, 10) for i in range(30)]
    assert bootstrap_wer(items) == bootstrap_wer(items)
    lo, hi = bootstrap_wer(items)
    assert lo < 0.1 < hi
    assert bootstrap_wer(items, seed=1) != bootstrap_wer(items, seed=2)


def test_paired_gap_of_identical_conditions_is_exactly_zero() -> None:
    items = [Scored(i % 4, 8) for i in range(20)]
    assert wer_gap(items, items) == {"gap": 0.0, "ci95": [0.0, 0.0]}
    worse = [Scored(s.errors + 1, s.words) for s in items]
    gap = wer_gap(items, worse)
    assert gap["gap"] == 0.125 and gap["ci95"][0] > 0  # type: ignore[index]


def test_ties_put_the_larger_group_best_and_the_smaller_worst() -> None:
    gap = proportion_gap({"a": Count(4, 4), "b": Count(10, 10), "c": Count(6, 6)})
    assert (gap["best"], gap["worst"], gap["gap"]) == ("b", "a", 0.0)
    assert proportion_gap({"only": Count(3, 4)})["best"] is None
