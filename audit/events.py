"""Versioned event schema: event types, unsealed events and sealed (hash-chained) records.

A row, as hashed, exported and stored, has these common fields (schema version 1)::

    schema_version  int      version of this schema (1)
    seq             int      1, 2, 3 ... per workspace, no gaps
    ts              str      UTC time the row was sealed, "YYYY-MM-DDTHH:MM:SS.ffffffZ", non-decreasing
    workspace_id    str      the tenant; each workspace has its own chain
    call_id         str|null the call the event belongs to (null for workspace-level events)
    type            str      an :class:`EventType` value, e.g. "transfer.decided"
    actor           str      "system", a model id, or a human identity
    payload         object   fields of the type, see :mod:`audit.payloads`
    prev_hash       str      row_hash of the previous row of the workspace (GENESIS_HASH for seq 1)
    row_hash        str      SHA-256(prev_hash || canonical JSON of the row without row_hash)

Payload schemas live one layer up, in :mod:`audit.payloads`, and register a validator per event
type here (:func:`register_payload_schema`); the ``audit`` package imports them, so every type has
its schema before any event is built. A type without one is refused (:class:`SchemaError`), never
let through unchecked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from audit.canonical import (
    JsonValue,
    canonical_text,
    compute_row_hash,
    hash_canonical,
    is_hash,
    row_canonical_text,
)
from audit.exceptions import MalformedRecordError, SchemaError

SCHEMA_VERSION = 1
TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,199}\Z")
TS_PATTERN = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z\Z")

ROW_FIELDS = (
    "schema_version",
    "seq",
    "ts",
    "workspace_id",
    "call_id",
    "type",
    "actor",
    "payload",
    "prev_hash",
    "row_hash",
)


class EventType(StrEnum):
    """Every event type the schema knows."""

    CALL_STARTED = "call.started"
    CALL_ENDED = "call.ended"
    ASR_TRANSCRIBED = "asr.transcribed"
    REDACTION_APPLIED = "redaction.applied"
    REDACTION_WITHHELD = "redaction.withheld"
    CAPTURE_COMPLETED = "capture.completed"
    BRAIN_TURN = "brain.turn"
    BRAIN_FAILED = "brain.failed"
    TRANSFER_PROPOSED = "transfer.proposed"
    TRANSFER_DECIDED = "transfer.decided"
    TRANSFER_EXECUTED = "transfer.executed"
    TRANSFER_FAILED = "transfer.failed"
    VAULT_DETOKENIZED = "vault.detokenized"
    OPTOUT_APPLIED = "optout.applied"
    IVR_ROUTED = "ivr.routed"
    CONFIG_CHANGED = "config.changed"
    AUDIT_EXPORTED = "audit.exported"
    AUDIT_PURGED = "audit.purged"
    BRAIN_PROMPT = "brain.prompt"


#: Types whose write gates an action: append them with ``durable=True``.
GATING_TYPES = frozenset({EventType.TRANSFER_DECIDED})

#: Checks a payload against its type's schema; returns the plain-dict copy that goes into the row. The
#: second argument is the event's workspace (what it owns passes the raw-data check, see
#: :mod:`audit.provenance`).
PayloadValidator = Callable[[Mapping[str, Any], str | None], dict[str, JsonValue]]

_PAYLOAD_VALIDATORS: dict[EventType, PayloadValidator] = {}


def register_payload_schema(event_type: EventType, validator: PayloadValidator) -> None:
    """Install the payload validator of ``event_type`` (:mod:`audit.payloads` registers every type).

    A type's schema is registered once; a second registration is a programming error."""
    if event_type in _PAYLOAD_VALIDATORS:
        raise SchemaError(f"{event_type.value}: a payload schema is already registered")
    _PAYLOAD_VALIDATORS[event_type] = validator


def validate_registered_payload(
    event_type: EventType, payload: Mapping[str, Any], workspace_id: str | None = None
) -> dict[str, JsonValue]:
    """Validate ``payload`` with the schema registered for ``event_type``; unknown types fail closed."""
    validator = _PAYLOAD_VALIDATORS.get(event_type)
    if validator is None:
        raise SchemaError(f"{event_type.value}: no payload schema is registered")
    return validator(payload, workspace_id)


def is_identifier(value: object) -> bool:
    """Identifiers (workspace, call, actor, model ids): 1-200 chars of ``A-Za-z0-9_.:/@+-``."""
    return isinstance(value, str) and _ID.match(value) is not None


def format_ts(moment: datetime) -> str:
    """The fixed-width UTC timestamp used in rows (sorts lexicographically)."""
    return moment.astimezone(UTC).strftime(TS_FORMAT)


