"""What a model saw on one turn, as the audit log records it.

Every ``brain.turn`` carries the tokenized message list exactly as it was sent (``messages``), the
SHA-256 of the whole request (``input_sha256``: model, system prompt, tools, messages) and the
SHA-256 of the system prompt and tool definitions (``prompt_sha256``). The system prompt and the tool
definitions are the same on every turn of a call, so their full text is written once per call as a
``brain.prompt`` row (under the same retention as the turns); a reader finds it by ``prompt_sha256``
and can recompute both hashes from the rows (:func:`request_sha256`).

Hashes are over canonical JSON: sorted keys, no spaces, UTF-8, floats as their ``repr`` strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


def jsonable(value: Any) -> Any:
    """``value`` as plain canonical-safe JSON data (floats become ``repr`` strings, tuples lists, other
    objects their ``str``)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return str(value)


def canonical(value: Any) -> str:
    return json.dumps(jsonable(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical(value).encode("utf-8")).hexdigest()


def system_text(system: Any) -> str:
    """The system prompt as text (Anthropic takes a string or a list of text blocks)."""
    if isinstance(system, str):
        return system
    if isinstance(system, Sequence):
        return "\n".join(str(b.get("text", "")) for b in system if isinstance(b, Mapping))
    return ""


def request_sha256(*, model: str, system: str, tools: Any, messages: Any) -> str:
    """The hash ``brain.turn.input_sha256`` holds, from the recorded parts."""
    return sha256_of({"model": model, "system": system, "tools": tools, "messages": messages})


def prompt_sha256(*, system: str, tools: Any) -> str:
    """The hash ``brain.turn.prompt_sha256`` and ``brain.prompt.sha256`` hold."""
    return sha256_of({"system": system, "tools": tools})


def _message(m: Any) -> dict[str, Any]:
    if isinstance(m, Mapping):
        out: dict[str, Any] = jsonable(m)
        return out
    return {"role": "other", "content": str(m)}


@dataclass(frozen=True, slots=True)
class ModelInput:
    """One request to a model: copied when it was sent (the context changes afterwards)."""

    model: str
    system: str
    tools: list[Any] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, *, model: str, system: Any, tools: Any, messages: Sequence[Any]) -> ModelInput:
        return cls(
            model=str(model),
            system=system_text(system),
            tools=list(jsonable(tools) or []),
            messages=[_message(m) for m in messages],
        )

    @classmethod
    def from_anthropic(cls, params: Mapping[str, Any]) -> ModelInput:
        """From the keyword arguments of ``client.messages.create`` (what pipecat sends)."""
        return cls.of(model=str(params.get("model", "")), system=params.get("system", ""),
                      tools=params.get("tools") or [], messages=list(params.get("messages") or []))

    @property
    def sha256(self) -> str:
        return request_sha256(model=self.model, system=self.system, tools=self.tools, messages=self.messages)

    @property
    def prompt_sha256(self) -> str:
        return prompt_sha256(system=self.system, tools=self.tools)
