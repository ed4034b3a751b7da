"""``dialphone eval boundary``: the privacy boundary under every way of giving a number.

Each call of :func:`redaction.boundary_cases.generate` runs through the real pipeline in process
(caller turns enter where the turn processor hands over final transcripts; keys as DTMF frames; the
concierge's asks as spoken lines), with the Claude brain pointed at the project's local Messages API
server, which records every request body. A **leak** is any of these that holds more of the call's
secret, in order, than the last-four rule allows, whatever the separators (:mod:`redaction.leaks`):

- the bodies of every model request of the call, read as one document;
- the call's rows in the audit export (JSONL, as ``dialphone audit export`` and the admin API give it);
- approval requests as the admin API shows them to a supervisor;
- what the browser caller page is sent (the tokenized transcript);
- every log line written while the call ran (hex ids masked).

``false_positive_rate``: harmless numbers ("2 questions", "3 pm") whose digits did not reach the
model. ``routing_accuracy_delta``: the embedded router's accuracy on the calls' routing requests said
inside the calls minus the same requests said alone in fresh calls.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import (
    FunctionCallResultFrame,
    LLMFullResponseEndFrame,
    LLMTextFrame,
    TTSAudioRawFrame,
    TTSSpeakFrame,
    TTSStoppedFrame,
)
from pipecat.observers.base_observer import BaseObserver, FramePushed

from audit.export import iter_jsonl
from audit.store import RowQuery
from concierge.config import BrainBackend, Transport, Workspace
from concierge.messages_api_server import MessagesApiServer
from redaction.boundary_cases import ROUTING, BoundaryCall, TurnKind
from redaction.boundary_check import harmless_kept, leak_in
from voice.pipeline.engines import Engines
from voice.pipeline.inproc import InprocTransport
from voice.pipeline.session import CallSession
from voice.testing.boundary_model import stand_in_model

ASKS = {
    "CREDIT_CARD": "Could you read me your card number, please?",
    "SSN": "What is your social security number?",
    "PHONE": "What is the best phone number to reach you?",
    "BANK_ACCOUNT": "What is your account number?",
    "MEDICAL_ID": "Could you give me your member ID?",
    "CVV": "And the security code on the back of the card?",
}
ROUTING_TEXTS = frozenset(text for text, _ in ROUTING)
SINKS = ("model_requests", "audit_export", "approvals", "caller_page", "logs")
SETTLE_S = 0.12
TURN_TIMEOUT_S = 4.0
# Machine-made strings that are never caller data: hashes and ids (hex, uuids and their fragments),
# timestamps and dates, memory addresses, hosts and ports. Their digits would otherwise join the digit
# stream and match a secret by chance.
_MACHINE = re.compile(
    r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"
    r"|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?Z?)?"
    r"|[0-9a-fA-F]{16,}|\b(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b"
    r"|toolu_[A-Za-z0-9_]+|0x[0-9a-fA-F]+"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?::\d+)?|port=\d+|:\d{2,5}/"
    r"|\b\d{2}:\d{2}:\d{2}\b|\b\d{1,2} [A-Z][a-z]{2} \d{4}\b|[A-Za-z]+/\d+(?:\.\d+)+"
    r'|"\d{3} [A-Z][A-Za-z ]*"'  # an HTTP status line's code ("200 OK")
    r"|\b\d+ entities\b"  # the redaction log's entity count ("turn redacted: 1 entities")
)
# a system string's version ("presidio-2.2.366", "en_core_web_sm-3.8.0") or model id ("claude-sonnet-4-5",
# "concierge-prompt/2026-11-28.2"); masked outside caller text only
_VERSION = re.compile(r"\d+(?:\.\d+)+|\bclaude-[a-z0-9-]+|concierge-prompt/\S+")
# the call whose tasks wrote a log record (set around each call's pipeline task; inherited by its tasks)
_CALL: contextvars.ContextVar[str | None] = contextvars.ContextVar("boundary_call", default=None)
# Loggers that write connection events only (never a request or response body).
_TRANSPORT_LOGGERS = ("httpcore", "httpx", "httpcore2", "httpx2", "aiohttp.access", "asyncio")
class _Activity(BaseObserver):
    """When the pipeline last produced reply frames (a turn has settled when it goes quiet)."""

    def __init__(self) -> None:
        super().__init__()
        self.last = 0.0

    async def on_push_frame(self, data: FramePushed) -> None:
        if isinstance(data.frame, LLMTextFrame | LLMFullResponseEndFrame | TTSAudioRawFrame | TTSStoppedFrame
                      | FunctionCallResultFrame):
            self.last = time.monotonic()

    async def settled(self, since: float) -> bool:
        deadline = since + TURN_TIMEOUT_S
        while time.monotonic() < deadline:
            await asyncio.sleep(0.03)
            if self.last > since and time.monotonic() - self.last > SETTLE_S:
                return True
        return False


class _LogTap(logging.Handler):
    """Every log record's message while calls run, with the calls active at that moment."""

    def __init__(self, active: Callable[[], tuple[str, ...]]) -> None:
        super().__init__(level=logging.DEBUG)
        self._active = active
        self.lines: dict[str, list[str]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_TRANSPORT_LOGGERS):
            return
        try:
            msg = record.getMessage()
        except Exception:
            return
        if not any(ch.isdigit() for ch in msg):
            return
        msg = _MACHINE.sub(" ", msg)
        cid = _CALL.get()
        for owner in (cid,) if cid is not None else self._active():
            self.lines.setdefault(owner, []).append(msg)


