"""The call's state machine (concierge.authority): one mode at a time, one place that changes it,
every action checked at the moment it runs, actions of one call one at a time."""

from __future__ import annotations

import asyncio

import pytest

from concierge.audit_sink import EventType, MemoryAuditSink
from concierge.authority import ALLOWED, TRANSITIONS, Action, CallAuthority, CallMode
from concierge.call_control import CallAction, RecordingCallControl
from concierge.exceptions import CallStateError
from concierge.gate import RuleId
from concierge.session import ConciergeCall


def test_moves_follow_the_table_and_only_inside_an_action() -> None:
    auth = CallAuthority()
    with pytest.raises(CallStateError, match="outside an action"):
        auth.move(CallMode.IVR, "x")

    async def run() -> None:
        async with auth.acting(Action.TRANSFER) as permit:
            assert permit and permit.mode is CallMode.AI
            auth.move(CallMode.TRANSFERRING, "transfer")
            auth.move(CallMode.HANDED_OFF, "confirmed")
            with pytest.raises(CallStateError, match="no transition"):
                auth.move(CallMode.AI, "back")

    asyncio.run(run())
    assert auth.transfers_executed == 1
    assert [t.after for t in auth.history] == [CallMode.TRANSFERRING, CallMode.HANDED_OFF]
    assert auth.end("bye") and auth.mode is CallMode.ENDED
    assert not auth.end("again") and auth.history[-1].reason == "bye"


def test_every_mode_says_what_may_run_in_it() -> None:
    assert set(TRANSITIONS) == set(CallMode) == set(ALLOWED)
    assert TRANSITIONS[CallMode.ENDED] == frozenset()
    auth = CallAuthority(mode=CallMode.IVR, opted_out=True)
    assert auth.refusal(Action.TRANSFER) is RuleId.CALLER_OPTED_OUT
    assert auth.refusal(Action.IVR_ROUTE) is None
    assert auth.refusal(Action.TO_IVR) is RuleId.CALLER_OPTED_OUT
    assert CallAuthority(mode=CallMode.HANDED_OFF).refusal(Action.TO_IVR) is RuleId.CALL_HANDED_OFF
    assert CallAuthority().refusal(Action.IVR_ROUTE) is RuleId.CALL_HANDED_OFF


async def test_a_failed_transfer_goes_back_where_it_came_from() -> None:
    auth = CallAuthority(mode=CallMode.IVR)
    async with auth.acting(Action.IVR_ROUTE):
        auth.move(CallMode.TRANSFERRING, "ivr_route")
        assert auth.back("failed") and auth.mode is CallMode.IVR
    assert auth.transfers_executed == 0


async def test_actions_of_one_call_run_one_at_a_time_and_the_lock_is_reentrant() -> None:
    auth = CallAuthority()
    order: list[str] = []

    async def slow(name: str) -> None:
        async with auth.acting(Action.SAY):
            order.append(f"{name}-in")
            async with auth.acting(Action.SAY):  # the same task may act again inside
                await asyncio.sleep(0.01)
            order.append(f"{name}-out")

    await asyncio.gather(slow("a"), slow("b"))
    assert order == ["a-in", "a-out", "b-in", "b-out"]


async def test_ending_needs_no_lock_and_wins_over_an_action_in_flight() -> None:
    auth = CallAuthority()
    entered = asyncio.Event()

    async def transfer() -> bool:
        async with auth.acting(Action.TRANSFER):
            auth.move(CallMode.TRANSFERRING, "transfer")
            entered.set()
            await asyncio.sleep(0.02)
            return auth.move(CallMode.HANDED_OFF, "confirmed")

    task = asyncio.create_task(transfer())
    await entered.wait()
    assert auth.end("caller_hangup")
    assert await task is False and auth.mode is CallMode.ENDED


async def test_call_actions_check_the_state_when_they_run(call: ConciergeCall, control: RecordingCallControl,
                                                          audit: MemoryAuditSink) -> None:
    assert await call.to_ivr("caller_requested_human", trigger="caller_requested_human")
    assert call.state.opted_out and call.handed_off and call.authority.mode is CallMode.IVR
    assert not await call.to_ivr("again")  # already the IVR's: nothing happens twice
    assert not await call.hangup("caller_done")  # the brain may not hang up an IVR call
    assert not await call.say("hello")
    assert await call.ivr_route("billing", "billing")
    assert call.authority.mode is CallMode.HANDED_OFF
    assert not await call.ivr_route("sales", "sales")
    assert [a.action for a in control.actions] == [CallAction.TO_IVR, CallAction.TRANSFER]
    assert audit.of_type(EventType.OPTOUT_APPLIED)[0].durable
    await call.close()
    assert call.authority.mode is CallMode.ENDED