def parse_ts(text: str) -> datetime:
    """Parse a row timestamp, or an ISO 8601 date/time given on a command line (UTC if naive)."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise SchemaError("not an ISO 8601 timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def now_ts() -> str:
    return format_ts(datetime.now(UTC))


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditEvent:
    """An event before it is sealed into the chain (no seq, ts or hashes yet).

    Construction validates the common fields and the payload against the schema registered for
    ``type`` (see :mod:`audit.payloads`), so an invalid event never reaches a queue.
    """

    type: EventType
    workspace_id: str
    call_id: str | None
    actor: str
    payload: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.type, EventType):
            raise SchemaError("type must be an EventType")
        for name in ("workspace_id", "actor"):
            if not is_identifier(getattr(self, name)):
                raise SchemaError(f"{name} is not a valid identifier")
        if self.call_id is not None and not is_identifier(self.call_id):
            raise SchemaError("call_id is not a valid identifier")
        object.__setattr__(self, "payload", validate_registered_payload(self.type, self.payload, self.workspace_id))

    def seal(self, *, seq: int, prev_hash: str, ts: str) -> AuditRecord:
        """Give the event its place in the chain and compute its row hash."""
        return self.seal_with_text(seq=seq, prev_hash=prev_hash, ts=ts)[0]

    def seal_with_text(self, *, seq: int, prev_hash: str, ts: str) -> tuple[AuditRecord, str]:
        """:meth:`seal`, also returning the payload's canonical text (what the store keeps)."""
        if len(prev_hash) != 64:
            raise SchemaError("prev_hash is not a 64-character hash")
        payload = dict(self.payload)
        payload_text = canonical_text(payload)
        text = row_canonical_text(
            schema_version=SCHEMA_VERSION,
            seq=seq,
            ts=ts,
            workspace_id=self.workspace_id,
            call_id=self.call_id,
            type=self.type.value,
            actor=self.actor,
            payload_text=payload_text,
            prev_hash=prev_hash,
        )
        record = AuditRecord(
            schema_version=SCHEMA_VERSION,
            seq=seq,
            ts=ts,
            workspace_id=self.workspace_id,
            call_id=self.call_id,
            type=self.type.value,
            actor=self.actor,
            payload=payload,
            prev_hash=prev_hash,
            row_hash=hash_canonical(prev_hash, text),
        )
        return record, payload_text


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditRecord:
    """A sealed row. ``type`` is a plain string: a verifier must be able to read rows of types
    (or schema versions) it does not know."""

    schema_version: int
    seq: int
    ts: str
    workspace_id: str
    call_id: str | None
    type: str
    actor: str
    payload: dict[str, Any]
    prev_hash: str
    row_hash: str

    def body(self) -> dict[str, Any]:
        """The row without ``row_hash``: what the row hash covers."""
        return {
            "schema_version": self.schema_version,
            "seq": self.seq,
            "ts": self.ts,
            "workspace_id": self.workspace_id,
            "call_id": self.call_id,
            "type": self.type,
            "actor": self.actor,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
        }

    def to_dict(self) -> dict[str, Any]:
        row = self.body()
        row["row_hash"] = self.row_hash
        return row

    def recompute_hash(self) -> str:
        return compute_row_hash(self.prev_hash, self.body())

    def payload_text(self) -> str:
        return canonical_text(self.payload)

    @classmethod
    def from_dict(cls, row: Mapping[str, Any]) -> AuditRecord:
        """Rebuild a record from a parsed row, checking field presence and types (not hashes)."""
        if not isinstance(row, Mapping):
            raise MalformedRecordError("row is not an object")
        extra = set(row) - set(ROW_FIELDS)
        missing = set(ROW_FIELDS) - set(row)
        if extra or missing:
            raise MalformedRecordError(
                f"row fields differ from the schema: extra={sorted(extra)} missing={sorted(missing)}"
            )
        ints = ("schema_version", "seq")
        strs = ("ts", "workspace_id", "type", "actor", "prev_hash", "row_hash")
        for name in ints:
            if not isinstance(row[name], int) or isinstance(row[name], bool):
                raise MalformedRecordError(f"{name} is not an integer")
        for name in strs:
            if not isinstance(row[name], str):
                raise MalformedRecordError(f"{name} is not a string")
        if row["call_id"] is not None and not isinstance(row["call_id"], str):
            raise MalformedRecordError("call_id is not a string or null")
        if not isinstance(row["payload"], dict):
            raise MalformedRecordError("payload is not an object")
        if not is_hash(row["prev_hash"]) or not is_hash(row["row_hash"]):
            raise MalformedRecordError("prev_hash or row_hash is not 64 lower-case hex characters")
        if not TS_PATTERN.match(row["ts"]):
            raise MalformedRecordError("ts is not in the row timestamp format")
        return cls(
            schema_version=row["schema_version"],
            seq=row["seq"],
            ts=row["ts"],
            workspace_id=row["workspace_id"],
            call_id=row["call_id"],
            type=row["type"],
            actor=row["actor"],
            payload=row["payload"],
            prev_hash=row["prev_hash"],
            row_hash=row["row_hash"],
        )
