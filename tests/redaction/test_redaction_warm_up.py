"""Start-up loads the NER engine: the first caller turn that needs it does not pay for loading."""

from __future__ import annotations

from redaction import nlp, warm_up
from voice.pipeline.redaction_setup import RedactionFactory


def test_warm_up_loads_the_process_engine_and_it_works() -> None:
    engine = warm_up()
    assert engine is nlp.get_engine()
    spans = engine.analyze("Maria Lopez called yesterday", persons=True, emails=False)
    assert spans and spans[0].type.name == "PERSON"


def test_server_factory_warm_up_loads_ner_only_when_used() -> None:
    nlp._ENGINE = None  # a fresh process, as far as this test is concerned
    RedactionFactory(workspace_key=b"k" * 32, use_ner=False).warm_up()
    assert nlp._ENGINE is None  # the rules alone never load spaCy
    RedactionFactory(workspace_key=b"k" * 32).warm_up()
    assert nlp._ENGINE is not None
