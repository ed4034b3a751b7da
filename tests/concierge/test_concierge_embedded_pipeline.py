"""The embedded brain inside pipecat pipelines: the same frames as the Claude brain, tool round trips."""

from __future__ import annotations

from datetime import UTC, datetime

from pipecat.frames.frames import (
    Frame,
    LLMContextFrame,
    LLMMessagesAppendFrame,
    LLMServiceMetadataFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.processors.aggregators.llm_context import LLMContext, standard_message_text
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.tests.utils import SleepFrame, run_test

from concierge.audit_sink import EventType, MemoryAuditSink
from concierge.brains import build_brain, new_context
from concierge.call_control import CallAction, RecordingCallControl
from concierge.claude_brain import ClaudeBrainService
from concierge.config import BrainBackend
from concierge.embedded_brain import EmbeddedBrainService
from concierge.messages_api_server import MessagesApiServer
from concierge.messages_script import ScriptedResponse
from concierge.session import ConciergeCall

SUNDAY = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def _shape(frames: list[Frame]) -> list[str]:
    """Frame type names with runs of LLMTextFrame collapsed (token counts differ by brain)."""
    out: list[str] = []
    for f in frames:
        name = type(f).__name__
        if isinstance(f, LLMServiceMetadataFrame) or (out and name == out[-1] == "LLMTextFrame"):
            continue
        out.append(name)
    return out


async def test_embedded_and_claude_emit_the_same_frames(call: ConciergeCall, api_server: MessagesApiServer) -> None:
    ctx = new_context(call.workspace)
    ctx.add_message({"role": "user", "content": "i was charged twice on my invoice"})
    embedded = EmbeddedBrainService(call=call)
    down_e, up_e = await run_test(embedded, frames_to_send=[LLMContextFrame(context=ctx)])

    claude_call = ConciergeCall(
        call_id="call-claude",
        workspace=call.workspace,
        audit=MemoryAuditSink(),
        control=RecordingCallControl(),
        clock=call.clock,
    )
    claude_call.workspace.brain.base_url = api_server.base_url
    api_server.enqueue(
        ScriptedResponse.tool_use(
            "propose_transfer", {"department": "billing", "reason": "double charge"}, text="Sure, one moment."
        )
    )
    claude = ClaudeBrainService(call=claude_call, api_key="test-key")
    down_c, up_c = await run_test(claude, frames_to_send=[LLMContextFrame(context=ctx)])
    assert _shape(list(down_e)) == _shape(list(down_c))
    assert _shape(list(up_e)) == _shape(list(up_c))
    assert "FunctionCallResultFrame" in _shape(list(down_e))
    assert isinstance(call.control, RecordingCallControl) and isinstance(claude_call.control, RecordingCallControl)
    assert [a.department for a in call.control.transfers] == [a.department for a in claude_call.control.transfers]


async def _converse(call: ConciergeCall, ctx: LLMContext, *utterances: str) -> None:
    pair = LLMContextAggregatorPair(ctx)
    pipeline = Pipeline([pair.user(), EmbeddedBrainService(call=call), pair.assistant()])
    frames: list[Frame] = []
    for u in utterances:
        frames += [LLMMessagesAppendFrame(messages=[{"role": "user", "content": u}], run_llm=True), SleepFrame(0.15)]
    await run_test(pipeline, frames_to_send=frames)
    await call.wait_background()


def _assistant_lines(ctx: LLMContext) -> list[str]:
    return [
        standard_message_text(m) for m in ctx.get_messages()
        if isinstance(m, dict) and m.get("role") == "assistant" and standard_message_text(m)
    ]


async def test_faq_answer_is_quoted_after_the_tool_round_trip(call: ConciergeCall, audit: MemoryAuditSink) -> None:
    ctx = new_context(call.workspace)
    await _converse(call, ctx, "um what are your opening hours")
    assert _assistant_lines(ctx)[-1] == call.workspace.brain.faq[0]["a"]
    turns = audit.of_type(EventType.BRAIN_TURN)
    assert [t.payload["tool_calls"][0]["name"] for t in turns[:1]] == ["answer_from_knowledge_base"]  # type: ignore[index]
    assert len(turns) == 2


async def test_clarify_then_route(call: ConciergeCall, control: RecordingCallControl) -> None:
    ctx = new_context(call.workspace)
    await _converse(call, ctx, "hi i have a question about something", "i want to buy a new phone plan")
    lines = _assistant_lines(ctx)
    assert lines[0].endswith("?")
    assert [a.department for a in control.transfers] == ["sales"]


async def test_denied_transfer_is_explained_to_the_caller(call: ConciergeCall, control: RecordingCallControl) -> None:
    call.clock = lambda: SUNDAY
    ctx = new_context(call.workspace)
    await _converse(call, ctx, "how much does the premium plan cost to upgrade")
    assert not control.transfers
    assert "closed right now" in _assistant_lines(ctx)[-1]


async def test_human_request_opts_out_and_leaves_the_ai_loop(
    call: ConciergeCall, control: RecordingCallControl, audit: MemoryAuditSink
) -> None:
    ctx = new_context(call.workspace)
    await _converse(call, ctx, "representative. no ai please", "my bill is wrong")
    assert control.of(CallAction.TO_IVR)[0].text == "caller_requested_human"
    assert call.state.opted_out and call.handed_off
    assert audit.of_type(EventType.OPTOUT_APPLIED)[0].durable
    assert not control.transfers  # the second utterance never reached the brain's routing
    assert len(audit.of_type(EventType.BRAIN_TURN)) == 1


async def test_brain_turn_latency_is_within_budget(call: ConciergeCall, audit: MemoryAuditSink) -> None:
    ctx = new_context(call.workspace)
    await _converse(call, ctx, "my internet is not working", "thanks that's all goodbye")
    latencies = sorted(int(t.payload["latency_ms"]) for t in audit.of_type(EventType.BRAIN_TURN))  # type: ignore[call-overload]
    # The transfer executed on the first turn: the call left the AI, so the goodbye gets no brain turn.
    assert len(latencies) == 1 and latencies[0] <= 10  # routing plus frame pushes, inside a live pipeline


def test_build_brain_picks_backend(call: ConciergeCall) -> None:
    assert isinstance(build_brain(call, env={}), EmbeddedBrainService)
    call.workspace.brain.backend = BrainBackend.ANTHROPIC
    assert isinstance(build_brain(call, env={}), EmbeddedBrainService)  # no key: stay offline
    assert isinstance(build_brain(call, env={"ANTHROPIC_API_KEY": "k"}), ClaudeBrainService)
