"""A replayed call against its fixture's ``expect:`` block: PASS or FAIL, and why.

    verdict = judge(scenario.expect, result)     # Verdict(passed=..., failures=[...])

What is checked, from what every replay path fills in (:class:`~voice.testing.results.CallResult`:
the tokenized rows, gate decisions, transfers and audit event types):

- ``department``: the concierge proposed a transfer to it (``propose_transfer``); ``null``: to none.
  Whether the gate then allowed it depends on the hours at the time of the run, so it is not checked.
- ``needs_approval``: the gate asked for a human (a ``needs_approval`` decision), or did not.
- ``events``: ``transfer.proposed`` (its department), ``needs_approval``, ``clarifying_question`` (a
  reply that asks), ``human_request`` (the caller's request for a person was heard), ``no_speech``
  (no caller text, nothing proposed). ``barge_in`` is what the caller does, not an outcome.
- ``pii``: each type became a token in the caller's text, and no stretch of the value shows in any
  row (:mod:`redaction.leaks`). A failure names the type, never the value.
- and, always: no brain turn failed (``brain.failed``).

A scenario without ``expect:`` (a plain recording) passes when no brain turn failed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from redaction.leaks import longest_leak
from voice.testing.results import CallResult

_PROPOSED = re.compile(r"propose_transfer\([^)]*department='([a-z][a-z0-9_]*)'")
_TOKEN = re.compile(r"\[([A-Z_]+)_\d+\]")
#: A fixture's PII type (fixtures/make_fixtures.py, Presidio's names) -> the token kind the
#: redaction stage writes for it (redaction.entities.EntityType); other types are their own kind.
FIXTURE_TYPES = {"US_SSN": "SSN", "PHONE_NUMBER": "PHONE", "DATE_OF_BIRTH": "DOB"}
#: Events of a fixture's ``expect:`` that are the caller's doing, not the system's.
CALLER_EVENTS = frozenset({"barge_in"})


@dataclass
class Verdict:
    passed: bool
    failures: list[str] = field(default_factory=list)
    checked: bool = True  # False: the scenario had no expect: block

    @property
    def label(self) -> str:
        return "PASS" if self.passed else "FAIL"

    def as_json(self) -> dict[str, Any]:
        return {"verdict": self.label, "checked_expect": self.checked, "failures": list(self.failures)}


def proposed_departments(result: CallResult) -> list[str]:
    return [m.group(1) for row in result.rows for m in _PROPOSED.finditer(row.tools)]


def judge(expect: dict[str, Any] | None, result: CallResult) -> Verdict:
    """The scenario's verdict: every expectation of ``expect`` met by ``result``."""
    failures: list[str] = []
    failed_turns = result.events.count("brain.failed")
    if failed_turns:
        failures.append(f"the brain failed on {failed_turns} turn(s) (brain.failed in the audit log): check that "
                        "the Messages API is reachable, its key accepted, a stand-in's script long enough")
    if not expect:
        return Verdict(passed=not failures, failures=failures, checked=False)
    proposed = proposed_departments(result)
    decisions = [str(d.get("decision", "")) for d in result.decisions]
    kinds = [str(e.get("event", "")) for e in expect.get("events") or [] if isinstance(e, dict)]

    department = expect.get("department")
    if department and department not in proposed:
        failures.append(f"expected a transfer proposed to {department}, got {_names(proposed)}")
    elif not department and proposed:
        failures.append(f"expected no transfer proposed, got {_names(proposed)}")
    if "needs_approval" in expect:
        asked = "needs_approval" in decisions
        if bool(expect["needs_approval"]) != asked:
            failures.append("expected the gate to ask a supervisor (needs_approval), it did not" if not asked
                            else "the gate asked a supervisor (needs_approval), which was not expected")
    for ev in expect.get("events") or []:
        if isinstance(ev, dict):
            failures += _event_failures(ev, result, proposed, kinds)
    failures += _pii_failures(expect.get("pii") or [], result)
    return Verdict(passed=not failures, failures=failures)


def _names(departments: list[str]) -> str:
    return ", ".join(sorted(set(departments))) or "none"


def _event_failures(ev: dict[str, Any], result: CallResult, proposed: list[str], kinds: list[str]) -> list[str]:
    kind = str(ev.get("event", ""))
    tools = " ".join(row.tools for row in result.rows)
    if kind == "transfer.proposed":
        dept = ev.get("department")
        if dept and dept not in proposed:
            return [f"event transfer.proposed: nothing proposed to {dept}"]
    elif kind == "clarifying_question":
        if not any("?" in row.reply for row in result.rows):
            return ["event clarifying_question: no reply asked the caller a question"]
    elif kind == "human_request":
        if "caller_requests_human" not in tools:
            return ["event human_request: the caller's request for a person was not taken (caller_requests_human)"]
    elif kind == "no_speech":
        if any(row.caller for row in result.rows) or proposed or result.transfers:
            return ["event no_speech: the silent call produced caller text or a transfer"]
    elif kind not in CALLER_EVENTS and kind != "needs_approval":  # needs_approval: checked above
        return [f"event {kind or '?'}: not a kind replay can check"]
    return []


def _pii_failures(entities: list[Any], result: CallResult) -> list[str]:
    out: list[str] = []
    caller_text = " ".join(row.caller for row in result.rows)
    seen = {m.group(1) for m in _TOKEN.finditer(caller_text)}
    shown = " ".join(f"{row.caller} {row.reply} {row.tools}" for row in result.rows)
    for ent in entities:
        if not isinstance(ent, dict):
            continue
        kind = str(ent.get("type", "?"))
        token = FIXTURE_TYPES.get(kind, kind)
        if token not in seen:
            out.append(f"pii {kind}: no [{token}_n] token in the caller's text")
        digits = re.sub(r"\D", "", str(ent.get("value", "")))
        if len(digits) >= 3 and longest_leak(shown, digits, last_four_ok=len(digits) >= 9):
            out.append(f"pii {kind}: part of the value shows in the call's rows")
    return out
