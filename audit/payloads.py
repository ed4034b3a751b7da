"""Payload schemas per event type, and the guard that keeps raw caller data out of the log.

Each type has a closed set of fields (:data:`PAYLOAD_SCHEMAS`); a payload with an unknown field,
a missing required field or a value of the wrong kind is rejected with :class:`SchemaError`.
Only fields of kind :attr:`FieldKind.TEXT` may hold free text, and that text must already be
tokenized by the redaction layer (``"my card is [CREDIT_CARD_1]"``). As a backstop the guard
rejects TEXT values that still look like raw caller data: a run of 7 or more digits (spoken or
written, with spaces, commas, dots or dashes between them) or an e-mail address, unless the event's
workspace owns it (its FAQ phone number, its street address: :mod:`audit.provenance`). The offending
value is never echoed in the error (:class:`RawDataError`). ``MESSAGES`` fields (what a model saw) are
checked the same way, string by string.

Each type's validator registers itself in :mod:`audit.events` when this module is imported (the
``audit`` package does so), which is how :class:`~audit.events.AuditEvent` checks its payload
without importing this module.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

from audit.canonical import JsonValue, check_json, is_hash
from audit.events import TS_PATTERN, EventType, is_identifier, register_payload_schema
from audit.exceptions import CanonicalError, RawDataError, SchemaError
from audit.provenance import Owned, owned_by

MAX_TEXT = 20_000
MAX_MESSAGES_CHARS = 400_000  # a whole call's message list, as the model saw it on its last turn
_TOKEN = re.compile(r"\[[A-Z][A-Z0-9_]*_\d+\]\Z")
_DIGIT = r"(?:\d|zero|oh|one|two|three|four|five|six|seven|eight|nine)"
_DIGIT_RUN = re.compile(rf"(?<![A-Za-z0-9_]){_DIGIT}(?:[\s\-./,]*{_DIGIT}){{6,}}", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


class FieldKind(Enum):
    """What a payload field may hold."""

    IDENT = "ident"  # system identifier: model id, rule id, department, identity
    TEXT = "text"  # tokenized free text (the only kind that may carry caller-derived text)
    TOKEN = "token"  # a single vault token, "[CREDIT_CARD_1]"
    INT = "int"  # non-negative integer (milliseconds, counts)
    BOOL = "bool"
    HASH = "hash"  # 64 lower-case hex
    TS = "ts"  # row timestamp string
    CHOICE = "choice"  # one of FieldSpec.choices
    COUNTS = "counts"  # {IDENT: INT}, e.g. entity counts by type
    IDENTS = "idents"  # [IDENT, ...]
    TOOL_CALLS = "tool_calls"  # [{"name": IDENT, "arguments": {IDENT: TEXT}}]
    JSON = "json"  # any canonical JSON (admin configuration before/after)
    MESSAGES = "messages"  # a model's message list: [{"role": IDENT, "content": TEXT | [blocks]}]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: FieldKind
    required: bool = True
    choices: tuple[str, ...] = ()


def _f(kind: FieldKind, required: bool = True, choices: tuple[str, ...] = ()) -> FieldSpec:
    return FieldSpec(kind, required, choices)


ID, T, N, B = FieldKind.IDENT, FieldKind.TEXT, FieldKind.INT, FieldKind.BOOL


class Decision(StrEnum):
    """Outcome of the transfer gate."""

    ALLOW = "allow"
    DENY = "deny"
    NEEDS_APPROVAL = "needs_approval"


class OptOutScope(StrEnum):
    """Where an opt-out came from."""

    WORKSPACE = "workspace"
    FEATURE = "feature"
    CALLER = "caller"
    MID_CALL = "mid_call"


class TurnStatus(StrEnum):
    """How a brain turn ended: the model finished, or a barge-in cut it."""

    COMPLETED = "completed"
    INTERRUPTED = "interrupted"


class ExportStatus(StrEnum):
    """``audit.exported`` is written when an export starts and again when it completes or aborts."""

    STARTED = "started"
    COMPLETED = "completed"
    ABORTED = "aborted"


DECISIONS = tuple(d.value for d in Decision)
OPTOUT_SCOPES = tuple(s.value for s in OptOutScope)

PAYLOAD_SCHEMAS: dict[EventType, dict[str, FieldSpec]] = {
    EventType.CALL_STARTED: {
        "transport": _f(ID),
        "caller": _f(FieldKind.TOKEN, required=False),
        "ai_enabled": _f(B),
    },
    EventType.CALL_ENDED: {"reason": _f(ID), "duration_ms": _f(N), "final_state": _f(ID, required=False)},
    EventType.ASR_TRANSCRIBED: {
        "model": _f(ID),
        "model_version": _f(ID),
        "audio_start_ms": _f(N),
        "audio_end_ms": _f(N),
        "text": _f(T),
        "language": _f(ID, required=False),
    },
    EventType.REDACTION_APPLIED: {
        "entity_counts": _f(FieldKind.COUNTS),
        "engine_version": _f(ID, required=False),
        "latency_ms": _f(N, required=False),
    },
    EventType.REDACTION_WITHHELD: {
        "stage": _f(ID),
        "reason": _f(ID),
        "entity_counts": _f(FieldKind.COUNTS),
    },
    EventType.CAPTURE_COMPLETED: {
        "entity_type": _f(ID),
        "status": _f(ID),
        "length": _f(N),
        "valid": _f(B),
    },
    EventType.BRAIN_TURN: {
        "model": _f(ID),
        "model_version": _f(ID),
        "prompt_template_version": _f(ID),
        "input": _f(T),
        "output": _f(T),
        "tool_calls": _f(FieldKind.TOOL_CALLS),
        "latency_ms": _f(N),
        "input_tokens": _f(N),
        "output_tokens": _f(N),
        # what the model saw and who answered (optional: rows written before they were recorded)
        "status": _f(FieldKind.CHOICE, required=False, choices=tuple(t.value for t in TurnStatus)),
        "model_returned": _f(ID, required=False),  # the model id the API answered with
        "messages": _f(FieldKind.MESSAGES, required=False),  # the tokenized message list as sent
        "input_sha256": _f(FieldKind.HASH, required=False),  # SHA-256 of the whole request (see brain.prompt)
        "prompt_sha256": _f(FieldKind.HASH, required=False),  # the system prompt and tools: a brain.prompt row
    },
    EventType.BRAIN_PROMPT: {  # once per call and prompt: the system prompt and tool definitions in full
        "sha256": _f(FieldKind.HASH),
        "model": _f(ID),
        "prompt_template_version": _f(ID),
        "system": _f(T),
        "tools": _f(FieldKind.JSON),
    },
    EventType.BRAIN_FAILED: {"model": _f(ID), "error_kind": _f(ID), "latency_ms": _f(N)},
    EventType.TRANSFER_PROPOSED: {"proposal_id": _f(ID), "department": _f(ID), "reason": _f(T)},
    EventType.TRANSFER_DECIDED: {
        "proposal_id": _f(ID),
        "decision": _f(FieldKind.CHOICE, choices=DECISIONS),
        "rule_id": _f(ID),
        "approver": _f(ID),
        "reason": _f(T),
    },
    EventType.TRANSFER_EXECUTED: {
        "proposal_id": _f(ID),
        "department": _f(ID),
        "method": _f(ID),
        "target": _f(ID),
        "confirmed_by": _f(ID, required=False),  # what confirmed it: a 2xx NOTIFY, the provider's API
    },
    EventType.TRANSFER_FAILED: {
        "proposal_id": _f(ID),
        "department": _f(ID),
        "error_kind": _f(ID),
        "sip_status": _f(N, required=False),
        "provider_status": _f(N, required=False),  # the CPaaS API's HTTP status
    },
    EventType.VAULT_DETOKENIZED: {"token": _f(FieldKind.TOKEN), "purpose": _f(ID), "requester": _f(ID)},
    EventType.OPTOUT_APPLIED: {"scope": _f(FieldKind.CHOICE, choices=OPTOUT_SCOPES), "trigger": _f(ID)},
    EventType.IVR_ROUTED: {"menu": _f(ID), "selection": _f(ID), "department": _f(ID)},
    EventType.CONFIG_CHANGED: {
        "admin": _f(ID),
        "key": _f(ID),
        "before": _f(FieldKind.JSON),
        "after": _f(FieldKind.JSON),
    },
    EventType.AUDIT_EXPORTED: {
        "requester": _f(ID),
        "format": _f(FieldKind.CHOICE, choices=("jsonl", "csv")),
        "since": _f(FieldKind.TS, required=False),
        "until": _f(FieldKind.TS, required=False),
        "call_id": _f(ID, required=False),
        "types": _f(FieldKind.IDENTS, required=False),
        "rows": _f(N, required=False),
        "last_seq": _f(N, required=False),
        "status": _f(FieldKind.CHOICE, required=False, choices=tuple(e.value for e in ExportStatus)),
        "export_id": _f(ID, required=False),  # ties the started row to its completed or aborted row
    },
    EventType.AUDIT_PURGED: {
        "cut_seq": _f(N),
        "cut_hash": _f(FieldKind.HASH),
        "cutoff": _f(FieldKind.TS),
        "retention_days": _f(N),
        "rows_removed": _f(N),
    },
}


def tokenized_fields(event_type: EventType) -> tuple[str, ...]:
    """Names of the fields of ``event_type`` that hold tokenized text."""
    return tuple(name for name, spec in PAYLOAD_SCHEMAS[event_type].items() if spec.kind is FieldKind.TEXT)


_NOTHING = Owned()


def check_tokenized(text: str, *, where: str, owned: Owned = _NOTHING) -> None:
    """Raise :class:`RawDataError` if ``text`` still looks like raw caller data (what ``owned`` holds,
    the workspace's own numbers and addresses, is not)."""
    for m in _DIGIT_RUN.finditer(text):
        if not owned.owns_number(m.group(0)):
            raise RawDataError(f"{where} holds what looks like an untokenized number (7+ digits)")
    for m in _EMAIL.finditer(text):
        if not owned.owns_email(m.group(0)):
            raise RawDataError(f"{where} holds what looks like an untokenized e-mail address")


def validate_payload(
    event_type: EventType, payload: Mapping[str, Any], workspace_id: str | None = None
) -> dict[str, JsonValue]:
    """Return a plain-dict copy of ``payload`` after checking it against the schema of the type.
    ``workspace_id``: the event's workspace, whose own text passes the raw-data check."""
    schema = PAYLOAD_SCHEMAS[event_type]
    if not isinstance(payload, Mapping):
        raise SchemaError(f"{event_type.value}: payload is not a mapping")
    unknown = sorted(set(payload) - set(schema))
    if unknown:
        raise SchemaError(f"{event_type.value}: fields not in the schema: {unknown}")
    owned = owned_by(workspace_id)
    out: dict[str, JsonValue] = {}
    for name, spec in schema.items():
        if name not in payload or payload[name] is None:
            if spec.required:
                raise SchemaError(f"{event_type.value}: missing required field {name!r}")
            continue
        out[name] = _check_field(payload[name], spec, where=f"{event_type.value}.{name}", owned=owned)
    return out


def _check_field(value: Any, spec: FieldSpec, *, where: str, owned: Owned = _NOTHING) -> JsonValue:
    kind = spec.kind
    if kind is FieldKind.IDENT:
        if not is_identifier(value):
            raise SchemaError(f"{where} is not an identifier")
        return str(value)
    if kind is FieldKind.TEXT:
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise SchemaError(f"{where} is not a string of at most {MAX_TEXT} characters")
        check_tokenized(value, where=where, owned=owned)
        _check_canonical(value, where)
        return value
    if kind is FieldKind.TOKEN:
        if not isinstance(value, str) or _TOKEN.match(value) is None:
            raise SchemaError(f"{where} is not a vault token like [TYPE_1]")
        return value
    if kind is FieldKind.INT:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 2**53 - 1:
            raise SchemaError(f"{where} is not a non-negative integer")
        return value
    if kind is FieldKind.BOOL:
        if not isinstance(value, bool):
            raise SchemaError(f"{where} is not a boolean")
        return value
    if kind is FieldKind.HASH:
        if not is_hash(value):
            raise SchemaError(f"{where} is not a 64-hex-character hash")
        return str(value)
    if kind is FieldKind.TS:
        if not isinstance(value, str) or TS_PATTERN.match(value) is None:
            raise SchemaError(f"{where} is not a row timestamp")
        return value
    if kind is FieldKind.CHOICE:
        raw = value.value if isinstance(value, Enum) else value
        if raw not in spec.choices:
            raise SchemaError(f"{where} must be one of {list(spec.choices)}")
        return str(raw)
    if kind is FieldKind.COUNTS:
        if not isinstance(value, Mapping):
            raise SchemaError(f"{where} is not a mapping of counts")
        counts: dict[str, JsonValue] = {}
        for key, count in value.items():
            if not is_identifier(key):
                raise SchemaError(f"{where} has a key that is not an identifier")
            counts[key] = _check_field(count, FieldSpec(FieldKind.INT), where=where)
        return counts
    if kind is FieldKind.IDENTS:
        if not isinstance(value, (list, tuple)):
            raise SchemaError(f"{where} is not a list")
        return [_check_field(v, FieldSpec(FieldKind.IDENT), where=where) for v in value]
    if kind is FieldKind.TOOL_CALLS:
        return _check_tool_calls(value, where, owned)
    if kind is FieldKind.MESSAGES:
        return _check_messages(value, where, owned)
    _check_canonical(value, where)  # FieldKind.JSON
    return value  # type: ignore[no-any-return]


_MESSAGE_ID_KEYS = frozenset({"id", "tool_use_id", "tool_call_id", "type", "role", "name"})


def _check_messages(value: Any, where: str, owned: Owned) -> JsonValue:
    """A model's message list: each message a mapping with an identifier ``role``; every string in it
    is tokenized text (the raw-data check), every other value canonical JSON."""
    if not isinstance(value, (list, tuple)):
        raise SchemaError(f"{where} is not a list of messages")
    _check_canonical(value, where)
    total = 0

    def walk(node: Any) -> None:
        nonlocal total
        if isinstance(node, str):
            total += len(node)
            if total > MAX_MESSAGES_CHARS:
                raise SchemaError(f"{where} holds more than {MAX_MESSAGES_CHARS} characters")
            check_tokenized(node, where=where, owned=owned)
        elif isinstance(node, Mapping):
            for key, item in node.items():
                if key in _MESSAGE_ID_KEYS and is_identifier(item):
                    continue  # "toolu_..." ids are the system's, not text
                walk(item)
        elif isinstance(node, (list, tuple)):
            for item in node:
                walk(item)

    for message in value:
        if not isinstance(message, Mapping) or not is_identifier(message.get("role")):
            raise SchemaError(f"{where} entries must be mappings with an identifier 'role'")
        walk(message)
    return [dict(m) for m in value]


def _check_tool_calls(value: Any, where: str, owned: Owned = _NOTHING) -> JsonValue:
    if not isinstance(value, (list, tuple)):
        raise SchemaError(f"{where} is not a list")
    calls: list[JsonValue] = []
    for call in value:
        if not isinstance(call, Mapping) or set(call) != {"name", "arguments"}:
            raise SchemaError(f"{where} entries must have exactly 'name' and 'arguments'")
        args = call["arguments"]
        if not isinstance(args, Mapping):
            raise SchemaError(f"{where} arguments is not a mapping")
        checked: dict[str, JsonValue] = {}
        for key, arg in args.items():
            if not is_identifier(key):
                raise SchemaError(f"{where} has an argument name that is not an identifier")
            checked[key] = _check_field(arg, FieldSpec(FieldKind.TEXT), where=f"{where}.arguments", owned=owned)
        calls.append(
            {
                "name": _check_field(call["name"], FieldSpec(FieldKind.IDENT), where=where),
                "arguments": checked,
            }
        )
    return calls


def _check_canonical(value: Any, where: str) -> None:
    try:
        check_json(value)
    except CanonicalError as exc:
        raise SchemaError(f"{where}: {exc}") from None


def _register_schemas() -> None:
    for event_type in PAYLOAD_SCHEMAS:
        register_payload_schema(event_type, functools.partial(validate_payload, event_type))


_register_schemas()
