"""Redaction for the server: the workspace key, the NER model warmed once, a redactor per call."""

from __future__ import annotations

import base64
import hashlib
import logging
import os

from concierge.config import Workspace
from redaction import CallRedactor, warm_up

log = logging.getLogger("dialphone.redaction")


class RedactionFactory:
    """Builds one :class:`CallRedactor` (and vault) per call under the workspace key."""

    def __init__(self, *, workspace_key: bytes, use_ner: bool = True) -> None:
        self._key = workspace_key
        self._use_ner = use_ner

    def __repr__(self) -> str:  # the key never appears in logs
        return f"RedactionFactory(use_ner={self._use_ner})"

    def new_call(self, call_id: str) -> CallRedactor:
        return CallRedactor(workspace_key=self._key, call_id=call_id, use_ner=self._use_ner)

    def warm_up(self) -> None:
        """Load spaCy and Presidio now, so the first caller turn is not slow (the rules alone would
        not reach the NER engine on this text; it is loaded explicitly)."""
        if self._use_ner:
            warm_up()
        self.new_call("warm-up").redact("hello my name is maria lopez and my card is four one one one")


def workspace_key(workspace: Workspace) -> bytes:
    """The per-workspace key wrapping each call's data key: configuration, else a process-local one.

    A process-local key means vault contents do not outlive the process (nothing to detokenize
    after a restart), which is the safe default for the embedded demo.
    """
    b64 = workspace.security.vault_key_b64 or os.environ.get("DIALPHONE_VAULT_KEY_B64")
    if b64:
        key = base64.b64decode(b64)
        if len(key) != 32:
            raise ValueError("security.vault_key_b64 must decode to 32 bytes")
        return key
    log.warning("no vault key configured: using a process-local key (values cannot be detokenized after restart)")
    return hashlib.sha256(os.urandom(32)).digest()


def load_redaction(workspace: Workspace) -> RedactionFactory:
    factory = RedactionFactory(workspace_key=workspace_key(workspace))
    factory.warm_up()
    return factory
