"""The races of one call's authority (voice.testing.races): each once, with no violation.

Against the code before the call authority existed, these fail: a transfer ran after the caller
opted out, the IVR and a transfer both took the call, two transfers went out for one call, a
transfer went out after the call was hung up. ``dialphone bench races`` runs each 200 times.
"""

from __future__ import annotations

import pytest

from concierge.config import Workspace
from voice.testing.races import RACES, violations


@pytest.mark.parametrize("race", sorted(RACES))
async def test_race_has_no_violation(workspace: Workspace, race: str) -> None:
    outcome = await RACES[race](workspace)
    assert outcome.violations == [], (race, outcome.actions, [n for n, _ in outcome.events])
    acted = [a for a, _ in outcome.actions]
    assert acted, "something acted on the call"  # the race was run, not skipped


async def test_one_of_two_tools_wins_and_the_other_is_refused(workspace: Workspace) -> None:
    outcome = await RACES["tools_transfer_and_human"](workspace)
    acted = [a for a, _ in outcome.actions]
    assert acted in (["transfer"], ["to_ivr"])


async def test_opt_out_during_the_wait_stops_the_transfer(workspace: Workspace) -> None:
    outcome = await RACES["brain_failure_during_quiet_wait"](workspace)
    assert [a for a, _ in outcome.actions] == ["to_ivr"]
    decided = [d for n, d in outcome.events if n == "transfer.decided"]
    assert [d["decision"] for d in decided] == ["allow", "deny"]  # withdrawn, on the record
    assert decided[-1]["rule_id"] == "call_handed_off"


def test_the_checker_names_each_violation() -> None:
    ev = "event"
    items = [
        (ev, "transfer.proposed", {"proposal_id": "p"}),
        (ev, "transfer.decided", {"proposal_id": "p", "decision": "allow"}),
        (ev, "optout.applied", {}),
        ("action", "to_ivr", {"reason": "x"}),
        ("action", "transfer", {"department": "billing"}),
        (ev, "transfer.executed", {"proposal_id": "p"}),
        ("action", "hangup", {"reason": "done"}),
        ("action", "transfer", {"department": "sales"}),
        (ev, "transfer.executed", {"proposal_id": "q"}),
    ]
    assert violations(items) == ["executed_without_decision", "transfer_after_hangup", "transfer_after_optout",
                                 "transfer_and_ivr", "two_transfers"]
    assert violations(items[:2]) == []
