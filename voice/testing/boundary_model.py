"""The deterministic stand-in for Claude that ``dialphone eval boundary`` puts behind the local Messages
API: it routes a clear request, acknowledges a token by name (so tokens come back through the reply
and TTS), otherwise asks how it can help."""

from __future__ import annotations

import re
from typing import Any

from concierge.messages_script import ScriptedResponse

_TOKEN = re.compile(r"\[[A-Z_]+_\d+\]")
_ROUTES = (("bill", "billing"), ("charged", "billing"), ("cancel", "billing"), ("internet", "technical_support"),
           ("log in", "technical_support"), ("stolen", "fraud"), ("stole", "fraud"))


def stand_in_model(body: dict[str, Any]) -> ScriptedResponse:
    """A deterministic stand-in for Claude: routes a clear request, acknowledges a token by name (so
    tokens come back through the reply and TTS), otherwise asks how it can help."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else {}
    if last.get("role") != "user":
        return ScriptedResponse.reply("Okay.")
    content = last.get("content")
    parts = content if isinstance(content, list) else [{"type": "text", "text": content}]
    if any(isinstance(p, dict) and p.get("type") == "tool_result" for p in parts):
        return ScriptedResponse.reply("Alright. Anything else I can help with?")
    text = " ".join(str(p.get("text", "")) for p in parts if isinstance(p, dict) and p.get("type") == "text")
    lowered = text.lower()
    for word, department in _ROUTES:
        if word in lowered:
            return ScriptedResponse.tool_use(
                "propose_transfer", {"department": department, "reason": f"caller asked about {word}"})
    token = _TOKEN.search(text)
    if token is not None:
        return ScriptedResponse.reply(f"Thank you, I have {token.group(0)}. Is there anything else?")
    return ScriptedResponse.reply("Sure. How can I help?")
