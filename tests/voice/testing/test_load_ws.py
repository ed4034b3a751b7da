"""``bench concurrency``'s runner against a real server over media streams: distinct callers answered by
the AI with the queue figures in their reports, and refused callers counted as refused, not dropped."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_server import SECRET, MediaServer

from concierge.config import Overload, OverloadAction
from voice.pipeline.admission import AdmissionControl
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

    cfg = Overload(action=OverloadAction.REFUSE, max_ai_calls=1)

    def swap() -> AdmissionControl:
        engines = media_server.state.engines  # type: ignore[union-attr]
        before = engines.admission
        engines.admission = AdmissionControl(queue=engines.asr_queue, settings=lambda: cfg, live_ai_calls=lambda: 1)
        return before

    before = media_server.call(swap)
    try:
        run = await run_load(arrival_plan(scenarios, arrivals, seed=8), via="ws", arrivals=arrivals,
                             server=media_server.ws, secret=SECRET)
    finally:
        media_server.call(lambda: setattr(media_server.state.engines, "admission", before))  # type: ignore[union-attr]
    s = summarize(run)
    assert s["outcomes"] == {"refused": 2} and s["dropped"] == 0 and s["turns"] == 0
