"""Redaction test fixtures: the NER engine loads once per session."""

from __future__ import annotations

import pytest

from redaction.nlp import NerEngine, get_engine


@pytest.fixture(scope="session")
def ner_engine() -> NerEngine:
    return get_engine()
