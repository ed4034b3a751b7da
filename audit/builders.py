"""Typed builders: one keyword-only function per event type, each returning a validated event.

Example::

    from audit import builders
    event = builders.transfer_decided(
        workspace_id="acme", call_id="c-17", actor="policy-engine",
        proposal_id="p-1", decision=Decision.ALLOW, rule_id="billing-hours", approver="policy",
        reason="within business hours",
    )
    await log.append(event, durable=True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audit.canonical import JsonValue
from audit.events import AuditEvent, EventType
from audit.payloads import Decision, OptOutScope


def _event(t: EventType, ws: str, call: str | None, actor: str, **fields: Any) -> AuditEvent:
    payload = {k: v for k, v in fields.items() if v is not None}
    return AuditEvent(type=t, workspace_id=ws, call_id=call, actor=actor, payload=payload)


def call_started(
    *,
    workspace_id: str,
    call_id: str,
    transport: str,
    ai_enabled: bool,
    caller: str | None = None,
    actor: str = "system",
) -> AuditEvent:
    """``caller`` is the vault token of the caller number, never the number."""
    return _event(
        EventType.CALL_STARTED,
        workspace_id,
        call_id,
        actor,
        transport=transport,
        ai_enabled=ai_enabled,
        caller=caller,
    )


def call_ended(
    *, workspace_id: str, call_id: str, reason: str, duration_ms: int, actor: str = "system"
) -> AuditEvent:
    return _event(EventType.CALL_ENDED, workspace_id, call_id, actor, reason=reason, duration_ms=duration_ms)


def asr_transcribed(
    *,
    workspace_id: str,
    call_id: str,
    model: str,
    model_version: str,
    audio_start_ms: int,
    audio_end_ms: int,
    text: str,
    language: str | None = None,
    actor: str | None = None,
) -> AuditEvent:
    """``text`` is the tokenized transcript (after redaction)."""
    return _event(
        EventType.ASR_TRANSCRIBED,
        workspace_id,
        call_id,
        actor or model,
        model=model,
        model_version=model_version,
        audio_start_ms=audio_start_ms,
        audio_end_ms=audio_end_ms,
        text=text,
        language=language,
    )


def redaction_applied(
    *,
    workspace_id: str,
    call_id: str,
    entity_counts: Mapping[str, int],
    engine_version: str | None = None,
    latency_ms: int | None = None,
    actor: str = "redaction",
) -> AuditEvent:
    """Counts of entities by type; never the values."""
    return _event(
        EventType.REDACTION_APPLIED,
        workspace_id,
        call_id,
        actor,
        entity_counts=dict(entity_counts),
        engine_version=engine_version,
        latency_ms=latency_ms,
    )


def redaction_withheld(
    *,
    workspace_id: str,
    call_id: str,
    stage: str,
    reason: str,
    entity_counts: Mapping[str, int],
    actor: str = "redaction",
) -> AuditEvent:
    """A caller turn (or a stretch of text leaving the call) withheld at the privacy boundary:
    where, why, and entity counts by type; never the text."""
    return _event(
        EventType.REDACTION_WITHHELD,
        workspace_id,
        call_id,
        actor,
        stage=stage,
        reason=reason,
        entity_counts=dict(entity_counts),
    )


def capture_completed(
    *,
    workspace_id: str,
    call_id: str,
    entity_type: str,
    status: str,
    length: int,
    valid: bool,
    actor: str = "keypad",
) -> AuditEvent:
    """A secure keypad capture ended: the entity type, how many digits, whether valid; never the digits."""
    return _event(
        EventType.CAPTURE_COMPLETED,
        workspace_id,
        call_id,
        actor,
        entity_type=entity_type,
        status=status,
        length=length,
        valid=valid,
    )


def brain_turn(
    *,
    workspace_id: str,
    call_id: str,
    model: str,
    model_version: str,
    prompt_template_version: str,
    input: str,
    output: str,
    tool_calls: Sequence[Mapping[str, Any]] = (),
    latency_ms: int,
    input_tokens: int,
    output_tokens: int,
    actor: str | None = None,
    status: str | None = None,
    model_returned: str | None = None,
    messages: Sequence[Mapping[str, Any]] | None = None,
    input_sha256: str | None = None,
    prompt_sha256: str | None = None,
) -> AuditEvent:
    """``input``/``output`` are tokenized; ``tool_calls`` items are ``{"name", "arguments"}``;
    ``messages`` is the tokenized message list the model saw, ``input_sha256`` the hash of the whole
    request and ``prompt_sha256`` that of the system prompt and tools (a ``brain.prompt`` row)."""
    return _event(
        EventType.BRAIN_TURN,
        workspace_id,
        call_id,
        actor or model,
        model=model,
        model_version=model_version,
        prompt_template_version=prompt_template_version,
        input=input,
        output=output,
        tool_calls=[dict(c) for c in tool_calls],
        latency_ms=latency_ms,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        status=status,
        model_returned=model_returned,
        messages=[dict(m) for m in messages] if messages is not None else None,
        input_sha256=input_sha256,
        prompt_sha256=prompt_sha256,
    )


def brain_prompt(
    *,
    workspace_id: str,
    call_id: str,
    sha256: str,
    model: str,
    prompt_template_version: str,
    system: str,
    tools: Any,
    actor: str = "brain",
) -> AuditEvent:
    """The system prompt and tool definitions a call's model turns saw, once per call (``sha256`` is
    what each ``brain.turn.prompt_sha256`` names)."""
    return _event(
        EventType.BRAIN_PROMPT,
        workspace_id,
        call_id,
        actor,
        sha256=sha256,
        model=model,
        prompt_template_version=prompt_template_version,
        system=system,
        tools=jsonify(tools),
    )


def brain_failed(
    *, workspace_id: str, call_id: str, model: str, error_kind: str, latency_ms: int
) -> AuditEvent:
    return _event(
        EventType.BRAIN_FAILED,
        workspace_id,
        call_id,
        model,
        model=model,
        error_kind=error_kind,
        latency_ms=latency_ms,
    )


def transfer_proposed(
    *, workspace_id: str, call_id: str, proposal_id: str, department: str, reason: str, actor: str
) -> AuditEvent:
    return _event(
        EventType.TRANSFER_PROPOSED,
        workspace_id,
        call_id,
        actor,
        proposal_id=proposal_id,
        department=department,
        reason=reason,
    )


def transfer_decided(
    *,
    workspace_id: str,
    call_id: str,
    proposal_id: str,
    decision: Decision,
    rule_id: str,
    approver: str,
    reason: str,
    actor: str = "transfer-gate",
) -> AuditEvent:
    """``approver`` is a human identity, or ``"policy"`` when a rule decided. Append it durably."""
    return _event(
        EventType.TRANSFER_DECIDED,
        workspace_id,
        call_id,
        actor,
        proposal_id=proposal_id,
        decision=Decision(decision).value,
        rule_id=rule_id,
        approver=approver,
        reason=reason,
    )


def transfer_executed(
    *,
    workspace_id: str,
    call_id: str,
    proposal_id: str,
    department: str,
    method: str,
    target: str,
    actor: str = "system",
) -> AuditEvent:
    return _event(
        EventType.TRANSFER_EXECUTED,
        workspace_id,
        call_id,
        actor,
        proposal_id=proposal_id,
        department=department,
        method=method,
        target=target,
    )


def transfer_failed(
    *,
    workspace_id: str,
    call_id: str,
    proposal_id: str,
    department: str,
    error_kind: str,
    sip_status: int | None = None,
    actor: str = "system",
) -> AuditEvent:
    return _event(
        EventType.TRANSFER_FAILED,
        workspace_id,
        call_id,
        actor,
        proposal_id=proposal_id,
        department=department,
        error_kind=error_kind,
        sip_status=sip_status,
    )


def vault_detokenized(
    *, workspace_id: str, call_id: str, token: str, purpose: str, requester: str
) -> AuditEvent:
    return _event(
        EventType.VAULT_DETOKENIZED,
        workspace_id,
        call_id,
        requester,
        token=token,
        purpose=purpose,
        requester=requester,
    )


def optout_applied(
    *, workspace_id: str, call_id: str, scope: OptOutScope, trigger: str, actor: str = "system"
) -> AuditEvent:
    return _event(
        EventType.OPTOUT_APPLIED,
        workspace_id,
        call_id,
        actor,
        scope=OptOutScope(scope).value,
        trigger=trigger,
    )


def ivr_routed(
    *, workspace_id: str, call_id: str, menu: str, selection: str, department: str, actor: str = "ivr"
) -> AuditEvent:
    return _event(
        EventType.IVR_ROUTED,
        workspace_id,
        call_id,
        actor,
        menu=menu,
        selection=selection,
        department=department,
    )


def config_changed(*, workspace_id: str, admin: str, key: str, before: Any, after: Any) -> AuditEvent:
    """Floats in ``before``/``after`` are written as their ``repr`` strings (rows hold no floats)."""
    return _event(
        EventType.CONFIG_CHANGED,
        workspace_id,
        None,
        admin,
        admin=admin,
        key=key,
        before=jsonify(before),
        after=jsonify(after),
    )


def audit_exported(
    *,
    workspace_id: str,
    requester: str,
    format: str,
    rows: int | None = None,
    last_seq: int | None = None,
    since: str | None = None,
    until: str | None = None,
    call_id: str | None = None,
    types: Sequence[str] | None = None,
    status: str | None = None,
    export_id: str | None = None,
) -> AuditEvent:
    """One export: written with ``status="started"`` before the first row is read, then once more,
    ``completed`` (``rows``, ``last_seq``) or ``aborted`` (the rows sent so far), with the same
    ``export_id`` (see :class:`audit.export.ExportRecord`)."""
    return _event(
        EventType.AUDIT_EXPORTED,
        workspace_id,
        None,
        requester,
        requester=requester,
        format=format,
        rows=rows,
        last_seq=last_seq,
        since=since,
        until=until,
        call_id=call_id,
        types=list(types) if types else None,
        status=status,
        export_id=export_id,
    )


def audit_purged(
    *,
    workspace_id: str,
    cut_seq: int,
    cut_hash: str,
    cutoff: str,
    retention_days: int,
    rows_removed: int,
    actor: str,
) -> AuditEvent:
    return _event(
        EventType.AUDIT_PURGED,
        workspace_id,
        None,
        actor,
        cut_seq=cut_seq,
        cut_hash=cut_hash,
        cutoff=cutoff,
        retention_days=retention_days,
        rows_removed=rows_removed,
    )


def jsonify(value: Any) -> JsonValue:
    """Make a configuration value canonical-safe: floats become ``repr`` strings, tuples lists."""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): jsonify(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonify(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