@dataclass
class CallOutcome:
    call: BoundaryCall
    sinks: dict[str, list[str]] = field(default_factory=dict)
    leaks: dict[str, int] = field(default_factory=dict)
    harmless_said: int = 0
    harmless_lost: int = 0
    heldout_said: int = 0  # harmless numbers from the held-out sentences (redaction.boundary_cases)
    heldout_lost: int = 0
    turns: int = 0
    withheld: int = 0
    departments: list[str] = field(default_factory=list)
    call_id: str = ""


def claude_workspace(workspace: Workspace, base_url: str, key_env: str) -> Workspace:
    brain = workspace.brain.model_copy(update={"backend": BrainBackend.ANTHROPIC, "base_url": base_url,
                                               "api_key_env": key_env, "max_retries": 0})
    return workspace.model_copy(update={"brain": brain})


async def run_call(engines: Engines, call: BoundaryCall, *, workspace: Workspace,
                   server: MessagesApiServer | None, active: set[str]) -> CallOutcome:
    """One generated call through the pipeline; what crossed, per sink."""
    transport = InprocTransport(sample_rate=8000, paced=False)
    activity = _Activity()
    page: list[str] = []
    session = CallSession(engines=engines, transport=transport, kind=Transport.INPROC, sample_rate=8000,
                          observers=[activity], on_tokenized=page.append, workspace=workspace)
    n_requests = len(server.requests) if server is not None else 0
    out = CallOutcome(call)
    approvals: list[str] = []
    active.add(session.call_id)
    owner = _CALL.set(session.call_id)  # the pipeline's tasks inherit it: their log records are this call's
    run = asyncio.create_task(session.run(), name=f"boundary-{session.call_id}")
    _CALL.reset(owner)
    try:
        await activity.settled(time.monotonic() - 0.001)  # the greeting
        for turn in call.turns:
            since = time.monotonic()
            if turn.kind is TurnKind.ASK:
                assert turn.asks_for is not None
                await session.queue(TTSSpeakFrame(ASKS[turn.asks_for.value], append_to_context=True))
            elif turn.kind is TurnKind.TYPE:
                for key in turn.text:
                    await transport.press(key)
            else:
                out.turns += 1
                before = len(page)
                withheld = session.redaction.withheld
                await transport.say(turn.text, continues=turn.continues)
                await activity.settled(since)
                said = page[before:]
                for digits in turn.harmless:
                    lost = not any(harmless_kept(t, digits) for t in said)
                    out.harmless_said += 1
                    out.harmless_lost += lost
                    out.heldout_said += turn.heldout == 2
                    out.heldout_lost += turn.heldout == 2 and lost
                out.withheld += session.redaction.withheld - withheld
                approvals.extend(json.dumps(a.as_dict()) for a in await engines.approvals.pending(workspace.id)
                                 if a.call_id == session.call_id)
                continue
            await activity.settled(since)
    finally:
        await session.end()
        try:
            await asyncio.wait_for(run, timeout=15)
        except TimeoutError:
            await session.cancel()
        active.discard(session.call_id)
    out.departments = [str(d.get("department", "")) for d in session.log.decisions]
    if server is not None:
        out.sinks["model_requests"] = [json.dumps(r.body) for r in server.requests[n_requests:]]
    out.sinks["caller_page"] = page
    out.sinks["approvals"] = approvals
    if hasattr(engines.audit, "flush"):
        await engines.audit.flush()
    out.sinks["audit_export"] = list(audit_rows(engines, workspace.id, session.call_id))
    out.call_id = session.call_id
    return out


def audit_rows(engines: Engines, workspace_id: str, call_id: str) -> Iterable[str]:
    log = engines.audit_log
    store = getattr(log, "store", None) or getattr(log, "_store", None)
    if store is None:
        return []
    return iter_jsonl(store, workspace_id=workspace_id, query=RowQuery(call_id=call_id))


