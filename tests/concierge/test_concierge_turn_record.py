"""Every brain turn on the record: what the model saw (the message list as sent, the request's hash,
the system prompt and tools once per call), the model id the API answered with beside the configured
one, written durably before any tool it asked for acts on the call, and a turn cut by a barge-in
recorded as interrupted with the tool calls it had started. The workspace's own numbers pass."""

from __future__ import annotations

from pipecat.frames.frames import InterruptionFrame, LLMContextFrame
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.tests.utils import SleepFrame, run_test

from concierge.audit_adapter import SchemaCheckedMemorySink
from concierge.audit_sink import EventType, MemoryAuditSink
from concierge.call_control import RecordingCallControl
from concierge.claude_brain import ClaudeBrainService
from concierge.embedded_brain import EMBEDDED_MODEL_ID, EmbeddedBrainService
from concierge.messages_api_server import MessagesApiServer
from concierge.messages_script import ScriptedResponse as S
from concierge.model_input import request_sha256
from concierge.session import ConciergeCall
from concierge.tools import tools_schema
from voice.testing.races import JournalControl, JournalSink, _Journal

DATED = "claude-sonnet-4-5-20250929"


def _brain(call: ConciergeCall, server: MessagesApiServer) -> ClaudeBrainService:
    call.workspace.brain.base_url = server.base_url
    return ClaudeBrainService(call=call, api_key="test-key")


def _ctx(call: ConciergeCall, *texts: str) -> LLMContext:
    return LLMContext(messages=[{"role": "user", "content": t} for t in texts], tools=tools_schema(call.workspace))


async def test_the_turn_records_what_the_model_saw_and_who_answered(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    api_server.enqueue(S.reply("How can I help?", model=DATED))
    await run_test(_brain(call, api_server), frames_to_send=[LLMContextFrame(context=_ctx(call, "hello [PERSON_1]"))])
    (prompt,) = audit.of_type(EventType.BRAIN_PROMPT)
    (turn,) = audit.of_type(EventType.BRAIN_TURN)
    sent = api_server.requests[0].body
    p, t = prompt.payload, turn.payload
    assert t["model"] == "claude-sonnet-4-5" and t["model_returned"] == DATED and t["model_version"] == DATED
    assert t["messages"] == sent["messages"] and t["status"] == "completed"
    assert p["system"] == sent["system"] and p["tools"] == sent["tools"] and t["prompt_sha256"] == p["sha256"]
    # a reader recomputes the request's hash from the two rows
    assert t["input_sha256"] == request_sha256(model=sent["model"], system=str(p["system"]), tools=p["tools"],
                                               messages=t["messages"])


async def test_the_prompt_row_is_written_once_per_call(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink
) -> None:
    api_server.enqueue(S.reply("One."), S.reply("Two."))
    brain = _brain(call, api_server)
    second = _ctx(call, "a")
    second.add_messages([{"role": "assistant", "content": "One."}, {"role": "user", "content": "b"}])
    await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "a")), SleepFrame(0.1),
                                          LLMContextFrame(context=second)])
    assert len(audit.of_type(EventType.BRAIN_PROMPT)) == 1
    turns = audit.of_type(EventType.BRAIN_TURN)
    assert [len(t.payload["messages"]) for t in turns] == [1, 3]  # type: ignore[arg-type]
    assert turns[0].payload["input_sha256"] != turns[1].payload["input_sha256"]


async def test_the_turn_is_durable_before_its_tools_act(call: ConciergeCall, api_server: MessagesApiServer) -> None:
    journal = _Journal()
    call.audit, call.control = JournalSink(journal), JournalControl(journal)
    api_server.enqueue(S.tool_use("propose_transfer", {"department": "billing", "reason": "bill"}, text="Sure."))
    await run_test(_brain(call, api_server), frames_to_send=[LLMContextFrame(context=_ctx(call, "my bill")),
                                                             SleepFrame(0.3)])
    await call.wait_background()
    names = [n for _, n, _ in journal.items]
    assert names.index("brain.turn") < names.index("transfer.proposed") < names.index("transfer")
    assert isinstance(call.audit, MemoryAuditSink)
    (turn,) = call.audit.of_type(EventType.BRAIN_TURN)
    assert turn.durable and turn.payload["tool_calls"][0]["name"] == "propose_transfer"  # type: ignore[index]


async def test_a_barge_in_mid_tool_call_is_recorded_as_interrupted_and_nothing_runs(
    call: ConciergeCall, api_server: MessagesApiServer, audit: MemoryAuditSink, control: RecordingCallControl
) -> None:
    api_server.enqueue(S.tool_use("propose_transfer", {"department": "billing", "reason": "a long reason here"},
                                  chunk_chars=4, event_delay_s=0.05))
    await run_test(_brain(call, api_server), frames_to_send=[
        LLMContextFrame(context=_ctx(call, "my bill")), SleepFrame(0.35), InterruptionFrame(), SleepFrame(0.3)])
    (turn,) = audit.of_type(EventType.BRAIN_TURN)
    assert turn.payload["status"] == "interrupted"
    assert [c["name"] for c in turn.payload["tool_calls"]] == ["propose_transfer"]  # type: ignore[union-attr]
    assert not control.transfers and not audit.of_type(EventType.TRANSFER_PROPOSED)
    assert not audit.of_type(EventType.BRAIN_FAILED)


async def test_a_reply_quoting_the_workspaces_own_number_is_on_the_record(
    call: ConciergeCall, api_server: MessagesApiServer
) -> None:
    call.workspace.brain.faq.append({"q": "What is the pharmacy's number?", "a": "Call our pharmacy at (555) 010-0199."})
    checked = SchemaCheckedMemorySink()  # what it accepts, the real audit log accepts
    # the call registers its workspace's own text with the audit log's raw-data check
    fresh = ConciergeCall(call_id="c-faq", workspace=call.workspace, audit=checked, control=RecordingCallControl())
    api_server.enqueue(S.reply("You can call our pharmacy at 555 010 0199."), S.reply("Call 555 010 0198 then."))
    brain = _brain(fresh, api_server)
    await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(fresh, "pharmacy number?")), SleepFrame(0.1),
                                          LLMContextFrame(context=_ctx(fresh, "pharmacy number?"))])
    turns = checked.of_type(EventType.BRAIN_TURN)
    assert len(turns) == 1 and "555 010 0199" in str(turns[0].payload["output"])
    # a number the workspace does not own is still refused as raw data
    assert [f.payload["error_kind"] for f in checked.of_type(EventType.BRAIN_FAILED)] == ["audit_rejected"]


async def test_the_embedded_brain_records_the_same(call: ConciergeCall, audit: MemoryAuditSink) -> None:
    brain = EmbeddedBrainService(call=call)
    await run_test(brain, frames_to_send=[LLMContextFrame(context=_ctx(call, "i was charged twice on my bill"))])
    await call.wait_background()
    (turn,) = audit.of_type(EventType.BRAIN_TURN)
    assert turn.durable and turn.payload["model_returned"].startswith(EMBEDDED_MODEL_ID)  # type: ignore[union-attr]
    assert turn.payload["messages"] == [{"role": "user", "content": "i was charged twice on my bill"}]
    assert audit.types().index(EventType.BRAIN_TURN) < audit.types().index(EventType.TRANSFER_PROPOSED)
