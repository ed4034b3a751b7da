"""The issue's targets on the project corpus, and the CLI that reports them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from redaction.cli import main
from redaction.corpus import build_corpus, utterance_count
from redaction.entities import EntityType
from redaction.evaluate import evaluate, target_failures


def test_corpus_is_deterministic_and_covers_every_type() -> None:
    a, b = build_corpus(), build_corpus()
    assert a == b
    assert utterance_count(a) >= 600
    kinds = {d.kind for d in a}
    assert {"single", "negative", "split", "multi"} <= kinds
    types = {lab.type for d in a for u in d.utterances for lab in u.labels}
    assert types == set(EntityType)


def test_targets_on_the_corpus() -> None:
    result = evaluate()
    assert target_failures(result) == []
    for t in ("CREDIT_CARD", "CVV", "SSN"):
        assert result.leak_rate[t] == 0.0


def test_cli_eval_and_bench_write_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ev = tmp_path / "eval.json"
    assert main(["eval", "--no-fsdd", "--json", str(ev)]) == 0
    data = json.loads(ev.read_text())
    assert set(data) >= {"leak_rate", "recall", "precision", "fsdd_numbers_tokenized"}
    assert data["fsdd_numbers_tokenized"] is None
    assert "CREDIT_CARD" in capsys.readouterr().out
    be = tmp_path / "bench.json"
    assert main(["bench", "--json", str(be)]) == 0
    b = json.loads(be.read_text())
    assert 0 < b["p50_ms"] <= b["p95_ms"]
