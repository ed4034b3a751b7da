"""The DTMF menu state machine: routes, invalid keys, timeouts, repeats, closed teams, consent."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from concierge.config import Transport, Workspace, load_workspace
from voice.ivr.menu import (
    REMEMBER_DIGIT,
    ArmTimer,
    Hangup,
    MenuMachine,
    MenuState,
    Play,
    Prompt,
    Remember,
    Route,
    option_key,
)

REPO = Path(__file__).resolve().parents[3]
SAT_NOON_NY = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # sales open (Sat 10-16 New York)
SUN_NY = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)  # sales closed on Sundays


@pytest.fixture
def ws() -> Workspace:
    return load_workspace(REPO / "examples" / "workspace.yaml", env={})


def machine(ws: Workspace, *, transport: Transport = Transport.SIP, when: datetime = SAT_NOON_NY, **kw: bool) -> MenuMachine:
    return MenuMachine(ws, transport=transport, clock=lambda: when, **kw)


def test_start_plays_greeting_and_every_option_then_arms_the_timer(ws: Workspace) -> None:
    m = machine(ws)
    actions = m.start()
    assert actions[0] == Play((Prompt.GREETING, *(option_key(d) for d in "12345")))
    assert actions[1] == ArmTimer(ws.ivr.timeout_s)
    assert m.state is MenuState.WAITING


@pytest.mark.parametrize(
    ("transport", "digit", "department", "target"),
    [
        (Transport.SIP, "1", "billing", "sip:billing@127.0.0.1:5070"),
        (Transport.WS, "2", "technical_support", "queue:support"),
        (Transport.INPROC, "4", "clinical", "clinical"),
    ],
)
def test_a_valid_digit_routes_to_the_same_target_the_ai_would_use(
    ws: Workspace, transport: Transport, digit: str, department: str, target: str
) -> None:
    m = machine(ws, transport=transport)
    m.start()
    assert m.digit(digit) == [Route(digit, department, target)]
    assert m.state is MenuState.ROUTED
    assert m.digit("1") == []  # routed: later keys do nothing


def test_invalid_keys_replay_the_menu_until_the_repeats_run_out(ws: Workspace) -> None:
    m = machine(ws)
    m.start()
    menu = tuple(option_key(d) for d in "12345")
    for _ in range(ws.ivr.repeats):
        assert m.digit("7") == [Play((Prompt.INVALID, *menu), interrupt=True), ArmTimer(ws.ivr.timeout_s)]
    assert m.digit("#") == [Play((Prompt.INVALID, Prompt.GOODBYE), interrupt=True), Hangup("ivr_no_selection")]
    assert m.state is MenuState.ENDED


def test_timeouts_repeat_the_menu_then_say_goodbye(ws: Workspace) -> None:
    ws = ws.model_copy(update={"ivr": ws.ivr.model_copy(update={"repeats": 1})})
    m = machine(ws)
    m.start()
    assert m.timeout() == [Play(tuple(option_key(d) for d in "12345")), ArmTimer(ws.ivr.timeout_s)]
    assert m.timeout() == [Play((Prompt.GOODBYE,)), Hangup("ivr_no_selection")]
    assert m.timeout() == []


def test_a_closed_department_is_announced_and_the_menu_goes_on(ws: Workspace) -> None:
    m = machine(ws, when=SUN_NY)
    m.start()
    actions = m.digit("3")  # sales: closed on Sunday
    assert isinstance(actions[0], Play) and actions[0].prompts[0] is Prompt.CLOSED
    assert m.state is MenuState.WAITING
    assert m.digit("1")[0] == Route("1", "billing", "sip:billing@127.0.0.1:5070")


def test_a_disabled_department_is_not_routed_to(ws: Workspace) -> None:
    depts = [d.model_copy(update={"enabled": d.name != "billing"}) for d in ws.departments]
    m = machine(ws.model_copy(update={"departments": depts}))
    m.start()
    assert m.digit("1")[0] == Play((Prompt.CLOSED, *(option_key(d) for d in "12345")), interrupt=True)


def test_consent_option_is_offered_only_when_asked_and_only_once(ws: Workspace) -> None:
    m = machine(ws, offer_remember=True)
    assert m.start()[0] == Play((Prompt.GREETING, *(option_key(d) for d in "12345"), Prompt.REMEMBER_OFFER))
    actions = m.digit(REMEMBER_DIGIT)
    assert actions[0] == Remember()
    assert actions[1] == Play((Prompt.REMEMBERED, *(option_key(d) for d in "12345")), interrupt=True)
    assert m.digit(REMEMBER_DIGIT)[0] == Play((Prompt.INVALID, *(option_key(d) for d in "12345")), interrupt=True)
    plain = machine(ws)
    plain.start()
    assert plain.digit(REMEMBER_DIGIT)[0].prompts[0] is Prompt.INVALID  # type: ignore[union-attr]


def test_a_lead_in_plays_before_the_greeting(ws: Workspace) -> None:
    m = machine(ws)
    assert m.start(lead_in=("lead_in:dtmf_0",))[0].prompts[:2] == ("lead_in:dtmf_0", Prompt.GREETING)  # type: ignore[union-attr]