# Keys under which a JSON document (a model request, an audit row, an approval) can carry what the
# caller said; everything else is the system's (ids, model names, versions, counts, timestamps).
CONTENT_KEYS = frozenset({"content", "text", "input", "output", "reason", "arguments", "question", "context",
                          "say", "answer", "note"})
# The system prompt and tool definitions (of every model request and the call's brain.prompt row) are
# built from the workspace alone, the same for every call: their number words ("one or two short
# sentences") are not the caller's, and read beside a call's tokens they made up stretches of a
# short secret (a CVV "1 2 1"). The rest of each request is judged.
WORKSPACE_KEYS = frozenset({"system", "tools"})


def strings_of(document: str, *, content_only: bool = False) -> list[str]:
    """The text a JSON document carries: its string values (numbers such as ``seq`` or ``latency_ms``
    are the system's, not the caller's), machine-made ids, hashes and timestamps masked.
    ``content_only``: only strings under :data:`CONTENT_KEYS` (so system strings between two pieces
    of caller text cannot break the stretch the leak check follows)."""
    try:
        data = json.loads(document)
    except ValueError:
        return [_MACHINE.sub(" ", document)]
    out: list[str] = []

    def walk(node: object, inside: bool) -> None:
        if isinstance(node, str):
            if inside or not content_only:
                masked = _MACHINE.sub(" ", node)
                out.append(masked if inside else _VERSION.sub(" ", masked))
        elif isinstance(node, dict):
            for k, v in node.items():
                if k not in WORKSPACE_KEYS:
                    walk(v, inside or k in CONTENT_KEYS)
        elif isinstance(node, list):
            for v in node:
                walk(v, inside)

    walk(data, False)
    return out


JSON_SINKS = frozenset({"model_requests", "audit_export", "approvals"})


def judge(outcome: CallOutcome, *, last_four_ok: bool) -> None:
    """Each sink's leak. A model request is the whole context the model saw at that moment, so each
    is judged on its own (read one after another, the history each repeats would join a digit said
    once with itself); the same for a log line that dumps a request. Everything else is read in order
    as one document, so pieces in separate rows, messages or lines still join."""
    call = outcome.call

    def of_docs(docs: list[str]) -> int:
        views = ([s for doc in docs for s in strings_of(doc)],
                 [s for doc in docs for s in strings_of(doc, content_only=True)])
        return max(leak_in(v, call, last_four_ok=last_four_ok) for v in views)

    for sink, texts in outcome.sinks.items():
        if sink == "model_requests":
            outcome.leaks[sink] = max((of_docs([doc]) for doc in texts), default=0)
        elif sink in JSON_SINKS:
            # a brain.turn row records one model request's messages: judged on its own, as they are
            turns = [t for t in texts if '"type":"brain.turn"' in t]
            rest = [t for t in texts if '"type":"brain.turn"' not in t]
            outcome.leaks[sink] = max([of_docs(rest)] + [of_docs([t]) for t in turns])
        elif sink == "logs":
            # a request dump: only its messages (before them: options, max_tokens; after them: the
            # model, the system prompt and tools, the workspace's text as above)
            dumps = [t.partition("'messages': ")[2].split(", 'system': ", 1)[0] for t in texts if "json_data" in t]
            rest = [t for t in texts if "json_data" not in t]
            outcome.leaks[sink] = max([leak_in(rest, call, last_four_ok=last_four_ok)]
                                      + [leak_in([t], call, last_four_ok=last_four_ok) for t in dumps])
        else:
            outcome.leaks[sink] = leak_in(texts, call, last_four_ok=last_four_ok)


@dataclass
class BoundaryReport:
    calls: int
    leaks: int
    leaks_by_sink: dict[str, int]
    leak_calls: list[str]
    turns: int
    withheld_turns: int
    harmless_said: int
    harmless_lost: int
    heldout_said: int
    heldout_lost: int
    routing_in_call: tuple[int, int]
    routing_alone: tuple[int, int]
    by_style: dict[str, tuple[int, int]]
    seconds: float

    @property
    def withheld_rate(self) -> float:
        return self.withheld_turns / self.turns if self.turns else 0.0

    @property
    def false_positive_rate(self) -> float:
        return self.harmless_lost / self.harmless_said if self.harmless_said else 0.0

    @property
    def routing_accuracy_delta(self) -> float:
        def acc(pair: tuple[int, int]) -> float:
            return pair[0] / pair[1] if pair[1] else 0.0

        return round(100.0 * (acc(self.routing_in_call) - acc(self.routing_alone)), 2)

    def as_dict(self) -> dict[str, object]:
        return {
            "calls": self.calls, "leaks": self.leaks, "withheld_rate": round(self.withheld_rate, 4),
            "false_positive_rate": round(self.false_positive_rate, 4),
            "routing_accuracy_delta": self.routing_accuracy_delta,
            "leaks_by_sink": self.leaks_by_sink, "leak_calls": self.leak_calls, "turns": self.turns,
            "withheld_turns": self.withheld_turns, "harmless_said": self.harmless_said,
            "harmless_lost": self.harmless_lost, "heldout_harmless_said": self.heldout_said,
            "heldout_harmless_lost": self.heldout_lost,
            "routing_in_call": list(self.routing_in_call), "routing_alone": list(self.routing_alone),
            "by_style": {k: list(v) for k, v in self.by_style.items()}, "seconds": round(self.seconds, 1),
        }


