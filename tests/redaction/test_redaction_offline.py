"""Presidio + spaCy + tldextract run with no network at all."""

from __future__ import annotations

import socket

import pytest

from redaction import CallRedactor, EntityType
from redaction.nlp import _OFFLINE_TLD, NerEngine


def test_tldextract_is_configured_offline() -> None:
    assert tuple(_OFFLINE_TLD.suffix_list_urls) == ()
    assert _OFFLINE_TLD.fallback_to_snapshot is True


def test_email_and_ner_with_sockets_blocked(monkeypatch: pytest.MonkeyPatch, ner_engine: NerEngine) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("redaction tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    spans = ner_engine.analyze("Please write to maria.lopez@example.org, said Peter Parker.", persons=True, emails=True)
    assert {s.type for s in spans} == {EntityType.EMAIL, EntityType.PERSON}
    r = CallRedactor().redact("My email is anna_k@fastmail.com and I spoke with Peter Parker.")
    assert r.text == "My email is [EMAIL_1] and I spoke with [PERSON_1]."
