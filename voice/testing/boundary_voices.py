"""The privacy boundary with real voices: FSDD digits of the four speakers, 1-4 digits per turn.

Each call reads one secret (a Luhn-valid card, an SSN, a phone or account number) as pieces of 1 to 4
digits, each piece its own caller turn made of real recordings of one speaker (evaluation takes
25-49 only, :data:`redaction.fsdd.EVAL_TAKES`), at 8 kHz, through VAD, ASR, the guard and the Claude
brain (local Messages API server). Half the calls open with a cue ("my card number is", spoken by
the project's TTS voice), half give the pieces with nothing said about them. A leak is a stretch of
the secret in the model requests beyond the last four; ``plain_caller_digits`` counts any digit at all
in what the caller's turns put into the model requests (ASR may mishear a digit, so a leak of the
misheard number would not match the secret: this catches it).
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from concierge.config import Workspace
from concierge.messages_api_server import MessagesApiServer
from redaction.boundary_cases import CaseGen
from redaction.entities import EntityType
from redaction.fsdd import EVAL_TAKES
from redaction.leaks import digit_stream, longest_leak
from redaction.speakable import TOKEN_RE
from voice.audio import read_audio, to_int16_bytes
from voice.pipeline.engines import Engines
from voice.testing.boundary import claude_workspace, pool, strings_of
from voice.testing.boundary_model import stand_in_model
from voice.testing.replay import replay_inproc
from voice.testing.scenarios import ReplayTurn, Scenario

SPEAKERS = ("george", "jackson", "lucas", "theo")
RATE = 8000
CUES = {EntityType.CREDIT_CARD: "my card number is", EntityType.SSN: "my social security number is",
        EntityType.PHONE: "my phone number is", EntityType.BANK_ACCOUNT: "my account number is",
        EntityType.MEDICAL_ID: "my member id is", EntityType.CVV: "the security code is"}


@dataclass
class VoiceCall:
    speaker: str
    secret_type: EntityType
    secret: str
    pieces: list[str]
    cued: bool


@dataclass
class VoiceReport:
    calls: int
    leaks: int
    calls_with_plain_caller_digits: int
    calls_with_tokens: int = 0  # evidence the digits were heard: a token reached the model instead
    by_speaker: dict[str, tuple[int, int]] = field(default_factory=dict)
    turns: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {"calls": self.calls, "leaks": self.leaks,
                "calls_with_plain_caller_digits": self.calls_with_plain_caller_digits,
                "calls_with_tokens": self.calls_with_tokens,
                "by_speaker": {k: list(v) for k, v in self.by_speaker.items()}, "turns": self.turns,
                "split": "eval-takes", "rate": RATE, "seconds": round(self.seconds, 1)}


def voice_calls(n: int, *, seed: int = 20261203) -> list[VoiceCall]:
    gen = CaseGen(seed)
    out: list[VoiceCall] = []
    for i in range(n):
        typ, value = gen.secret()
        out.append(VoiceCall(SPEAKERS[i % len(SPEAKERS)], typ, value, gen.pieces(value), cued=i % 2 == 0))
    return out


class _Fsdd:
    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.r = random.Random(seed)
        self._cache: dict[tuple[str, str, int], np.ndarray] = {}

    def digit(self, d: str, speaker: str) -> np.ndarray:
        take = self.r.choice(EVAL_TAKES)
        key = (d, speaker, take)
        if key not in self._cache:
            pcm, _ = read_audio(self.root / f"{d}_{speaker}_{take}.wav", RATE)
            self._cache[key] = pcm
        return self._cache[key]

    def piece(self, digits: str, speaker: str) -> bytes:
        gap = np.zeros(int(RATE * self.r.uniform(0.05, 0.15)), dtype=np.float32)
        parts: list[np.ndarray] = []
        for d in digits:
            parts += [self.digit(d, speaker), gap]
        return to_int16_bytes(np.concatenate(parts))


def scenario_of(call: VoiceCall, fsdd: _Fsdd, engines: Engines, index: int) -> Scenario:
    turns: list[ReplayTurn] = []
    if call.cued:
        pcm = engines.tts.synthesize(CUES[call.secret_type], RATE)
        turns.append(ReplayTurn(to_int16_bytes(pcm)))
    turns += [ReplayTurn(fsdd.piece(p, call.speaker)) for p in call.pieces]
    return Scenario(name=f"voices-{index}", rate=RATE, turns=turns)


def caller_digits(bodies: list[str]) -> int:
    """Digits in the caller's messages of the model requests (tokens aside)."""
    n = 0
    for body in bodies:
        for m in json.loads(body).get("messages", []):
            if m.get("role") != "user":
                continue
            content = m.get("content")
            texts = [content] if isinstance(content, str) else [
                p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"]
            for t in texts:
                n += len(digit_stream(TOKEN_RE.sub(" ", t)))
    return n


async def run_voice_call(engines: Engines, call: VoiceCall, scenario: Scenario, *, workspace: Workspace,
                         server: MessagesApiServer) -> tuple[int, int, int, bool]:
    """(leak, plain caller digits, turns, whether a token reached the model) for one call."""
    before = len(server.requests)
    await replay_inproc(engines, scenario, fast=True, workspace=workspace, paced=False)
    bodies = [json.dumps(r.body) for r in server.requests[before:]]
    views = ([s for b in bodies for s in strings_of(b)], [s for b in bodies for s in strings_of(b, content_only=True)])
    leak = max(longest_leak(" | ".join(v), call.secret, last_four_ok=len(call.secret) >= 9) for v in views)
    return leak, caller_digits(bodies), len(scenario.turns), any(TOKEN_RE.search(b) for b in bodies)


async def evaluate_voices(engines: Engines, calls: list[VoiceCall], shared: Path, *, concurrency: int = 4,
                          progress: Callable[[], None] = lambda: None,
                          key_env: str = "DIALPHONE_EVAL_KEY") -> VoiceReport:
    os.environ.setdefault(key_env, "eval-key")
    t0 = time.monotonic()
    fsdd = _Fsdd(shared / "audio" / "fsdd", seed=len(calls))
    scenarios = [scenario_of(c, fsdd, engines, i) for i, c in enumerate(calls)]
    servers = [MessagesApiServer(responder=stand_in_model) for _ in range(concurrency)]
    for srv in servers:
        await srv.start()
    spaces = [claude_workspace(engines.workspace, srv.base_url, key_env) for srv in servers]
    try:
        async def one(k: int, item: tuple[VoiceCall, Scenario]) -> tuple[int, int, int, bool]:
            return await run_voice_call(engines, item[0], item[1], workspace=spaces[k], server=servers[k])

        results = await pool(list(zip(calls, scenarios, strict=True)), one, concurrency, progress)
    finally:
        for srv in servers:
            await srv.stop()
    by_speaker: dict[str, list[int]] = {}
    for call, (leak, _, _, _) in zip(calls, results, strict=True):
        cell = by_speaker.setdefault(call.speaker, [0, 0])
        cell[0] += 1 if leak else 0
        cell[1] += 1
    return VoiceReport(
        calls=len(calls), leaks=sum(1 for r in results if r[0]),
        calls_with_plain_caller_digits=sum(1 for r in results if r[1]),
        calls_with_tokens=sum(1 for r in results if r[3]),
        by_speaker={k: (v[0], v[1]) for k, v in by_speaker.items()},
        turns=sum(r[2] for r in results), seconds=time.monotonic() - t0,
    )
