"""``bench concurrency``'s runner against a real server over media streams: distinct callers answered by
the AI with the queue figures in their reports, and refused callers counted as refused, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_server import SECRET, MediaServer

from concierge.config import OverloadAction
from voice.testing.load import Arrivals, arrival_plan, run_load, summarize
from voice.testing.scenarios import load_scenario

pytestmark = pytest.mark.slow


async def test_two_distinct_callers_then_two_refused(media_server: MediaServer, fixtures_dir: Path) -> None:
    scenarios = [load_scenario(fixtures_dir / "billing_8k.yaml"), load_scenario(fixtures_dir / "sales_8k.yaml")]
    arrivals = Arrivals(pattern="burst", calls=2)
    plan = arrival_plan(scenarios, arrivals, seed=7)
    run = await run_load(plan, via="ws", arrivals=arrivals, server=media_server.ws, secret=SECRET)
    s = summarize(run)
    assert s["outcomes"] == {"ai": 2} and s["no_reply"] == 0 and s["turns"] == 2
    assert s["asr_mean_batch"] is not None and s["asr_queue_p95_ms"] == s["asr_queue_p95_ms"]  # not NaN
    assert s["p95_ms"] < 5000

    with media_server.overloaded(OverloadAction.REFUSE):
        run = await run_load(arrival_plan(scenarios, arrivals, seed=8), via="ws", arrivals=arrivals,
                             server=media_server.ws, secret=SECRET)
    s = summarize(run)
    assert s["outcomes"] == {"refused": 2} and s["dropped"] == 0 and s["turns"] == 0
