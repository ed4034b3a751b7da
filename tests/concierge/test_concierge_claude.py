"""The Claude brain (pipecat AnthropicLLMService + the real SDK) against the local Messages API server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from pipecat.frames.frames import (
    ErrorFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMTextFrame,
    TTSSpeakFrame,
)
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import run_test

from concierge.audit_sink import EventType, MemoryAuditSink
from concierge.authority import CallAuthority
from concierge.call_control import CallAction, RecordingCallControl
from concierge.claude_brain import ClaudeBrainService
from concierge.gate import CallState
from concierge.guard import APOLOGY, FALLBACK, FILLERS
from concierge.messages_api_server import MessagesApiServer
from concierge.messages_script import ScriptedResponse as S
from concierge.prompt import PROMPT_VERSION
from concierge.session import ConciergeCall
from concierge.tools import TOOL_NAMES, tools_schema

SAT_OPEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)
SUNDAY = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def _brain(call: ConciergeCall, server: MessagesApiServer, **kw: object) -> ClaudeBrainService:
    call.workspace.brain.base_url = server.base_url
    call.workspace.brain.timeout_s = float(kw.pop("timeout_s", 5.0))  # type: ignore[arg-type]
    return ClaudeBrainService(call=call, api_key="test-key", **kw)  # type: ignore[arg-type]


def _ctx(call: ConciergeCall, text: str) -> LLMContext:
    return LLMContext(messages=[{"role": "user", "content": text}], tools=tools_schema(call.workspace))


async def test_text_reply_streams_llm_frames_and_records_the_turn(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    api_server.enqueue(S.reply("Happy to help. What do you need today?", chunk_chars=8))
    brain = _brain(call, api_server)
    down, _ = await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "hello"))])
    kinds = [type(f) for f in down]
    assert kinds.index(LLMFullResponseStartFrame) < kinds.index(LLMTextFrame) < kinds.index(LLMFullResponseEndFrame)
    assert "".join(f.text for f in down if isinstance(f, LLMTextFrame)) == "Happy to help. What do you need today?"
    body = api_server.requests[0].body
    assert body["model"] == call.workspace.brain.model and body["stream"] is True
    assert {t["name"] for t in body["tools"]} == set(TOOL_NAMES)
    assert "billing" in str(body["system"]) and "[CREDIT_CARD_1]" in str(body["system"])
    turn = audit.of_type(EventType.BRAIN_TURN)[0].payload
    assert turn["model"] == call.workspace.brain.model and turn["prompt_template_version"] == PROMPT_VERSION
    assert int(turn["input_tokens"]) > 0 and int(turn["output_tokens"]) > 0  # type: ignore[call-overload]
    assert turn["output"] == "Happy to help. What do you need today?" and turn["input"] == "hello"


GATE_OUTCOMES = [
    # department, clock, state, supervisor action, transfers expected, decided rules
    ("billing", SAT_OPEN, CallState(), None, 1, ["policy_allow"]),
    ("sales", SAT_OPEN, CallState(), None, 1, ["policy_allow"]),
    ("sales", SUNDAY, CallState(), None, 0, ["outside_hours"]),
    ("payroll", SAT_OPEN, CallState(), None, 0, ["department_unknown"]),
    ("billing", SAT_OPEN, CallState(opted_out=True), None, 0, ["caller_opted_out"]),
    ("billing", SAT_OPEN, CallState(transfers_executed=2), None, 0, ["max_transfers"]),
    ("clinical", SAT_OPEN, CallState(), "approve", 1, ["requires_approval", "supervisor_approved"]),
    ("fraud", SAT_OPEN, CallState(), "reject", 0, ["requires_approval", "supervisor_rejected"]),
    ("clinical", SAT_OPEN, CallState(), "timeout", 0, ["requires_approval", "approval_timeout"]),
]


@pytest.mark.parametrize(("department", "clock", "state", "action", "transfers", "rules"), GATE_OUTCOMES)
async def test_tool_use_goes_through_the_gate_and_only_allowed_transfers_execute(
    call: ConciergeCall,
    api_server: MessagesApiServer,
    audit: MemoryAuditSink,
    control: RecordingCallControl,
    department: str,
    clock: datetime,
    state: CallState,
    action: str | None,
    transfers: int,
    rules: list[str],
) -> None:
    call.clock = lambda: clock
    call.authority = CallAuthority(opted_out=state.opted_out, transfers_executed=state.transfers_executed)
    call.workspace.transfer.approval_timeout_s = 0.3
    api_server.enqueue(S.tool_use("propose_transfer", {"department": department, "reason": "caller asked"},
                                  text="Let me connect you."))
    brain = _brain(call, api_server)
    await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "i need help [PERSON_1]"))])
    if action in ("approve", "reject"):
        (req,) = await call.approvals.pending()
        decide = call.approvals.approve if action == "approve" else call.approvals.reject
        await decide(req.id, supervisor="sup-carol")
    await call.wait_background()
    assert len(control.transfers) == transfers
    decided = audit.of_type(EventType.TRANSFER_DECIDED)
    assert [d.payload["rule_id"] for d in decided] == rules
    types = audit.types()
    if transfers:
        assert control.transfers[0].department == department
        assert types.index(EventType.TRANSFER_EXECUTED) > types.index(EventType.TRANSFER_DECIDED)
    else:
        assert EventType.TRANSFER_EXECUTED not in types
    if action in ("approve", "reject"):
        assert decided[-1].payload["approver"] == "sup-carol"
    if action in ("reject", "timeout"):
        assert control.of(CallAction.TO_IVR)
    if department == "payroll":
        assert audit.of_type(EventType.BRAIN_FAILED)[0].payload["error_kind"] == "unknown_department"


@pytest.mark.parametrize("status", [429, 500, 529])
async def test_transient_errors_are_retried_with_backoff(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink, status: int
) -> None:
    api_server.enqueue(S.error(status), S.error(status), S.reply("Thanks for waiting."))
    brain = _brain(call, api_server)
    down, _ = await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "hello"))])
    assert len(api_server.requests) == 3 == call.workspace.brain.max_retries + 1
    assert "".join(f.text for f in down if isinstance(f, LLMTextFrame)) == "Thanks for waiting."
    assert not audit.of_type(EventType.BRAIN_FAILED)


async def test_stream_cut_plays_apology_then_falls_back_to_ivr(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink, control: RecordingCallControl
) -> None:
    assert call.workspace.brain.max_failures == 2
    api_server.enqueue(S.cut("I can help you with that right away.", after_events=4), S.cut("Sure", after_events=2))
    brain = _brain(call, api_server)
    ctx = _ctx(call, "my bill is wrong")
    down, up = await run_test(
        brain, frames_to_send=[LLMContextFrame(context=ctx), LLMContextFrame(context=ctx), LLMContextFrame(context=ctx)]
    )
    spoken = [f.text for f in down if isinstance(f, TTSSpeakFrame)]
    assert spoken == [APOLOGY, FALLBACK]
    assert [r.payload["error_kind"] for r in audit.of_type(EventType.BRAIN_FAILED)] == ["stream_cut", "stream_cut"]
    assert control.of(CallAction.TO_IVR)[0].text == "brain_failed" and call.handed_off
    assert len(api_server.requests) == 2  # the third turn never reached the model
    assert any(isinstance(f, ErrorFrame) for f in up)
    assert all("bill" not in str(f.error) for f in up if isinstance(f, ErrorFrame))


async def test_slow_model_gets_a_filler_then_timeout_is_a_failure(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    call.workspace.brain.max_retries = 0
    api_server.enqueue(S.reply("too late", delay_s=3.0))
    brain = _brain(call, api_server, timeout_s=0.9, filler_after_s=0.3)
    down, _ = await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "hello"))])
    spoken = [f.text for f in down if isinstance(f, TTSSpeakFrame)]
    assert spoken[0] == FILLERS[0] and spoken[-1] == APOLOGY
    assert audit.of_type(EventType.BRAIN_FAILED)[0].payload["error_kind"] == "timeout"


async def test_slow_but_successful_reply_is_preceded_by_a_filler(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    api_server.enqueue(S.reply("Here I am.", delay_s=0.6))
    brain = _brain(call, api_server, filler_after_s=0.2)
    down, _ = await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "hello"))])
    kinds = [type(f) for f in down]
    assert kinds.index(TTSSpeakFrame) < kinds.index(LLMTextFrame)
    assert brain.guard.last_turn is not None and brain.guard.last_turn.fillers == 1


async def test_malformed_tool_input_is_a_failure_and_nothing_executes(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink, control: RecordingCallControl
) -> None:
    api_server.enqueue(
        S.malformed_tool_use("propose_transfer", '{"department": "billing", "reas'),
        S.tool_use("propose_transfer", {"department": 7}),
    )
    brain = _brain(call, api_server)
    ctx = _ctx(call, "refund please")
    await run_test(brain, frames_to_send=[LLMContextFrame(context=ctx), LLMContextFrame(context=ctx)])
    await call.wait_background()
    kinds = [r.payload["error_kind"] for r in audit.of_type(EventType.BRAIN_FAILED)]
    assert kinds == ["malformed_tool_input", "malformed_tool_input"]
    assert not control.transfers and not audit.of_type(EventType.TRANSFER_DECIDED)


async def _claude_conversation(call: ConciergeCall, server: MessagesApiServer, text: str) -> LLMContext:
    from pipecat.frames.frames import LLMMessagesAppendFrame
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
    from pipecat.tests.utils import SleepFrame

    ctx = LLMContext(messages=[], tools=tools_schema(call.workspace))
    pair = LLMContextAggregatorPair(ctx)
    pipeline = Pipeline([pair.user(), _brain(call, server), pair.assistant()])
    await run_test(
        pipeline,
        frames_to_send=[LLMMessagesAppendFrame(messages=[{"role": "user", "content": text}], run_llm=True),
                        SleepFrame(0.4)],
    )
    await call.wait_background()
    return ctx


async def test_denial_reason_reaches_the_model_in_the_tool_result(
    call: ConciergeCall, api_server: MessagesApiServer, control: RecordingCallControl
) -> None:
    call.clock = lambda: SUNDAY
    api_server.enqueue(
        S.tool_use("propose_transfer", {"department": "sales", "reason": "upgrade"}, text="Let me check."),
        S.reply("Sales is closed right now; they open Monday at 8."),
    )
    ctx = await _claude_conversation(call, api_server, "i want to upgrade my plan")
    assert not control.transfers
    assert len(api_server.requests) == 2
    second = api_server.requests[1].body["messages"]
    results = [b for m in second if isinstance(m["content"], list) for b in m["content"] if b["type"] == "tool_result"]
    assert len(results) == 1 and "outside_hours" in str(results[0]["content"])
    last = ctx.get_messages()[-1]
    assert isinstance(last, dict) and last["content"] == "Sales is closed right now; they open Monday at 8."


async def test_kb_answer_is_quoted_to_the_model(call: ConciergeCall, api_server: MessagesApiServer) -> None:
    api_server.enqueue(
        S.tool_use("answer_from_knowledge_base", {"question": "where is my bill"}),
        S.reply("Your bills are in the app under Account, then Statements."),
    )
    await _claude_conversation(call, api_server, "where can i see my bill")
    second = json.dumps(api_server.requests[1].body["messages"])
    assert call.workspace.brain.faq[2]["a"] in second and '\\"found\\": true' in second


async def test_allowed_transfer_does_not_run_the_model_again(
    call: ConciergeCall, api_server: MessagesApiServer, control: RecordingCallControl
) -> None:
    api_server.enqueue(S.tool_use("propose_transfer", {"department": "billing", "reason": "refund"}, text="Sure."))
    await _claude_conversation(call, api_server, "i need a refund")
    assert [a.department for a in control.transfers] == ["billing"]
    assert len(api_server.requests) == 1 and api_server.remaining == 0


async def test_barge_in_cancels_the_turn_without_filler_or_failure(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    from pipecat.frames.frames import InterruptionFrame
    from pipecat.tests.utils import SleepFrame

    api_server.enqueue(S.reply("this answer is too slow", delay_s=1.0), S.reply("Go ahead."))
    brain = _brain(call, api_server, filler_after_s=0.4)
    ctx = _ctx(call, "hello")
    down, _ = await run_test(
        brain,
        frames_to_send=[LLMContextFrame(context=ctx), SleepFrame(0.15), InterruptionFrame(), SleepFrame(0.6),
                        LLMContextFrame(context=ctx), SleepFrame(0.2)],
    )
    assert not [f for f in down if isinstance(f, TTSSpeakFrame)]
    assert "".join(f.text for f in down if isinstance(f, LLMTextFrame)) == "Go ahead."
    turns = audit.of_type(EventType.BRAIN_TURN)
    assert [t.payload["status"] for t in turns] == ["interrupted", "completed"]  # the cut turn is on the record
    assert not audit.of_type(EventType.BRAIN_FAILED) and call.failures == 0


async def test_model_output_with_a_raw_number_is_not_audited_as_text(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    api_server.enqueue(S.reply("Call us back at 555 123 4567."))
    brain = _brain(call, api_server)
    await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "what number do i call"))])
    assert audit.types() == [EventType.BRAIN_PROMPT, EventType.BRAIN_FAILED]
    assert audit.records[-1].payload["error_kind"] == "audit_rejected"
