"""The privacy boundary through the whole pipeline: every way a number leaked on main, as a call.

Calls run in process with the Claude brain pointed at the local Messages API server (which records
every request body), or with the embedded brain; what crossed is judged in every sink the
evaluation reads (model requests, audit export, approvals, caller page, logs).
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
import pytest_asyncio

from concierge.config import Workspace
from concierge.messages_api_server import MessagesApiServer
from concierge.messages_script import ScriptedResponse
from redaction import CallGuard, EntityType, GuardResult
from redaction.boundary_cases import BoundaryCall, Turn, TurnKind
from redaction.checksums import luhn_complete
from redaction.leaks import longest_leak
from voice.audio import read_audio, to_int16_bytes
from voice.pipeline.engines import Engines
from voice.pipeline.redaction_stage import ASK_AGAIN
from voice.testing.boundary import CallOutcome, claude_workspace, judge, run_call, strings_of
from voice.testing.boundary_model import stand_in_model
from voice.testing.replay import replay_inproc
from voice.testing.scenarios import ReplayTurn, Scenario

pytestmark = pytest.mark.asyncio(loop_scope="session")

CARD = luhn_complete("407612349876543")  # 4076123498765438
KEY_ENV = "DIALPHONE_TEST_BOUNDARY_KEY"


@pytest_asyncio.fixture(loop_scope="session")
async def claude(engines: Engines) -> AsyncIterator[tuple[MessagesApiServer, Workspace]]:
    os.environ.setdefault(KEY_ENV, "test-key")
    async with MessagesApiServer(responder=stand_in_model) as server:
        yield server, claude_workspace(engines.workspace, server.base_url, KEY_ENV)


def _call(*turns: Turn, secret: str = CARD, department: str | None = None) -> BoundaryCall:
    return BoundaryCall("test", EntityType.CREDIT_CARD, secret, turns, department)


def _say(*texts: str) -> list[Turn]:
    return [Turn(TurnKind.SAY, t) for t in texts]


async def _run(engines: Engines, call: BoundaryCall, claude: tuple[MessagesApiServer, Workspace] | None
               ) -> CallOutcome:
    server, ws = claude if claude is not None else (None, engines.workspace)
    out = await run_call(engines, call, workspace=ws, server=server, active=set())
    judge(out, last_four_ok=True)
    return out


def _model_text(out: CallOutcome) -> str:
    """What the model was sent: the string values of every request body (ids and hashes masked)."""
    return " | ".join(s for doc in out.sinks.get("model_requests", []) for s in strings_of(doc))


async def test_card_typed_in_pairs_never_reaches_the_model(engines: Engines, claude: tuple) -> None:
    pairs = [Turn(TurnKind.TYPE, CARD[i:i + 2] + "#") for i in range(0, 16, 2)]
    out = await _run(engines, _call(*pairs), claude)
    assert out.sinks["model_requests"], "the model was asked nothing"
    assert out.leaks == {k: 0 for k in out.leaks}, out.leaks
    assert "(typed on the keypad) [CREDIT_CARD_1]" in _model_text(out) or "[NUMBER_1]" in _model_text(out)


async def test_card_spoken_in_pieces_never_reaches_the_model(engines: Engines, claude: tuple) -> None:
    turns = _say("It's 40.", "76.", "um, 12", "thirty four", "98.", "7 6", "fifty four", "38.")
    out = await _run(engines, _call(*turns), claude)
    assert out.leaks == {k: 0 for k in out.leaks}, out.leaks
    # one number, one token, in every request
    assert "[NUMBER_1]" in _model_text(out) and "[NUMBER_2]" not in _model_text(out)


@pytest.mark.parametrize(("texts", "secret"), [
    (("my card is 47", "38", "29"), "473829"),
    (("my card ends in 4 4 5 5",), "4455"),
])
async def test_short_cued_pieces_never_reach_the_model(engines: Engines, claude: tuple, texts: tuple[str, ...],
                                                       secret: str) -> None:
    out = await _run(engines, _call(*_say(*texts), secret=secret), claude)
    assert longest_leak(_model_text(out), secret, last_four_ok=False) == 0
    assert all(v == 0 for v in out.leaks.values()), out.leaks


async def test_a_name_is_not_a_request_for_a_person(engines: Engines) -> None:
    out = await _run(engines, _call(*_say("Hi, this is John Carter. I have a question about my bill."),
                                    secret="000"), None)
    assert out.departments[:1] == ["billing"]
    assert "[PERSON_1]" in " ".join(out.sinks["caller_page"])


async def test_this_is_fraud_is_not_a_name(engines: Engines) -> None:
    out = await _run(engines, _call(*_say("this is fraud, someone used my card"), secret="000"), None)
    assert "[PERSON" not in " ".join(out.sinks["caller_page"])
    assert out.departments[:1] == ["fraud"]


async def test_a_token_in_a_claude_reply_is_spoken_masked(engines: Engines, claude: tuple,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    spoken: list[str] = []
    real = engines.tts.synthesize

    def spy(text: str, rate: int) -> np.ndarray:
        spoken.append(text)
        return real(text, rate)

    monkeypatch.setattr(engines.tts, "synthesize", spy)
    out = await _run(engines, _call(*_say(f"my card number is {' '.join(CARD)}", "thanks")), claude)
    assert "Thank you, I have [CREDIT_CARD_1]" in _model_text(out)  # the model's reply held the token
    said = " ".join(spoken)
    assert "[" not in said and "bracket" not in said
    assert "ending in 5 4 3 8" in said


async def test_the_concierge_asking_makes_a_short_answer_part_of_the_number(engines: Engines,
                                                                         claude: tuple) -> None:
    call = _call(Turn(TurnKind.ASK, asks_for=EntityType.CVV), *_say("one two three"), secret="123")
    out = await _run(engines, call, claude)
    assert "[CVV_1]" in _model_text(out)
    assert out.leaks == {k: 0 for k in out.leaks}


async def test_an_unreadable_number_is_withheld_and_the_caller_asked_again(engines: Engines, claude: tuple,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    spoken: list[str] = []
    real = engines.tts.synthesize
    monkeypatch.setattr(engines.tts, "synthesize", lambda t, r: (spoken.append(t), real(t, r))[1])
    call = _call(Turn(TurnKind.ASK, asks_for=EntityType.CREDIT_CARD), *_say("for to won"), secret="4211")
    out = await _run(engines, call, claude)
    assert out.withheld == 1
    assert "for to won" not in _model_text(out)
    rows = " ".join(out.sinks["audit_export"])
    assert '"redaction.withheld"' in rows and '"unsure_number"' in rows
    assert any(ASK_AGAIN.split(".")[0] in s for s in spoken)


async def test_the_evaluation_sees_a_leak_when_the_guard_lets_text_through(
        engines: Engines, claude: tuple, monkeypatch: pytest.MonkeyPatch) -> None:
    """The measure itself: with the guard bypassed, every sink that carries caller text shows it."""
    monkeypatch.setattr(CallGuard, "heard", lambda self, text: GuardResult(text))
    out = await _run(engines, _call(*_say("It's 4076.", "1234", "9876 5438")), claude)
    assert out.leaks["model_requests"] >= 5
    assert out.leaks["audit_export"] >= 5
    assert out.leaks["caller_page"] >= 5


async def test_secure_keypad_capture(engines: Engines, claude: tuple) -> None:
    server, ws = claude
    server.enqueue(ScriptedResponse.tool_use("collect_number_securely", {"kind": "card"}))
    out_calls: list[CallOutcome] = []

    async def run() -> None:
        keys = [Turn(TurnKind.TYPE, CARD + "#")]
        out_calls.append(await _run(engines, _call(*_say("I want to pay by card"), *keys), claude))

    await run()
    out = out_calls[0]
    text = _model_text(out)
    assert '"status": "captured"' in text and '"valid": true' in text and '"digits": 16' in text, text
    assert out.leaks == {k: 0 for k in out.leaks}, out.leaks
    rows = " ".join(out.sinks["audit_export"])
    assert '"capture.completed"' in rows and '"length":16' in rows


async def test_fsdd_card_read_in_pairs_by_a_real_voice(engines: Engines, shared_dir: Path) -> None:
    """Real recordings (FSDD, speaker jackson), a Luhn-valid card read two digits per turn, through
    VAD, ASR, redaction and the embedded brain: nothing of it reaches the brain."""
    fsdd = shared_dir / "audio" / "fsdd"
    gap = np.zeros(int(0.12 * 8000), dtype=np.float32)
    turns = []
    for i in range(0, 16, 2):
        parts = []
        for k, d in enumerate(CARD[i:i + 2]):
            pcm, _ = read_audio(fsdd / f"{d}_jackson_{(i + k) % 25}.wav", 8000)
            parts += [pcm, gap]
        turns.append(ReplayTurn(to_int16_bytes(np.concatenate(parts))))
    result = await replay_inproc(engines, Scenario(name="fsdd-pairs", rate=8000, turns=turns), fast=True)
    brain = " | ".join(result.brain_inputs)
    assert result.brain_inputs
    assert longest_leak(brain, CARD, last_four_ok=True) == 0, brain


async def test_a_guard_that_misses_its_deadline_withholds_the_turn(engines: Engines, claude: tuple,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Redaction runs off the event loop with a deadline: a stuck guard holds only its own turn back."""
    real = CallGuard.heard

    def slow(self: CallGuard, text: str) -> GuardResult:
        if "slow" in text:
            time.sleep(0.8)  # over the workspace's 500 ms
        return real(self, text)

    monkeypatch.setattr(CallGuard, "heard", slow)
    out = await _run(engines, _call(*_say("this is slow, my card is 4076", "what are your hours")), claude)
    assert out.withheld == 1
    text = _model_text(out)
    assert "slow" not in text and "what are your hours" in text
    assert '"timeout"' in " ".join(out.sinks["audit_export"])
