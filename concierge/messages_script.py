"""Scripted responses for the test Messages API server, and how each renders on the wire.

A :class:`ScriptedResponse` is one answer to one ``POST /v1/messages``: a text reply, a
``tool_use`` block (optionally with text before it, or with deliberately malformed JSON), an
HTTP error (429, 500, 529 overloaded), a delay before answering, or a stream cut mid-way.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ResponseKind(StrEnum):
    TEXT = "text"
    TOOL_USE = "tool_use"
    ERROR = "error"


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True, kw_only=True)
class ScriptedResponse:
    kind: ResponseKind
    text: str = ""
    tool_name: str | None = None
    tool_input: Mapping[str, Any] = field(default_factory=dict)
    raw_tool_json: str | None = None
    status: int = 200
    delay_s: float = 0.0
    cut_after_events: int | None = None
    chunk_chars: int = 16
    retry_after_ms: int = 20
    model: str | None = None  # the model id the answer names (default: the one asked for)
    event_delay_s: float = 0.0  # a pause between streamed events (a slow model, a barge-in mid-stream)

    @classmethod
    def reply(cls, text: str, **kw: Any) -> ScriptedResponse:
        return cls(kind=ResponseKind.TEXT, text=text, **kw)

    @classmethod
    def tool_use(cls, name: str, tool_input: Mapping[str, Any], *, text: str = "", **kw: Any) -> ScriptedResponse:
        return cls(kind=ResponseKind.TOOL_USE, tool_name=name, tool_input=dict(tool_input), text=text, **kw)

    @classmethod
    def malformed_tool_use(cls, name: str, raw_json: str, **kw: Any) -> ScriptedResponse:
        return cls(kind=ResponseKind.TOOL_USE, tool_name=name, raw_tool_json=raw_json, **kw)

    @classmethod
    def error(cls, status: int, **kw: Any) -> ScriptedResponse:
        return cls(kind=ResponseKind.ERROR, status=status, **kw)

    @classmethod
    def overloaded(cls, **kw: Any) -> ScriptedResponse:
        return cls.error(529, **kw)

    @classmethod
    def cut(cls, text: str, *, after_events: int = 4, **kw: Any) -> ScriptedResponse:
        """A text stream the server drops after ``after_events`` SSE events."""
        return cls(kind=ResponseKind.TEXT, text=text, cut_after_events=after_events, **kw)

    @classmethod
    def from_mapping(cls, item: Mapping[str, Any]) -> ScriptedResponse:
        """YAML/JSON form: ``{text: ...}``, ``{tool_use: {name, input}, text?}``, ``{error: 429}``,
        ``{cut: text, after_events: 4}``; any may add ``delay_s``."""
        extra = {k: item[k] for k in ("delay_s", "chunk_chars", "retry_after_ms", "model", "event_delay_s") if k in item}
        if "error" in item:
            return cls.error(int(item["error"]), **extra)
        if "tool_use" in item:
            tu = item["tool_use"]
            return cls.tool_use(str(tu["name"]), dict(tu.get("input", {})), text=str(item.get("text", "")), **extra)
        if "cut" in item:
            return cls.cut(str(item["cut"]), after_events=int(item.get("after_events", 4)), **extra)
        return cls.reply(str(item.get("text", "")), **extra)

    # -- wire forms -----------------------------------------------------------
    def error_body(self) -> dict[str, Any]:
        etype = _ERROR_TYPES.get(self.status, "api_error")
        return {"type": "error", "error": {"type": etype, "message": f"scripted {etype}"}}

    def _tool_json(self) -> str:
        return self.raw_tool_json if self.raw_tool_json is not None else json.dumps(dict(self.tool_input))

    def message(self, model: str, input_tokens: int) -> dict[str, Any]:
        """The non-streaming JSON body."""
        content: list[dict[str, Any]] = []
        if self.text:
            content.append({"type": "text", "text": self.text})
        if self.kind is ResponseKind.TOOL_USE:
            try:
                tool_input = json.loads(self._tool_json())
            except ValueError:
                tool_input = {}
            content.append({"type": "tool_use", "id": _tool_id(), "name": self.tool_name, "input": tool_input})
        return {
            "id": _msg_id(),
            "type": "message",
            "role": "assistant",
            "model": self.model or model,
            "content": content,
            "stop_reason": "tool_use" if self.kind is ResponseKind.TOOL_USE else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": input_tokens, "output_tokens": _estimate(self.text + self._tool_json())},
        }

    def sse_events(self, model: str, input_tokens: int) -> Iterator[tuple[str, dict[str, Any]]]:
        """The streaming events, in order, as (event name, data)."""
        msg = self.message(model, input_tokens)
        start = dict(msg, content=[], stop_reason=None)
        start["usage"] = {"input_tokens": input_tokens, "output_tokens": 1}
        yield "message_start", {"type": "message_start", "message": start}
        index = 0
        if self.text:
            yield "content_block_start", {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "text", "text": ""},
            }
            yield "ping", {"type": "ping"}
            for part in _chunks(self.text, self.chunk_chars):
                yield "content_block_delta", {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": part},
                }
            yield "content_block_stop", {"type": "content_block_stop", "index": index}
            index += 1
        if self.kind is ResponseKind.TOOL_USE:
            block = next(b for b in msg["content"] if b["type"] == "tool_use")
            yield "content_block_start", {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "tool_use", "id": block["id"], "name": self.tool_name, "input": {}},
            }
            for part in _chunks(self._tool_json(), self.chunk_chars):
                yield "content_block_delta", {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "input_json_delta", "partial_json": part},
                }
            yield "content_block_stop", {"type": "content_block_stop", "index": index}
        yield "message_delta", {
            "type": "message_delta",
            "delta": {"stop_reason": msg["stop_reason"], "stop_sequence": None},
            "usage": {"output_tokens": msg["usage"]["output_tokens"]},
        }
        yield "message_stop", {"type": "message_stop"}


def _chunks(text: str, size: int) -> Iterator[str]:
    for i in range(0, len(text), max(size, 1)):
        yield text[i : i + size]


def _estimate(text: str) -> int:
    return max(1, len(text) // 4)


def _msg_id() -> str:
    return "msg_" + uuid.uuid4().hex[:24]


def _tool_id() -> str:
    return "toolu_" + uuid.uuid4().hex[:24]
