"""The Claude brain: pipecat's ``AnthropicLLMService`` configured from the workspace ``Brain``.

Model id pinned from configuration and recorded per turn with :data:`PROMPT_VERSION`, beside the
model id the API answered with (``message_start``); every request is recorded as the model saw it
(:class:`~concierge.model_input.ModelInput`, taken where pipecat hands it to the SDK); base URL
per workspace (regional endpoints); per-attempt timeout and retries with exponential back-off
from the official SDK; a whole-turn deadline on top. Failures (timeout, 429, 5xx, overloaded,
a cut stream, malformed tool input) are audited and handled by the :class:`TurnGuard`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import anthropic
from anthropic import AsyncAnthropic
from pipecat.frames.frames import Frame, FunctionCallFromLLM, LLMTextFrame
from pipecat.metrics.metrics import LLMTokenUsage
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.anthropic.llm import AnthropicLLMService
from pipecat.utils.errors import ErrorCategory

from concierge.guard import TurnGuard
from concierge.model_input import ModelInput
from concierge.prompt import PROMPT_VERSION, build_system_prompt
from concierge.session import ConciergeCall
from concierge.tools import ConciergeTools


def failure_kind(exc: BaseException | None) -> str:
    """A short, data-free name for why a turn failed."""
    if exc is None:
        return "error"
    if isinstance(exc, json.JSONDecodeError):
        return "malformed_tool_input"
    if isinstance(exc, anthropic.APITimeoutError | TimeoutError):
        return "timeout"
    if isinstance(exc, anthropic.RateLimitError):
        return "rate_limited"
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code == 529 or isinstance(exc, anthropic.OverloadedError):
            return "overloaded"
        return "server_error" if exc.status_code >= 500 else f"http_{exc.status_code}"
    if isinstance(exc, anthropic.APIConnectionError):
        return "connection"
    name = type(exc).__name__
    if "Protocol" in name or "ReadError" in name or "Incomplete" in name or "RemoteProtocol" in name:
        return "stream_cut"
    return f"error:{name}"


def latest_user_text(context: LLMContext) -> str:
    for m in reversed(context.get_messages()):
        if isinstance(m, dict) and m.get("role") == "user":
            content = m.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return " ".join(
                    p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
                )
    return ""


class ClaudeBrainService(AnthropicLLMService):
    """Claude for one call. Pass ``client`` to reuse one ``AsyncAnthropic`` across calls."""

    def __init__(
        self,
        *,
        call: ConciergeCall,
        api_key: str,
        client: AsyncAnthropic | None = None,
        max_tokens: int = 400,
        filler_after_s: float = 1.2,
        turn_deadline_s: float | None = None,
        **kwargs: Any,
    ) -> None:
        brain = call.workspace.brain
        client = client or AsyncAnthropic(
            api_key=api_key,
            base_url=brain.base_url,
            timeout=brain.timeout_s,
            max_retries=brain.max_retries,
        )
        settings = AnthropicLLMService.Settings(
            model=brain.model,
            system_instruction=build_system_prompt(call.workspace),
            max_tokens=max_tokens,
        )
        super().__init__(api_key=api_key, client=client, settings=settings, **kwargs)
        self.call = call
        self.prompt_version = PROMPT_VERSION
        self.turn_deadline_s = turn_deadline_s or brain.timeout_s * (brain.max_retries + 1)
        self.guard = TurnGuard(
            call, model_id=brain.model, prompt_version=PROMPT_VERSION, push=self.push_frame,
            filler_after_s=filler_after_s,
        )
        self.tools = ConciergeTools(call, on_failure=self.guard.failure)
        self.tools.register(self)

        self.add_event_handler("on_completion_timeout", self._on_completion_timeout)

    async def _on_completion_timeout(self, service: ClaudeBrainService) -> None:
        self.guard.mark_failed("timeout")

    @property
    def model_id(self) -> str:
        return self.call.workspace.brain.model

    async def _process_context(self, context: LLMContext) -> None:
        if self.call.handed_off:
            return
        await self.guard.scrub_context(context)
        self.guard.begin(latest_user_text(context))
        try:
            await asyncio.wait_for(super()._process_context(context), timeout=self.turn_deadline_s)
        except TimeoutError:
            self.guard.mark_failed("timeout")
        except asyncio.CancelledError:  # a barge-in cut the turn: on the record as interrupted
            await self.guard.interrupted()
            await self.guard.aclose()
            raise
        await self.guard.end()

    async def _create_message_stream(self, api_call: Any, params: Any) -> Any:
        """Record what the model sees (as sent), then watch the stream for the model id it answers with,
        its usage, and the tool calls it starts (an interrupted turn names them)."""
        await self.guard.set_request(ModelInput.from_anthropic(params))
        stream = await super()._create_message_stream(api_call, params)
        return self._watched(stream)

    async def _watched(self, stream: Any) -> AsyncIterator[Any]:
        usage_in = usage_out = 0
        async for event in stream:
            kind = getattr(event, "type", "")
            if kind == "message_start":
                message = getattr(event, "message", None)
                self.guard.set_returned_model(str(getattr(message, "model", "") or ""))
                usage = getattr(message, "usage", None)
                usage_in = int(getattr(usage, "input_tokens", 0) or 0)
                usage_out = int(getattr(usage, "output_tokens", 0) or 0)
            elif kind == "message_delta":
                usage = getattr(event, "usage", None)
                usage_out = int(getattr(usage, "output_tokens", 0) or 0) or usage_out
            elif kind == "content_block_start":
                block = getattr(event, "content_block", None)
                if getattr(block, "type", "") == "tool_use":
                    self.guard.saw_tool(str(getattr(block, "name", "")))
            if usage_in:
                self.guard.set_usage(usage_in, usage_out)
            yield event

    async def push_frame(self, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM) -> None:
        if isinstance(frame, LLMTextFrame):
            self.guard.add_text(frame.text)
        await super().push_frame(frame, direction)

    async def push_error(
        self,
        error_msg: str,
        exception: Exception | None = None,
        fatal: bool = False,
        category: ErrorCategory | None = None,
        force_treat_as_permanent: bool = False,
    ) -> None:
        self.guard.mark_failed(failure_kind(exception))
        # The message may quote the provider's error; keep caller data out: name the kind only.
        await super().push_error(
            f"brain turn failed: {failure_kind(exception)}",
            exception=exception,
            category=category or ErrorCategory.UNKNOWN,
            force_treat_as_permanent=force_treat_as_permanent,
        )

    async def run_function_calls(self, function_calls: Sequence[FunctionCallFromLLM]) -> None:
        # The turn is on stable storage before any tool it asked for acts on the call.
        if not await self.guard.before_tools([(fc.function_name, fc.arguments) for fc in function_calls]):
            return
        await super().run_function_calls(function_calls)

    async def start_llm_usage_metrics(self, tokens: LLMTokenUsage) -> None:
        self.guard.set_usage(tokens.prompt_tokens, tokens.completion_tokens)
        await super().start_llm_usage_metrics(tokens)

    async def cleanup(self) -> None:
        await self.guard.aclose()
        await super().cleanup()  # type: ignore[no-untyped-call]
