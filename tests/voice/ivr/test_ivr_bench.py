"""``dialphone bench ivr``: IVR calls keep their service level while AI calls load the machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from voice.pipeline.engines import Engines
from voice.testing.ivr_bench import GREETING_TARGET_MS, ROUTE_TARGET_MS, percentile, run_bench, summary
from voice.testing.scenarios import expand

REPO = Path(__file__).resolve().parents[3]
FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))


@pytest.mark.asyncio(loop_scope="session")
async def test_ivr_figures_hold_under_concurrent_ai_calls(engines: Engines) -> None:
    fixtures = [p for p in expand([REPO / "fixtures" / "audio"]) if p.name == "billing_8k.yaml"]
    assert len(fixtures) == 1
    res = await run_bench(
        engines, ivr_calls=4, ai_calls=2, rate=8000, fixtures=fixtures, warmup_s=30.0, ai_fast=True
    )
    out = summary(res, ivr_calls=4, ai_calls=2)
    assert set(out) >= {"greeting_p95_ms", "route_p95_ms"}
    assert res.failures == 0 and len(res.greeting_ms) == 4 and len(res.route_ms) == 4
    assert res.ai_calls_started >= 2 and res.ai_errors == []
    assert res.ai_busy_at_start  # the IVR calls ran while the AI calls were transcribing
    assert res.ivr_ai_invocations == 0
    assert out["greeting_p95_ms"] <= GREETING_TARGET_MS * FACTOR
    assert out["route_p95_ms"] <= ROUTE_TARGET_MS * FACTOR


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5.0, 1.0, 3.0], 0.5) == 3.0
    assert percentile(list(map(float, range(1, 101))), 0.95) == 95.0
