"""End to end: every fixture scenario replayed in process, checked against its YAML expectations."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from redaction.leaks import longest_leak
from voice.pipeline.engines import Engines
from voice.testing.replay import CallResult, replay_inproc
from voice.testing.scenarios import load_scenario
from voice.testing.verdict import judge

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "audio"
SCENARIOS = sorted(p for p in FIXTURES.glob("*.yaml") if p.name != "INDEX.yaml")
TOKEN = re.compile(r"\[([A-Z_]+)_\d+\]")


def _leaked(value: str, brain_text: str) -> int:
    """The longest stretch of the value in what the brain received, however written (digits, spoken
    words, "oh", "double", any separators), beyond the last four (redaction.leaks)."""
    digits = re.sub(r"\D", "", value)
    return longest_leak(brain_text, digits, last_four_ok=len(digits) >= 9) if len(digits) >= 3 else 0


async def _replay_all(engines: Engines) -> dict[str, tuple[dict[str, Any], CallResult]]:
    sem = asyncio.Semaphore(5)

    async def one(path: Path) -> tuple[str, tuple[dict[str, Any], CallResult]]:
        async with sem:
            spec = yaml.safe_load(path.read_text())  # noqa: ASYNC240 - small local test file
            return path.stem, (spec, await replay_inproc(engines, load_scenario(path)))

    return dict(await asyncio.gather(*(one(p) for p in SCENARIOS)))


_CACHE: dict[str, tuple[dict[str, Any], CallResult]] = {}


async def _get(engines: Engines, name: str) -> tuple[dict[str, Any], CallResult]:
    if not _CACHE:
        _CACHE.update(await _replay_all(engines))
    return _CACHE[name]


def _open_now(engines: Engines, department: str) -> bool:
    dept = engines.workspace.department(department)
    return dept is not None and dept.hours.is_open(datetime.now(UTC))


def test_every_scenario_has_both_bands() -> None:
    assert len(SCENARIOS) >= 30
    bases = {p.stem.rsplit("_", 1)[0] for p in SCENARIOS}
    for b in bases:
        assert (FIXTURES / f"{b}_16k.yaml").exists() and (FIXTURES / f"{b}_8k.yaml").exists()


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
async def test_fixture_expectations(engines: Engines, path: Path) -> None:
    spec, result = await _get(engines, path.stem)
    expect = spec.get("expect") or {}
    brain_text = " ".join(result.brain_inputs)
    tools = " ".join(r.tools for r in result.rows)
    kinds = {e["event"] for e in expect.get("events") or []}

    # Promise 3: no raw sensitive value reaches the brain, and each entity became a token.
    for ent in expect.get("pii") or []:
        assert _leaked(str(ent["value"]), brain_text) == 0, f"{ent['type']} digits reached the brain"
    if expect.get("pii"):
        assert TOKEN.search(brain_text), "no token in what the brain received"
    for ent in expect.get("pii") or []:
        if len(ent.get("turns") or []) > 1:
            tokens = {m.group(0) for m in TOKEN.finditer(brain_text) if m.group(1) == ent["type"]}
            assert len(tokens) == 1, f"split {ent['type']} became {len(tokens)} tokens"

    verdict = judge(expect, result)  # what dialphone replay tells a tester about this call
    assert verdict.passed, (verdict.failures, [(r.caller, r.reply, r.tools, r.decision) for r in result.rows])

    if "no_speech" in kinds or not spec.get("turns"):
        assert result.brain_inputs == [] and result.transfers == []
        assert all(not r.caller for r in result.rows)
        return
    if "human_request" in kinds:
        assert "caller_requests_human" in tools
        return
    department = expect.get("department")
    if department:
        assert f"propose_transfer(department={department!r}" in tools, tools
        decisions = [d.get("decision") for d in result.decisions]
        if expect.get("needs_approval"):
            assert "needs_approval" in decisions
            assert result.transfers == []  # nobody approved within the replay: nothing executed
        elif _open_now(engines, department):
            assert "allow" in decisions
            assert [t[0] for t in result.transfers] == [department]
        else:  # outside the department's business hours (sales): denied, nothing executed
            assert decisions and set(decisions) == {"deny"}
            assert result.transfers == []
    if "clarifying_question" in kinds:
        assert "?" in result.rows[0].reply
