"""The whole corpus through the redactor with DEBUG logging: no raw value in any log line."""

from __future__ import annotations

import logging
import re

import pytest

from redaction import CallRedactor
from redaction.corpus import build_corpus
from redaction.spoken import normalize


def test_no_raw_value_in_any_log_line(caplog: pytest.LogCaptureFixture) -> None:
    corpus = build_corpus()
    secrets: set[str] = set()
    for d in corpus:
        for u in d.utterances:
            for lab in u.labels:
                raw = u.text[lab.start:lab.end]
                secrets.add(raw.lower())
                digits = re.sub(r"\D", "", normalize(raw))
                if len(digits) >= 4:
                    secrets.add(digits)
    secrets = {s for s in secrets if len(s) >= 4}
    with caplog.at_level(logging.DEBUG):
        logging.getLogger().setLevel(logging.DEBUG)
        for d in corpus:
            state = CallRedactor(call_id=d.id)
            for u in d.utterances:
                state.redact(u.text)
            for token in state.vault.tokens():
                state.vault.detokenize(token, purpose="log test", requester="pytest")
            state.shred()
    lines = [r.getMessage().lower() for r in caplog.records]
    assert any("tokenized" in line for line in lines)  # the redactor does log at DEBUG
    found: list[tuple[str, str]] = []
    for line in lines:
        squashed = re.sub(r"\D", "", line)
        for s in secrets:
            if s in line or (s.isdigit() and len(s) >= 6 and s in squashed):
                found.append((s, line))
    assert found == []
