"""The embedded (offline) concierge brain: a pipecat ``LLMService`` that routes by similarity.

It answers the latest user message in the ``LLMContext`` with the frames a real LLM service
emits: ``LLMFullResponseStartFrame``, ``LLMTextFrame``..., function calls through
``run_function_calls`` (``FunctionCallFromLLM``), ``LLMFullResponseEndFrame``. A tool result
that asks for another inference (a denial, an FAQ answer) is answered with the result's ``say``
line. The Claude brain can replace it without touching the pipeline.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Mapping
from typing import Any

from pipecat.frames.frames import (
    Frame,
    FunctionCallFromLLM,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext, standard_message_text
from pipecat.processors.frame_processor import FrameDirection
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings

from concierge.config import Workspace
from concierge.gate import DENY_REASONS
from concierge.guard import FILLERS, TurnGuard
from concierge.knowledge import DONT_KNOW
from concierge.model_input import ModelInput
from concierge.router import Intent, IntentKind, IntentRouter
from concierge.session import ConciergeCall
from concierge.tools import (
    ANSWER_FROM_KB,
    CALLER_REQUESTS_HUMAN,
    END_CALL,
    HUMAN_MESSAGE,
    PROPOSE_TRANSFER,
    ConciergeTools,
    denial_line,
)
from concierge.transfers import HOLDING_MESSAGE, NOT_APPROVED_MESSAGE, TRANSFER_FAILED_MESSAGE

EMBEDDED_MODEL_ID = "embedded-router"
EMBEDDED_VERSION = "2026.11.1"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
GOODBYE = "Thank you for calling. Goodbye."
SAY_AGAIN = "Sorry, something went wrong on my side. Could you say that again?"


def display_name(department: str) -> str:
    return department.replace("_", " ")


def transfer_line(name: str) -> str:
    return f"Sure, let me get you to {name}."


def approval_line(name: str) -> str:
    """Said instead of :func:`transfer_line` where a supervisor approves transfers: nothing is promised
    before they have (the holding line and the outcome follow from the transfer steps)."""
    return f"I'm asking a supervisor to approve the transfer to {name}."


def either_line(a: str, b: str) -> str:
    return f"I can help with that. Is it about {a}, or {b}?"


TELL_ME_MORE = "I can help with that. Could you tell me a little more about what you need?"


def choices_line(names: list[str]) -> str:
    listed = ", ".join(names[:-1]) + f", or {names[-1]}" if len(names) > 1 else "".join(names)
    return f"I can connect you with {listed}. Which one do you need?"


def spoken_lines(workspace: Workspace) -> list[str]:
    """Every line the embedded brain, its tools and the transfer steps can say on their own (no caller
    data in any of them): the voice layer renders each once and replays it from then on."""
    enabled = [d for d in workspace.departments if d.enabled]
    names = [display_name(d.name) for d in enabled]
    lines = [approval_line(display_name(d.name)) if d.requires_approval else transfer_line(display_name(d.name))
             for d in enabled]
    lines += [either_line(a, b) for a in names for b in names if a != b]
    lines += [TELL_ME_MORE, *([choices_line(names)] if names else [])]
    lines += [HUMAN_MESSAGE, GOODBYE, SAY_AGAIN, HOLDING_MESSAGE, NOT_APPROVED_MESSAGE, TRANSFER_FAILED_MESSAGE]
    lines += [denial_line(r) for r in DENY_REASONS.values()]
    lines += [*FILLERS, DONT_KNOW, *(a for a in (e.get("a") for e in workspace.brain.faq) if a)]
    return list(dict.fromkeys(lines))


class EmbeddedBrainService(LLMService):
    """Offline brain for one call. ``call`` carries the workspace, audit sink and call control."""

    def __init__(
        self,
        *,
        call: ConciergeCall,
        router: IntentRouter | None = None,
        tools: ConciergeTools | None = None,
        filler_after_s: float = 1.2,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "settings",
            LLMSettings(
                model=f"{EMBEDDED_MODEL_ID}/{EMBEDDED_VERSION}",
                system_instruction=None,
                temperature=None,
                max_tokens=None,
                top_p=None,
                top_k=None,
                frequency_penalty=None,
                presence_penalty=None,
                seed=None,
                filter_incomplete_user_turns=False,
                user_turn_completion_config=None,
            ),
        )
        super().__init__(**kwargs)
        self.call = call
        self.router = router or IntentRouter(call.workspace)
        self.guard = TurnGuard(
            call,
            model_id=EMBEDDED_MODEL_ID,
            model_version=EMBEDDED_VERSION,
            prompt_version=EMBEDDED_VERSION,
            push=self.push_frame,
            filler_after_s=filler_after_s,
        )
        self.tools = tools or ConciergeTools(call, kb=self.router.kb, on_failure=self.guard.failure)
        self.tools.register(self)
        self._clarify_context: str | None = None
        self._clarify_count = 0
        self.last_intent: Intent | None = None

    @property
    def model_id(self) -> str:
        return f"{EMBEDDED_MODEL_ID}/{EMBEDDED_VERSION}"

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, LLMContextFrame):
            await self._process_context(frame.context)
        else:
            await self.push_frame(frame, direction)

    async def push_frame(self, frame: Frame, direction: FrameDirection = FrameDirection.DOWNSTREAM) -> None:
        if isinstance(frame, LLMTextFrame):
            self.guard.add_text(frame.text)
        await super().push_frame(frame, direction)

    async def cleanup(self) -> None:
        await self.guard.aclose()
        await super().cleanup()  # type: ignore[no-untyped-call]

    # -- one inference ------------------------------------------------------
    async def _process_context(self, context: LLMContext) -> None:
        if self.call.handed_off:
            return
        await self.guard.scrub_context(context)
        messages = context.get_messages()
        if not messages:
            return
        last = messages[-1]
        role = last.get("role") if isinstance(last, dict) else None
        calls: list[tuple[str, Mapping[str, Any]]] = []
        if role == "tool":
            text = self._after_tools(messages)
            user_text = ""
        elif role == "user":
            user_text = standard_message_text(last)
            text, calls = self.respond(user_text)
        else:
            return
        self.guard.begin(user_text)
        await self.guard.set_request(ModelInput.of(
            model=self.model_id, system="", tools=self._tool_definitions(context), messages=messages))
        self.guard.set_returned_model(self.model_id)
        await self.push_frame(LLMFullResponseStartFrame())
        await self.start_processing_metrics()
        try:
            for sentence in _SENTENCE.split(text) if text else []:
                await self._push_llm_text(sentence + " ")
            # The turn is on stable storage before any tool it asked for acts on the call.
            if await self.guard.before_tools(calls):
                await self.run_function_calls(
                    [
                        FunctionCallFromLLM(
                            function_name=name,
                            tool_call_id=f"toolu_emb_{uuid.uuid4().hex[:16]}",
                            arguments=args,
                            context=context,
                        )
                        for name, args in calls
                    ]
                )
        except asyncio.CancelledError:  # a barge-in cut the turn: on the record as interrupted
            await self.guard.interrupted()
            raise
        finally:
            await self.stop_processing_metrics()
            await self.push_frame(LLMFullResponseEndFrame())
            await self.guard.end()

    @staticmethod
    def _tool_definitions(context: LLMContext) -> list[Any]:
        tools = context.tools
        standard = getattr(tools, "standard_tools", None)
        if not standard:
            return []
        return [t.to_default_dict() if hasattr(t, "to_default_dict") else str(t) for t in standard]

    def respond(self, user_text: str) -> tuple[str, list[tuple[str, Mapping[str, Any]]]]:
        """The reply text and tool calls for one tokenized utterance (pure apart from clarify state)."""
        intent = self.router.classify(user_text, context=self._clarify_context)
        self.last_intent = intent
        if intent.kind is not IntentKind.UNCLEAR:
            self._clarify_context, self._clarify_count = None, 0
        if intent.kind is IntentKind.DEPARTMENT and intent.department:
            name = display_name(intent.department)
            dept = self.call.workspace.department(intent.department)
            line = approval_line(name) if dept is not None and dept.requires_approval else transfer_line(name)
            return line, [
                (PROPOSE_TRANSFER, {"department": intent.department, "reason": f"caller intent matches {name}"})
            ]
        if intent.kind is IntentKind.HUMAN:
            return HUMAN_MESSAGE, [(CALLER_REQUESTS_HUMAN, {})]
        if intent.kind is IntentKind.FAQ:
            return "", [(ANSWER_FROM_KB, {"question": user_text})]
        if intent.kind is IntentKind.END:
            return GOODBYE, [(END_CALL, {"reason": "caller finished"})]
        self._clarify_context = f"{self._clarify_context} {user_text}" if self._clarify_context else user_text
        self._clarify_count += 1
        if self._clarify_count == 1 and len(intent.candidates) == 2:
            a, b = (display_name(c) for c in intent.candidates)
            return either_line(a, b), []
        if self._clarify_count == 1:
            return TELL_ME_MORE, []
        names = [display_name(d.name) for d in self.call.workspace.departments if d.enabled]
        return choices_line(names), []

    @staticmethod
    def _after_tools(messages: list[Any]) -> str:
        """The caller-facing lines of the tool results since the last assistant turn."""
        lines: list[str] = []
        for m in reversed(messages):
            if not isinstance(m, dict) or m.get("role") != "tool":
                break
            try:
                result = json.loads(m.get("content") or "{}")
            except (TypeError, ValueError):
                continue
            if isinstance(result, dict) and isinstance(result.get("say"), str):
                lines.append(result["say"])
            elif isinstance(result, dict) and "error" in result:
                lines.append(SAY_AGAIN)
        return " ".join(reversed(lines))
