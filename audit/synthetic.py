"""Realistic synthetic call traffic (tokenized, no caller data) for benches, tests and demos."""

from __future__ import annotations

import random
from collections.abc import Iterator

from audit import builders
from audit.events import AuditEvent
from audit.payloads import Decision

_UTTERANCES = (
    "hi I'd like to check my bill, my account number is [ACCOUNT_NUMBER_1]",
    "my name is [PERSON_1] and my card is [CREDIT_CARD_1]",
    "can you put me through to billing please",
    "I moved to [LOCATION_1] last month",
    "you can reach me at [PHONE_NUMBER_1] or [EMAIL_ADDRESS_1]",
    "what time do you close on friday",
    "agent please",
)
_DEPTS = ("billing", "support", "sales", "front-desk")


def call_events(
    workspace_id: str, call_id: str, rng: random.Random, *, turns: int = 3
) -> Iterator[tuple[AuditEvent, bool]]:
    """The events of one AI-handled call, each with whether it gates an action (durable)."""
    ws, c = workspace_id, call_id
    yield (
        builders.call_started(
            workspace_id=ws, call_id=c, transport="sip", ai_enabled=True, caller="[PHONE_NUMBER_1]"
        ),
        False,
    )
    t = 0
    for _ in range(turns):
        text = rng.choice(_UTTERANCES)
        span = rng.randint(800, 4000)
        yield (
            builders.asr_transcribed(
                workspace_id=ws,
                call_id=c,
                model="faster-whisper-tiny.en",
                model_version="1.2.1",
                audio_start_ms=t,
                audio_end_ms=t + span,
                text=text,
                language="en",
            ),
            False,
        )
        t += span + rng.randint(200, 900)
        yield (
            builders.redaction_applied(
                workspace_id=ws,
                call_id=c,
                entity_counts={"CREDIT_CARD": text.count("CREDIT_CARD"), "PERSON": text.count("PERSON")},
                engine_version="presidio-2.2.366",
                latency_ms=rng.randint(1, 12),
            ),
            False,
        )
        yield (
            builders.brain_turn(
                workspace_id=ws,
                call_id=c,
                model="embedded-brain",
                model_version="0.1.0",
                prompt_template_version="concierge-v3",
                input=text,
                output="Sure, let me help with that.",
                tool_calls=[],
                latency_ms=rng.randint(5, 900),
                input_tokens=rng.randint(50, 900),
                output_tokens=rng.randint(5, 80),
            ),
            False,
        )
    dept = rng.choice(_DEPTS)
    yield (
        builders.transfer_proposed(
            workspace_id=ws,
            call_id=c,
            proposal_id=f"{c}-p1",
            department=dept,
            reason="caller asked for [DEPARTMENT_1]",
            actor="embedded-brain",
        ),
        False,
    )
    decision = rng.choice((Decision.ALLOW, Decision.ALLOW, Decision.DENY, Decision.NEEDS_APPROVAL))
    yield (
        builders.transfer_decided(
            workspace_id=ws,
            call_id=c,
            proposal_id=f"{c}-p1",
            decision=decision,
            rule_id=f"{dept}-hours",
            approver="policy",
            reason="within business hours",
        ),
        True,
    )
    if decision is Decision.ALLOW:
        yield (
            builders.transfer_executed(
                workspace_id=ws,
                call_id=c,
                proposal_id=f"{c}-p1",
                department=dept,
                method="sip-refer",
                target=f"sip:{dept}@pbx.local",
            ),
            False,
        )
    yield builders.call_ended(workspace_id=ws, call_id=c, reason="transferred", duration_ms=t), False


def traffic(
    workspace_id: str, n_events: int, *, seed: int = 7, turns: int = 3
) -> Iterator[tuple[AuditEvent, bool]]:
    """``n_events`` events from back-to-back calls of one workspace."""
    rng = random.Random(seed)
    produced = 0
    call = 0
    while True:
        call += 1
        for item in call_events(workspace_id, f"call-{call:06d}", rng, turns=turns):
            yield item
            produced += 1
            if produced >= n_events:
                return
