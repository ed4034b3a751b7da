"""Pick the brain for a call: Claude when configured with an API key, else the embedded one."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from anthropic import AsyncAnthropic
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.llm_service import LLMService

from concierge.claude_brain import ClaudeBrainService
from concierge.config import BrainBackend, Workspace
from concierge.embedded_brain import EmbeddedBrainService
from concierge.session import ConciergeCall
from concierge.tools import tools_schema


def build_brain(
    call: ConciergeCall,
    *,
    env: Mapping[str, str] | None = None,
    client: AsyncAnthropic | None = None,
) -> LLMService[Any]:
    """The LLM service for ``call``: ``ClaudeBrainService`` when ``brain.backend`` is anthropic and
    the key named by ``brain.api_key_env`` is set (or a ``client`` is given), else the embedded brain."""
    brain = call.workspace.brain
    environ = os.environ if env is None else env
    key = environ.get(brain.api_key_env, "")
    if brain.backend is BrainBackend.ANTHROPIC and (key or client is not None):
        return ClaudeBrainService(call=call, api_key=key or "unused", client=client)
    return EmbeddedBrainService(call=call)


def new_context(workspace: Workspace) -> LLMContext:
    """An empty per-call ``LLMContext`` advertising the concierge tools."""
    return LLMContext(messages=[], tools=tools_schema(workspace))