async def pool(items: list[Any], worker: Callable[[int, Any], Any], concurrency: int,
                progress: Callable[[], None]) -> list[Any]:
    queue: asyncio.Queue[tuple[int, Any]] = asyncio.Queue()
    for i, item in enumerate(items):
        queue.put_nowait((i, item))
    results: list[Any] = [None] * len(items)

    async def slot(k: int) -> None:
        while not queue.empty():
            i, item = queue.get_nowait()
            results[i] = await worker(k, item)
            progress()

    await asyncio.gather(*(slot(k) for k in range(concurrency)))
    return results


async def evaluate_boundary(engines: Engines, calls: list[BoundaryCall], *, concurrency: int = 6,
                            progress: Callable[[], None] = lambda: None, key_env: str = "DIALPHONE_EVAL_KEY",
                            ) -> BoundaryReport:
    """Run every call with the Claude brain (one local Messages API server per slot, so each call's
    requests are its own), then the routing requests with the embedded brain, in the calls and alone."""
    os.environ.setdefault(key_env, "eval-key")
    t0 = time.monotonic()
    active: set[str] = set()
    tap = _LogTap(lambda: tuple(active))
    root = logging.getLogger()
    old_level = root.level
    quiet = [(h, h.level) for h in root.handlers]
    for h, level in quiet:  # the console keeps its level while the tap hears everything
        h.setLevel(max(level, logging.WARNING))
    root.addHandler(tap)
    root.setLevel(logging.DEBUG)
    servers = [MessagesApiServer(responder=stand_in_model) for _ in range(concurrency)]
    for srv in servers:
        await srv.start()
    base = engines.workspace
    spaces = [claude_workspace(base, srv.base_url, key_env) for srv in servers]
    last_four = base.privacy.speak_last_four
    try:
        async def claude(k: int, call: BoundaryCall) -> CallOutcome:
            return await run_call(engines, call, workspace=spaces[k], server=servers[k], active=active)

        outcomes: list[CallOutcome] = await pool(calls, claude, concurrency, progress)
    finally:
        root.removeHandler(tap)
        root.setLevel(old_level)
        for h, level in quiet:
            h.setLevel(level)
        for srv in servers:
            await srv.stop()
    for o in outcomes:
        o.sinks["logs"] = tap.lines.get(o.call_id, [])
        judge(o, last_four_ok=last_four)
    routed = [c for c in calls if c.department is not None]

    async def embedded(k: int, call: BoundaryCall) -> CallOutcome:
        return await run_call(engines, call, workspace=base, server=None, active=set())

    in_call = await pool(routed, embedded, concurrency, progress)
    alone_calls = [BoundaryCall(c.id + "-alone", c.secret_type, c.secret,
                                tuple(t for t in c.turns if t.kind is TurnKind.SAY and t.text in ROUTING_TEXTS),
                                c.department)
                   for c in routed]
    alone = await pool(alone_calls, embedded, concurrency, progress)

    def correct(rows: list[CallOutcome]) -> tuple[int, int]:
        return sum(1 for o in rows if o.departments[:1] == [o.call.department]), len(rows)

    by_style: dict[str, list[int]] = {}
    for o in outcomes:
        for st in set(o.call.styles) or {"none"}:
            cell = by_style.setdefault(st, [0, 0])
            cell[0] += 1 if any(o.leaks.values()) else 0
            cell[1] += 1
    leak_calls = [o.call.id for o in outcomes if any(o.leaks.values())]
    return BoundaryReport(
        calls=len(outcomes), leaks=len(leak_calls),
        leaks_by_sink={s: sum(1 for o in outcomes if o.leaks.get(s)) for s in SINKS},
        leak_calls=leak_calls, turns=sum(o.turns for o in outcomes),
        withheld_turns=sum(o.withheld for o in outcomes),
        harmless_said=sum(o.harmless_said for o in outcomes), harmless_lost=sum(o.harmless_lost for o in outcomes),
        heldout_said=sum(o.heldout_said for o in outcomes), heldout_lost=sum(o.heldout_lost for o in outcomes),
        routing_in_call=correct(in_call), routing_alone=correct(alone),
        by_style={k: (v[0], v[1]) for k, v in by_style.items()}, seconds=time.monotonic() - t0,
    )

