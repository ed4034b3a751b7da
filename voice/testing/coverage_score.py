"""Scoring the audit log against what happened (the audit-coverage evaluation's arithmetic, no I/O).

Inputs: the workspace's audit rows (as :meth:`audit.events.AuditRecord.to_dict` gives them), what the
tap counted per call (:class:`voice.testing.coverage_tap.ActionTap`), the approval requests the queue
received, and per evaluation pass the transfers the far side saw. Output, :class:`Coverage`:

- ``ai_actions``: every AI action that happened (transcripts, brain turns, tool calls the model asked
  for, transfer proposals, approval requests, opt-outs applied, transfers the far side received);
- ``logged``: how many of them have their row (per call and kind, at most as many as happened);
- ``with_model_version``: brain turns carrying the model id the API returned, and transfer proposals
  traceable to such a turn (the last turn that proposed that department; of all brain turns and
  proposals; a turn cut before the model answered anything has no returned id and is not counted);
- ``with_approver_where_required``: approval requests whose decision row names the approver the
  queue recorded (the supervisor, ``timeout`` or ``call_ended``);
- ``orphans``: rows outside their call's ``call.started`` .. ``call.ended``, calls never ended,
  decisions or executions without their proposal, turns whose prompt row is missing;
- ``transfers_after_optout`` and ``transfers_without_required_decision`` (targets: 0).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass
class PassTruth:
    """One evaluation pass (a brain, a transport): its calls and what its far side saw."""

    name: str
    call_ids: set[str] = field(default_factory=set)
    far_transfers: int = 0
    model_requests: int = 0
    call_errors: int = 0


@dataclass
class Coverage:
    ai_actions: int = 0
    logged: int = 0
    with_model_version: int = 0
    model_version_of: int = 0
    with_approver_where_required: int = 0
    approver_required: int = 0
    orphans: int = 0
    transfers_after_optout: int = 0
    transfers_without_required_decision: int = 0
    by_kind: dict[str, list[int]] = field(default_factory=dict)  # kind -> [happened, logged]
    by_pass: dict[str, dict[str, Any]] = field(default_factory=dict)
    orphan_kinds: Counter[str] = field(default_factory=Counter)
    calls: int = 0
    unanswered_turns: int = 0  # turns a barge-in cut before the model answered anything
    gaps: list[dict[str, Any]] = field(default_factory=list)  # where something happened and was not logged

    def add(self, kind: str, happened: int, logged: int) -> None:
        cell = self.by_kind.setdefault(kind, [0, 0])
        cell[0] += happened
        cell[1] += min(happened, logged)
        self.ai_actions += happened
        self.logged += min(happened, logged)

    def as_dict(self) -> dict[str, Any]:
        def pct(a: int, b: int) -> float:
            return round(100.0 * a / b, 2) if b else 100.0

        return {
            "ai_actions": self.ai_actions,
            "logged": self.logged,
            "logged_pct": pct(self.logged, self.ai_actions),
            "with_model_version": self.with_model_version,
            "with_model_version_of": self.model_version_of,
            "with_model_version_pct": pct(self.with_model_version, self.model_version_of),
            "turns_cut_before_the_model_answered": self.unanswered_turns,
            "with_approver_where_required": self.with_approver_where_required,
            "approver_required": self.approver_required,
            "with_approver_pct": pct(self.with_approver_where_required, self.approver_required),
            "orphans": self.orphans,
            "orphan_kinds": dict(self.orphan_kinds),
            "transfers_after_optout": self.transfers_after_optout,
            "transfers_without_required_decision": self.transfers_without_required_decision,
            "calls": self.calls,
            "by_kind": {k: {"happened": v[0], "logged": v[1]} for k, v in sorted(self.by_kind.items())},
            "by_pass": self.by_pass,
            "gaps": self.gaps,
        }


def _by_call(rows: Iterable[Row]) -> dict[str, list[Row]]:
    out: defaultdict[str, list[Row]] = defaultdict(list)
    for r in rows:
        if r.get("call_id"):
            out[str(r["call_id"])].append(r)
    for rs in out.values():
        rs.sort(key=lambda r: int(r["seq"]))
    return out


def _logged_counts(rows: list[Row]) -> Counter[str]:
    c: Counter[str] = Counter()
    proposed = {r["payload"].get("proposal_id") for r in rows if r["type"] == "transfer.proposed"}
    decided = {r["payload"].get("proposal_id") for r in rows if r["type"] == "transfer.decided"}
    for r in rows:
        t, p = r["type"], r["payload"]
        if t == "asr.transcribed" or (t == "redaction.withheld" and p.get("stage") == "caller_turn"):
            c["transcript"] += 1
        elif t in ("brain.turn", "brain.failed"):
            c["inference"] += 1
            if t == "brain.turn":
                c["tool_call"] += len(p.get("tool_calls") or [])
        elif t == "optout.applied" and p.get("scope") == "mid_call":
            c["optout"] += 1
    c["proposal"] = len(proposed & decided)
    return c


def _orphans(rows: list[Row], cov: Coverage) -> None:
    types = [r["type"] for r in rows]
    starts = [i for i, t in enumerate(types) if t == "call.started"]
    ends = [i for i, t in enumerate(types) if t == "call.ended"]
    if not starts:
        cov.orphan_kinds["no_call_started"] += len(rows)
    elif starts[0] != 0:
        cov.orphan_kinds["before_call_started"] += starts[0]
    if not ends:
        cov.orphan_kinds["call_never_ended"] += 1
    elif ends[-1] != len(rows) - 1:
        cov.orphan_kinds["after_call_ended"] += len(rows) - 1 - ends[-1]
    proposed = {r["payload"].get("proposal_id") for r in rows if r["type"] == "transfer.proposed"}
    prompts = {r["payload"].get("sha256") for r in rows if r["type"] == "brain.prompt"}
    for r in rows:
        t, p = r["type"], r["payload"]
        if t in ("transfer.decided", "transfer.executed", "transfer.failed") and p.get("proposal_id") not in proposed:
            cov.orphan_kinds[f"{t}_without_proposal"] += 1
        if t == "brain.turn" and p.get("prompt_sha256") and p["prompt_sha256"] not in prompts:
            cov.orphan_kinds["turn_without_prompt_row"] += 1


def _decisions(rows: list[Row], cov: Coverage, approvals: Mapping[str, str]) -> None:
    """Model ids on turns and proposals; approvers; transfers after an opt-out or without the decision."""
    proposing: dict[str, bool] = {}  # department -> the last turn that proposed it carried the model id
    opted_out = False
    history: defaultdict[str, list[Row]] = defaultdict(list)
    for r in rows:
        t, p = r["type"], r["payload"]
        if t == "brain.turn":
            calls = p.get("tool_calls") or []
            if p.get("status") == "interrupted" and not p.get("output") and not calls:
                cov.unanswered_turns += 1  # cut before the model answered: there is no returned id to record
                continue
            cov.model_version_of += 1
            ok = bool(p.get("model_returned")) and bool(p.get("model_version"))
            cov.with_model_version += ok
            if not ok:
                cov.gaps.append({"kind": "model_version", "call_id": r.get("call_id"), "status": p.get("status"),
                                 "model": p.get("model"), "tool_calls": [c.get("name") for c in calls]})
            for c in calls:
                if c.get("name") == "propose_transfer":
                    proposing[str((c.get("arguments") or {}).get("department"))] = ok
        elif t == "transfer.proposed":
            cov.model_version_of += 1
            cov.with_model_version += proposing.get(str(p.get("department")), False)
        elif t == "optout.applied":
            opted_out = True
        elif t == "transfer.decided":
            history[str(p.get("proposal_id"))].append(p)
        elif t == "transfer.executed":
            cov.transfers_after_optout += opted_out
            decided = history.get(str(p.get("proposal_id")), [])
            needed = any(d.get("decision") == "needs_approval" for d in decided)
            last = decided[-1] if decided else {}
            ok = last.get("decision") == "allow" and (not needed or last.get("rule_id") == "supervisor_approved")
            cov.transfers_without_required_decision += not ok
    for pid, approver in approvals.items():
        if pid not in history:
            continue  # the request's call is not one of these rows
        decided = history[pid]
        cov.approver_required += 1
        after = decided[1:] if decided and decided[0].get("decision") == "needs_approval" else decided
        cov.with_approver_where_required += any(d.get("approver") == approver for d in after)


def score(rows: Iterable[Row], truth: Mapping[str, Counter[str]], passes: Iterable[PassTruth],
          approvals: Mapping[str, str]) -> Coverage:
    """``truth``: call id -> tap counts; ``approvals``: proposal id -> the approver the queue recorded."""
    cov = Coverage()
    by_call = _by_call(rows)
    requested = Counter({pid: 1 for pid in approvals})
    for p in passes:
        cell: dict[str, Any] = {"calls": len(p.call_ids), "call_errors": p.call_errors,
                                "model_requests": p.model_requests}
        happened = logged = 0
        executed = 0
        for cid in sorted(p.call_ids):
            rows_of = by_call.get(cid, [])
            cov.calls += 1
            counts = truth.get(cid, Counter())
            got = _logged_counts(rows_of)
            pids = {r["payload"].get("proposal_id") for r in rows_of if r["type"] == "transfer.proposed"}
            asked = sum(requested[pid] for pid in pids if pid in requested)
            answered = sum(1 for pid in pids if pid in approvals and _answered(rows_of, pid, approvals[pid]))
            for kind, n in [*counts.items(), ("approval", asked)]:
                logged_n = answered if kind == "approval" else got.get(kind, 0)
                cov.add(kind, n, logged_n)
                if logged_n < n:
                    cov.gaps.append({"pass": p.name, "call_id": cid, "kind": kind, "happened": n, "logged": logged_n,
                                     "events": [r["type"] for r in rows_of]})
                happened += n
                logged += min(n, logged_n)
            executed += sum(1 for r in rows_of if r["type"] == "transfer.executed")
            _orphans(rows_of, cov)
            _decisions(rows_of, cov, {pid: approvals[pid] for pid in pids if pid in approvals})
        cov.add("transfer", p.far_transfers, executed)
        happened += p.far_transfers
        logged += min(p.far_transfers, executed)
        cell.update(ai_actions=happened, logged=logged, far_transfers=p.far_transfers, transfers_executed=executed)
        cov.by_pass[p.name] = cell
    cov.orphans = sum(cov.orphan_kinds.values())
    return cov


def _answered(rows: list[Row], pid: str, approver: str) -> bool:
    decided = [r["payload"] for r in rows if r["type"] == "transfer.decided" and r["payload"].get("proposal_id") == pid]
    return any(d.get("decision") == "needs_approval" for d in decided) and any(
        d.get("approver") == approver for d in decided if d.get("decision") != "needs_approval")
