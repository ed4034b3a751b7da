"""The concierge tools: schemas for pipecat and handlers registered with ``llm.register_function``.

Every handler validates its arguments (a malformed call is a brain failure, audited, and the
model is told what was wrong), acts through the :class:`~concierge.transfers.TransferCoordinator`
or the call's own actions (:class:`~concierge.session.ConciergeCall`), and returns a result with a
``say`` line the brain may speak. The tools that act on the call (transfer, hand-over to a person,
hang-up, keypad capture) run one at a time in the order the model asked for them
(:meth:`~concierge.session.ConciergeCall.serial`), whatever pipecat runs in parallel; each checks
the call's state when it acts, so a second one finds the call already gone ("unavailable").
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
from pipecat.frames.frames import FunctionCallResultProperties
from pipecat.processors.aggregators.llm_context import LLMContext, standard_message_text
from pipecat.services.llm_service import FunctionCallParams, LLMService

from concierge.audit_sink import EventType
from concierge.authority import Action
from concierge.capture import CAPTURE_TIMEOUT_S, KINDS, PROMPTS, Boundary
from concierge.config import Workspace
from concierge.exceptions import ToolInputError
from concierge.gate import Decision, RuleId, TransferProposal
from concierge.knowledge import KnowledgeBase
from concierge.session import ConciergeCall
from concierge.transfers import TRANSFER_FAILED_MESSAGE, TransferCoordinator

PROPOSE_TRANSFER = "propose_transfer"
ANSWER_FROM_KB = "answer_from_knowledge_base"
END_CALL = "end_call"
CALLER_REQUESTS_HUMAN = "caller_requests_human"
COLLECT_NUMBER = "collect_number_securely"
TOOL_NAMES = (PROPOSE_TRANSFER, ANSWER_FROM_KB, END_CALL, CALLER_REQUESTS_HUMAN, COLLECT_NUMBER)
CAPTURE_UNAVAILABLE = "I can't take that number on this line. A colleague will help you with it."

HUMAN_MESSAGE = "Of course. I'm taking you to our menu now, where you can reach the right team."

FailureHook = Callable[[str], Awaitable[None]]
_DEPARTMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,39}\Z")
_IDENT = re.compile(r"[^A-Za-z0-9_.:/@+\-]+")


def denial_line(reason: str) -> str:
    return f"I'm sorry, I can't transfer you: {reason}. Is there anything else I can help with?"


def tools_schema(workspace: Workspace) -> ToolsSchema:
    names = [d.name for d in workspace.departments if d.enabled]
    return ToolsSchema(
        standard_tools=[
            FunctionSchema(
                name=PROPOSE_TRANSFER,
                description="Propose transferring the caller to a department. A policy gate decides; "
                "you never transfer directly.",
                properties={
                    "department": {"type": "string", "enum": names, "description": "Department name."},
                    "reason": {"type": "string", "description": "Short reason, tokens only, no personal data."},
                },
                required=["department", "reason"],
            ),
            FunctionSchema(
                name=ANSWER_FROM_KB,
                description="Look up the caller's question in the workspace FAQ. Quote the answer; "
                "if nothing is found, say you do not know.",
                properties={"question": {"type": "string", "description": "The caller's question."}},
                required=["question"],
            ),
            FunctionSchema(
                name=END_CALL,
                description="End the call politely when the caller is done.",
                properties={"reason": {"type": "string"}},
                required=["reason"],
            ),
            FunctionSchema(
                name=COLLECT_NUMBER,
                description="When you need a card number, security code, expiry, social security number, "
                "account, routing or member ID number: never ask the caller to say it. This asks them to "
                "type it on the keypad; you get back only a token, how many digits were typed and whether "
                "the number is valid.",
                properties={"kind": {"type": "string", "enum": sorted(KINDS)}},
                required=["kind"],
            ),
            FunctionSchema(
                name=CALLER_REQUESTS_HUMAN,
                description="The caller asked for a person, an agent, an operator, or no AI.",
                properties={},
                required=[],
            ),
        ]
    )


def _text_arg(args: Mapping[str, Any], name: str, *, max_len: int = 500) -> str:
    value = args.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ToolInputError(f"argument {name!r} must be a non-empty string")
    if len(value) > max_len:
        raise ToolInputError(f"argument {name!r} is longer than {max_len} characters")
    return value.strip()


def context_snapshot(context: LLMContext, *, last: int = 6, boundary: Boundary | None = None) -> list[dict[str, str]]:
    """The last turns the brain had (already tokenized), as plain role/text pairs, through the call's
    egress check (a supervisor sees this)."""
    out: list[dict[str, str]] = []
    for m in context.get_messages()[-last:]:
        role = m.get("role") if isinstance(m, dict) else None
        text = standard_message_text(m)
        if isinstance(role, str) and role in ("user", "assistant") and text:
            if boundary is not None:
                text, _ = boundary.scrub(text)
            out.append({"role": role, "text": text})
    return out


class ConciergeTools:
    """Handlers for one call. ``on_failure(kind)`` is told about malformed calls and unknown departments."""

    def __init__(
        self,
        call: ConciergeCall,
        *,
        coordinator: TransferCoordinator | None = None,
        kb: KnowledgeBase | None = None,
        on_failure: FailureHook | None = None,
    ) -> None:
        self.call = call
        self.coordinator = coordinator or TransferCoordinator(call)
        self.kb = kb or KnowledgeBase(call.workspace.brain.faq)
        self.on_failure = on_failure
        self.last_decision_ms: float | None = None

    def register(self, llm: LLMService[Any]) -> None:
        llm.register_function(PROPOSE_TRANSFER, self.propose_transfer)
        llm.register_function(ANSWER_FROM_KB, self.answer_from_knowledge_base)
        llm.register_function(END_CALL, self.end_call)
        llm.register_function(CALLER_REQUESTS_HUMAN, self.caller_requests_human)
        llm.register_function(COLLECT_NUMBER, self.collect_number_securely)

    async def _fail(self, kind: str) -> None:
        if self.on_failure is not None:
            await self.on_failure(kind)

    async def _reply(self, params: FunctionCallParams, result: dict[str, Any], *, run_llm: bool) -> None:
        await params.result_callback(result, properties=FunctionCallResultProperties(run_llm=run_llm))

    async def propose_transfer(self, params: FunctionCallParams) -> None:
        async with self.call.serial():
            await self._propose_transfer(params)

    async def _propose_transfer(self, params: FunctionCallParams) -> None:
        try:
            department = _text_arg(params.arguments, "department", max_len=40)
            reason = _text_arg(params.arguments, "reason")
            if not _DEPARTMENT.match(department):
                raise ToolInputError("argument 'department' must be a department name")
        except ToolInputError as exc:
            await self._fail("malformed_tool_input")
            await self._reply(params, {"error": str(exc)}, run_llm=True)
            return
        outcome = await self.coordinator.propose(
            TransferProposal(department, reason),
            context=context_snapshot(params.context, boundary=self.call.boundary),
        )
        self.last_decision_ms = outcome.decision_ms
        d = outcome.decision
        result: dict[str, Any] = {
            "decision": str(d.decision),
            "rule_id": str(d.rule_id),
            "reason": d.reason,
            "department": d.department,
        }
        if outcome.withdrawn:  # the caller is still talking: say nothing, listen
            await self._reply(params, result | {"status": "withdrawn_caller_continued"}, run_llm=False)
            return
        if d.decision is Decision.ALLOW:
            if outcome.executed:
                await self._reply(params, result | {"status": "transferred"}, run_llm=False)
            else:
                await self._reply(params, result | {"status": "failed", "say": TRANSFER_FAILED_MESSAGE}, run_llm=True)
            return
        if d.decision is Decision.NEEDS_APPROVAL:
            await self._reply(params, result | {"status": "waiting_for_supervisor"}, run_llm=False)
            return
        if d.rule_id is RuleId.DEPARTMENT_UNKNOWN:
            await self._fail("unknown_department")
        result["say"] = denial_line(d.reason)
        await self._reply(params, result, run_llm=True)

    async def answer_from_knowledge_base(self, params: FunctionCallParams) -> None:
        try:
            question = _text_arg(params.arguments, "question")
        except ToolInputError as exc:
            await self._fail("malformed_tool_input")
            await self._reply(params, {"error": str(exc)}, run_llm=True)
            return
        ans = self.kb.lookup(question)
        result: dict[str, Any] = {"found": ans.found, "answer": ans.answer, "say": ans.answer}
        if ans.question is not None:
            result["source"] = ans.question
        await self._reply(params, result, run_llm=True)

    async def end_call(self, params: FunctionCallParams) -> None:
        reason = params.arguments.get("reason")
        reason = reason if isinstance(reason, str) and reason else "caller_done"
        async with self.call.serial():
            ended = await self.call.hangup(_IDENT.sub("_", reason[:60]) or "caller_done")
        await self._reply(params, {"status": "ending" if ended else "unavailable"}, run_llm=False)

    async def caller_requests_human(self, params: FunctionCallParams) -> None:
        async with self.call.serial():
            moved = await self.call.to_ivr(
                "caller_requested_human", trigger="caller_requested_human", actor="brain"
            )
        if moved:
            await self._reply(params, {"status": "to_ivr", "say": HUMAN_MESSAGE}, run_llm=False)
        else:  # the call already left the AI (a transfer went through, the IVR has it)
            await self._reply(params, {"status": "unavailable"}, run_llm=False)

    async def collect_number_securely(self, params: FunctionCallParams) -> None:
        async with self.call.serial():
            await self._collect_number_securely(params)

    async def _collect_number_securely(self, params: FunctionCallParams) -> None:
        kind = params.arguments.get("kind")
        typ = KINDS.get(kind) if isinstance(kind, str) else None
        if typ is None:
            await self._fail("malformed_tool_input")
            await self._reply(params, {"error": f"argument 'kind' must be one of {', '.join(sorted(KINDS))}"},
                              run_llm=True)
            return
        call = self.call
        if call.capture is None or call.authority.refusal(Action.SAY) is not None:
            await self._reply(params, {"status": "unavailable", "say": CAPTURE_UNAVAILABLE}, run_llm=True)
            return
        outcome = await call.capture.collect(typ, prompt=PROMPTS[typ], timeout_s=CAPTURE_TIMEOUT_S)
        await call.emit(
            EventType.CAPTURE_COMPLETED,
            {"entity_type": typ.value, "status": outcome.status, "length": outcome.digits, "valid": outcome.valid},
            actor="keypad",
            durable=True,
        )
        result: dict[str, Any] = {"status": outcome.status, "digits": outcome.digits, "valid": outcome.valid}
        if outcome.token is not None:
            result["token"] = outcome.token
        await self._reply(params, result, run_llm=True)
