"""What one replayed call gives a tester: per-turn rows (tokenized) and what the caller and the
server saw; and the latency summary over many calls (voice-to-voice, measured at the caller).

Every replay path fills the same :class:`CallResult`: in process (:mod:`voice.testing.replay`), over a
media stream, WebRTC or SIP (:mod:`voice.testing.remote_ws`, :mod:`voice.testing.remote_webrtc`,
:mod:`voice.testing.sip_replay`, from the server's tokenized report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from voice.testing.caller import TurnResult


@dataclass
class TurnRow:
    scenario: str
    turn: int
    caller: str
    reply: str
    tools: str
    decision: str
    latency_ms: float | None
    endpoint_ms: float
    asr_ms: float
    brain_ms: float
    tts_ms: float


@dataclass
class CallResult:
    scenario: str
    rows: list[TurnRow] = field(default_factory=list)
    transfers: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    brain_inputs: list[str] = field(default_factory=list)
    caller_turns: list[TurnResult] = field(default_factory=list)
    asr_invocations: int = 0
    heard_pcm: bytes = b""
    rate: int = 16000
    expects_reply: list[bool] = field(default_factory=list)  # per caller turn; empty: not known

    @property
    def no_reply(self) -> list[int]:
        """Caller turns that expected a reply and got none (no reply onset heard)."""
        return [
            t.index for t, wanted in zip(self.caller_turns, self.expects_reply, strict=False)
            if wanted and not t.reply_onset_at
        ]


def expects_reply(spec: dict[str, Any]) -> list[bool]:
    """Per turn of a fixture scenario spec: does the caller wait for a reply to it? A turn with expected
    events does, unless the next turn barges in; a turn with none (the first half of a split number) or
    a scenario without turns (silence) does not."""
    turns = list(spec.get("turns") or [])
    out = []
    for i, turn in enumerate(turns):
        nxt = turns[i + 1] if i + 1 < len(turns) else None
        out.append(bool(turn.get("events")) and not (nxt is not None and nxt.get("barge_in")))
    return out or [False]


def latency_summary(results: list[CallResult]) -> dict[str, Any]:
    """Voice-to-voice percentiles over the turns that got a reply, and ``no_reply``: the turns that
    expected one and got none, which a benchmark counts as failures (not as missing samples)."""
    rows = [row for r in results for row in r.rows if row.latency_ms is not None]
    lat = sorted(row.latency_ms for row in rows if row.latency_ms is not None)

    def pct(values: list[float], q: float) -> float:
        if not values:
            return float("nan")
        k = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
        return sorted(values)[k]

    missing = [f"{r.scenario}#{i}" for r in results for i in r.no_reply]
    return {
        "turns": len(lat),
        "expected_replies": sum(sum(r.expects_reply) for r in results),
        "no_reply": len(missing),
        "no_reply_turns": missing,
        "p50_ms": round(pct(lat, 0.5), 1),
        "p95_ms": round(pct(lat, 0.95), 1),
        "max_ms": round(max(lat), 1) if lat else float("nan"),
        "breakdown": {
            name: {"p50_ms": round(pct(vals, 0.5), 1), "p95_ms": round(pct(vals, 0.95), 1)}
            for name, vals in (
                ("endpointing_wait", [r.endpoint_ms for r in rows]),
                ("asr", [r.asr_ms for r in rows]),
                ("brain", [r.brain_ms for r in rows]),
                ("tts_first_audio", [r.tts_ms for r in rows]),
            )
        },
    }
