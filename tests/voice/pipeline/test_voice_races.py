"""The lone 0 (the opt-out key) against an allowed transfer, in a whole in-process call.

Pressed while the transfer waits for the caller to be quiet, the IVR takes the call and the transfer
does not run. Pressed as the transport executes the transfer, the transfer stands and the IVR does
not take the transferred call (before the call authority, the IVR played its menu on the transferred
call and the opt-out was applied after the transfer). ``dialphone bench races`` runs each 200 times."""

from __future__ import annotations

import pytest

from voice.pipeline.engines import Engines
from voice.testing.races import zero_key_race

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_zero_key_during_the_quiet_wait_stops_the_transfer(engines: Engines) -> None:
    outcome = await zero_key_race(engines, "zero_key_during_quiet_wait")
    assert outcome.violations == [], (outcome.actions, [n for n, _ in outcome.events])
    names = [n for n, _ in outcome.events]
    assert "optout.applied" in names and "transfer.executed" not in names
    decided = [d for n, d in outcome.events if n == "transfer.decided"]
    assert [d["decision"] for d in decided] == ["allow", "deny"]  # withdrawn, on the record
    # withdrawn at the moment it would run (the call's state) or when the IVR's take-over cut the wait
    assert decided[-1]["rule_id"] in ("caller_opted_out", "caller_continued")


async def test_zero_key_while_the_transfer_runs_leaves_the_transferred_call_alone(engines: Engines) -> None:
    outcome = await zero_key_race(engines, "zero_key_while_transferring")
    assert outcome.violations == [], (outcome.actions, [n for n, _ in outcome.events])
    names = [n for n, _ in outcome.events]
    assert "transfer.executed" in names and "optout.applied" not in names
    assert [a for a, _ in outcome.actions] == ["transfer"]
