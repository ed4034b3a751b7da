"""What a remote peer may see of its own call: tokenized turns, routing decisions, transfers.

:class:`CallReporter` watches a running :class:`~voice.pipeline.session.CallSession`'s log and sends each
change as a small JSON-able dict (the browser page shows them live over the WebRTC data channel;
the replay client asks for them over a media stream). Everything here is tokenized: the caller
text comes from the redaction stage, never from ASR.

    {"type": "dialphone.call", "state": "started", "ai": true}          (first; false: the plain IVR)
    {"type": "dialphone.turn", "turn": 1, "caller": "...", "reply": "...", "tools": "...",
     "decision": "...", "endpoint_ms": .., "asr_ms": .., "asr_queue_ms": .., "asr_batch": ..,
     "brain_ms": .., "tts_ms": ..}
    {"type": "dialphone.decision", "department": "billing", "decision": "allow", "rule_id": "..."}

Transfers go out from the transport's call control itself, at the moment they happen.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger("dialphone.transports.report")

Send = Callable[[dict[str, Any]], Awaitable[None]]
DECISION_FIELDS = ("department", "decision", "rule_id")
_DEPARTMENT = re.compile(r"propose_transfer\(.*department='([a-z][a-z0-9_]*)'")


def proposed_department(session: Any) -> str | None:
    """The department of the call's latest ``propose_transfer`` tool call (a decision event names
    its proposal, not the department)."""
    for rec in reversed(session.log.turns):
        for call in reversed(rec.tool_calls):
            m = _DEPARTMENT.search(call)
            if m:
                return m.group(1)
    return None


def turn_rows(session: Any) -> list[dict[str, Any]]:
    """The call's turns as the replay table shows them (tokenized caller text)."""
    rows: list[dict[str, Any]] = []
    for n, rec in enumerate(session.log.turns, 1):
        t = rec.timing
        rows.append(
            {
                "type": "dialphone.turn",
                "turn": n,
                "caller": rec.caller_text,
                "reply": rec.reply.strip(),
                "tools": "; ".join(rec.tool_calls),
                "decision": rec.decision,
                "endpoint_ms": round(t.endpoint_wait_ms, 1) if t else 0.0,
                "asr_ms": round(t.asr_wait_ms, 1) if t else 0.0,
                "asr_queue_ms": round(t.asr_queue_ms, 1) if t else 0.0,  # of asr_ms, waiting for a lane
                "asr_batch": t.asr_batch if t else 0,
                "brain_ms": round(rec.brain_ms, 1),
                "tts_ms": round(rec.tts_first_ms, 1),
                # when the turn ended, in seconds since the call was set up: lets a remote caller
                # match its own turns to these rows (its clock started when it sent ``start``)
                "ended_s": round(t.ended_at - session.started_at, 3) if t else None,
            }
        )
    return rows


def final_report(session: Any) -> dict[str, Any]:
    """Everything a replay needs at the end of the call."""
    return {
        "type": "dialphone.report",
        "turns": turn_rows(session),
        "transfers": [list(t) for t in session.log.transfers],
        "events": list(session.log.events),
        "decisions": [{k: d.get(k) for k in DECISION_FIELDS} for d in session.log.decisions],
        "asr_invocations": int(getattr(session.turns, "asr_invocations", 0)),
        "ai": bool(getattr(session, "ai", True)),
    }


class CallReporter:
    """Polls the session log every ``interval_s`` and sends what changed (turns, decisions).

    Transfers are not its business: the transport's call control sends them when they happen."""

    def __init__(self, session: Any, send: Send, *, interval_s: float = 0.1) -> None:
        self._session = session
        self._send = send
        self._interval = interval_s
        self._sent_turns: dict[int, dict[str, Any]] = {}
        self._sent_decisions = 0
        self._sent_call = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"report-{self._session.call_id}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.flush()

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.flush()
            except Exception as exc:  # a closed peer must not end the call
                log.debug("call report not sent: %s", type(exc).__name__)

    async def flush(self) -> None:
        if not self._sent_call:
            self._sent_call = True
            await self._send({"type": "dialphone.call", "state": "started", "ai": bool(getattr(self._session, "ai", True))})
        for row in turn_rows(self._session):
            n = int(row["turn"])
            if row["caller"] and self._sent_turns.get(n) != row:
                self._sent_turns[n] = row
                await self._send(row)
        decisions = self._session.log.decisions
        while self._sent_decisions < len(decisions):
            d = decisions[self._sent_decisions]
            self._sent_decisions += 1
            msg = {"type": "dialphone.decision", **{k: d.get(k) for k in DECISION_FIELDS}}
            msg["department"] = msg.get("department") or proposed_department(self._session)
            await self._send(msg)
