"""Redaction for the server: the workspace key, the NER model warmed once, a guard per call.

Each call gets a :class:`redaction.CallGuard` over its own :class:`redaction.CallRedactor` and vault,
with the workspace's privacy settings and its business vocabulary (department names and keywords are
never a caller's name). Guards run on one redaction thread, off the event loop.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor

from concierge.config import Workspace
from redaction import CallGuard, CallRedactor, warm_up

log = logging.getLogger("dialphone.redaction")


def business_vocabulary(workspace: Workspace) -> frozenset[str]:
    """Words of the business's own: department names, descriptions' and keywords' words."""
    words: set[str] = set()
    for d in workspace.departments:
        for text in (d.name.replace("_", " "), d.description, *d.keywords):
            words.update(w for w in re.findall(r"[a-z']+", text.lower()) if len(w) > 2)
    return frozenset(words)


class RedactionFactory:
    """Builds one :class:`CallGuard` (redactor and vault) per call under the workspace key, with the
    workspace's privacy settings as they are when the call starts (an admin edit applies to new calls)."""

    def __init__(self, *, workspace_key: bytes, use_ner: bool = True) -> None:
        self._key = workspace_key
        self._use_ner = use_ner
        self._vocabulary: tuple[Workspace | None, frozenset[str]] = (None, frozenset())
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="redaction")

    def __repr__(self) -> str:  # the key never appears in logs
        return f"RedactionFactory(use_ner={self._use_ner})"

    def _words(self, workspace: Workspace | None) -> frozenset[str]:
        if workspace is None:
            return frozenset()
        if self._vocabulary[0] is not workspace:
            self._vocabulary = (workspace, business_vocabulary(workspace))
        return self._vocabulary[1]

    def new_call(self, call_id: str, workspace: Workspace | None = None) -> CallRedactor:
        budget = workspace.privacy.plain_digit_budget if workspace is not None else 8
        return CallRedactor(workspace_key=self._key, call_id=call_id, use_ner=self._use_ner,
                            plain_digit_budget=budget, extra_non_names=self._words(workspace))

    def new_guard(self, call_id: str, workspace: Workspace | None = None) -> CallGuard:
        last_four = workspace.privacy.speak_last_four if workspace is not None else True
        return CallGuard(self.new_call(call_id, workspace), last_four_ok=last_four)

    def warm_up(self) -> None:
        """Load spaCy and Presidio now, so the first caller turn is not slow (the rules alone would
        not reach the NER engine on this text; it is loaded explicitly)."""
        if self._use_ner:
            warm_up()
        self.new_guard("warm-up").heard("hello my name is maria lopez and my card is four one one one")

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False)


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
