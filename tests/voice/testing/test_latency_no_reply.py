"""Latency benchmarks count every turn: a turn that expected a reply and got none is a failure."""

from __future__ import annotations

from voice.testing.caller import TurnResult
from voice.testing.replay_cli import _reply_check
from voice.testing.results import CallResult, expects_reply, latency_summary


def test_which_fixture_turns_expect_a_reply() -> None:
    spec = {"turns": [{"events": []}, {"events": [{"event": "transfer.proposed"}]},
                      {"events": [{"event": "clarifying_question"}]}, {"events": [{}], "barge_in": True}]}
    # the first half of a split number waits for nothing; a turn cut short by a barge-in neither
    assert expects_reply(spec) == [False, True, False, True]
    assert expects_reply({"turns": []}) == [False]  # the silence scenario


def test_no_reply_is_counted_and_fails_the_check() -> None:
    answered = CallResult("a", caller_turns=[TurnResult(0, last_voiced_at=1.0, reply_onset_at=1.3)],
                          expects_reply=[True])
    silent = CallResult("b", caller_turns=[TurnResult(0, last_voiced_at=1.0), TurnResult(1, last_voiced_at=3.0)],
                        expects_reply=[True, False])
    summary = latency_summary([answered, silent])
    assert summary["expected_replies"] == 2
    assert summary["no_reply"] == 1 and summary["no_reply_turns"] == ["b#0"]
    assert _reply_check(summary) == 1
    ok = latency_summary([answered])
    assert ok["no_reply"] == 0 and _reply_check(ok) == 0
