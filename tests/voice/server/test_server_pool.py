"""The server as one worker of a pool, without models: /healthz vs /readyz, /metrics with nothing
running, JSON log lines with the call id, the audit sink's counters, safe label values, and the
deployment settings a pool adds (RTP range, drain limit, log format)."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from concierge.audit_sink import MemoryAuditSink
from concierge.config import ConfigError, Transport, load_workspace
from voice.pipeline.calllog import CallLog, TurnRecord
from voice.pipeline.turns import TurnTiming
from voice.server.app import create_app
from voice.server.call_metrics import MeteredAuditSink, TurnHarvest, call_hook
from voice.server.logs import CALL_ID, JsonFormatter
from voice.server.metrics import ServerMetrics, label
from voice.server.process import ServerProcess
from voice.settings import load_settings

REPO = Path(__file__).resolve().parents[3]


def _process(tmp_path: Path) -> ServerProcess:
    return ServerProcess(workspace=load_workspace(REPO / "examples" / "workspace.yaml", env={}), data_dir=tmp_path)


def test_readiness_is_separate_from_liveness(tmp_path: Path) -> None:
    state = _process(tmp_path)
    client = TestClient(create_app(state))
    assert client.get("/healthz").status_code == 503 and client.get("/readyz").json() == {"status": "starting"}
    state.ready = True
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    state.ready, state.draining = False, True  # SIGTERM: alive, but takes no new call
    assert client.get("/healthz").json()["status"] == "draining" and client.get("/healthz").status_code == 200
    r = client.get("/readyz")
    assert r.status_code == 503 and r.json() == {"status": "draining"}
    metrics = client.get("/metrics")
    assert metrics.status_code == 200 and metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    families = {f.name: f for f in text_string_to_metric_families(metrics.text)}
    assert families["dialphone_draining"].samples[0].value == 1
    assert families["dialphone_ready"].samples[0].value == 0
    assert {s.labels["transport"] for s in families["dialphone_calls_active"].samples} == {"sip", "ws", "webrtc",
                                                                                          "inproc"}


def test_label_values_come_from_closed_sets() -> None:
    assert label("caller_turn") == "caller_turn"
    assert label("allow", ("allow", "deny")) == "allow"
    assert label("maybe", ("allow", "deny")) == "other"
    for unsafe in ("+12125550161", "4111 1111 1111 1111", "I forgot my password", "a" * 40, "Caller", ""):
        assert label(unsafe) == "other"


async def test_the_audit_sink_is_timed_and_counted() -> None:
    metrics = ServerMetrics()
    inner = MemoryAuditSink()
    sink = MeteredAuditSink(inner, metrics)
    await sink.emit("transfer.decided", {"decision": "allow", "rule_id": "r"}, call_id="c1", actor="gate", durable=True)
    await sink.emit("transfer.decided", {"decision": "+12125550161"}, call_id="c1", actor="gate", durable=True)
    await sink.emit("redaction.withheld", {"stage": "caller_turn", "reason": "timeout", "entity_counts": {}},
                    call_id="c1", actor="redaction")
    await sink.emit("brain.turn", {"output": "hello"}, call_id="c1", actor="brain")
    assert len(inner.records) == 4 and sink.of_type("brain.turn")  # everything else is the inner sink's
    text = (await metrics.render()).decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples[("dialphone_gate_decisions_total", (("decision", "allow"),))] == 1
    assert samples[("dialphone_gate_decisions_total", (("decision", "other"),))] == 1
    assert samples[("dialphone_redaction_withheld_total", (("reason", "timeout"), ("stage", "caller_turn")))] == 1
    assert samples[("dialphone_audit_gating_write_seconds_count", ())] == 2
    assert "2125550161" not in text and "c1" not in text


def test_json_log_lines_carry_the_call_id() -> None:
    formatter = JsonFormatter()
    record = logging.LogRecord("dialphone.sip", logging.INFO, __file__, 1, "sip call %s ended", ("call-3",), None)
    assert "call_id" not in json.loads(formatter.format(record))

    async def in_a_call() -> dict[str, object]:
        CALL_ID.set("3f2a9c")
        return dict(json.loads(formatter.format(record)))

    line = asyncio.run(in_a_call())
    assert line["call_id"] == "3f2a9c" and line["message"] == "sip call call-3 ended" and line["level"] == "INFO"
    assert CALL_ID.get() is None  # the call's context stayed in its task
    try:
        raise ValueError("a secret value")
    except ValueError:
        failed = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert json.loads(formatter.format(failed))["exc_type"] == "ValueError"


def test_pool_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(None)
    assert s.rtp_ports() is None and s.drain_timeout_s == 60 and s.log_format == "text"
    monkeypatch.setenv("DIALPHONE_RTP_PORT_MIN", "20000")
    monkeypatch.setenv("DIALPHONE_RTP_PORT_MAX", "20999")
    monkeypatch.setenv("DIALPHONE_LOG_FORMAT", "json")
    monkeypatch.setenv("DIALPHONE_DRAIN_TIMEOUT_S", "5")
    s = load_settings(None)
    assert s.rtp_ports() == (20000, 20999) and s.log_format == "json" and s.drain_timeout_s == 5
    monkeypatch.delenv("DIALPHONE_RTP_PORT_MAX")
    with pytest.raises(ConfigError, match="both"):
        load_settings(None)
    monkeypatch.setenv("DIALPHONE_RTP_PORT_MAX", "19999")
    with pytest.raises(ConfigError, match="below"):
        load_settings(None)
    monkeypatch.setenv("DIALPHONE_RTP_PORT_MAX", "20999")
    monkeypatch.setenv("DIALPHONE_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError) as err:
        load_settings(None)
    assert "DIALPHONE_LOG_FORMAT" in str(err.value.problems)


class _Worker:
    def __init__(self) -> None:
        self.finished = False

    def has_finished(self) -> bool:
        return self.finished


class _Session:
    def __init__(self) -> None:
        self.call_id = "c0ffee"
        self.kind = Transport.SIP
        self.log = CallLog(self.call_id)
        self.worker = _Worker()


def test_turns_are_read_from_the_call_logs_once_each() -> None:
    metrics = ServerMetrics()
    harvest = TurnHarvest(metrics)
    metrics.on_scrape.append(harvest.harvest)
    session = _Session()
    context = contextvars.copy_context()  # the call's task
    context.run(call_hook(metrics, harvest), session)
    assert context[CALL_ID] == "c0ffee" and CALL_ID.get() is None  # its log lines carry the call id
    timing = TurnTiming(endpoint_wait_ms=200, asr_ms=120, asr_wait_ms=150)
    session.log.turns.append(TurnRecord(timing=timing))  # the reply has not started yet: not counted
    samples = _samples(asyncio.run(metrics.render()))
    assert samples[("dialphone_calls_answered_total", (("transport", "sip"),))] == 1
    assert ("dialphone_turns_total", (("transport", "sip"),)) not in samples
    session.log.turns[0].brain_ms, session.log.turns[0].tts_first_ms = 30.0, 50.0
    session.log.turns.append(TurnRecord(timing=TurnTiming(asr_ms=80)))  # no reply: counted when the call ends
    samples = _samples(asyncio.run(metrics.render()))
    assert samples[("dialphone_turns_total", (("transport", "sip"),))] == 1
    assert samples[("dialphone_voice_to_voice_seconds_sum", (("transport", "sip"),))] == pytest.approx(0.43)
    session.worker.finished = True
    samples = _samples(asyncio.run(metrics.render()))
    assert samples[("dialphone_turns_total", (("transport", "sip"),))] == 2
    assert samples[("dialphone_asr_seconds_count", (("transport", "sip"),))] == 2
    assert samples[("dialphone_voice_to_voice_seconds_count", (("transport", "sip"),))] == 1
    assert not harvest._calls  # an ended call is let go once read


def _samples(text: bytes) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text.decode()) for s in f.samples}


def test_the_grafana_dashboard_names_only_metrics_we_export(tmp_path: Path) -> None:
    state = _process(tmp_path)
    state.metrics.withheld.labels("caller_turn", "timeout")  # families with labels show once a child exists
    state.metrics.gate.labels("allow")
    for histogram in (state.metrics.voice_to_voice, state.metrics.asr, state.metrics.brain, state.metrics.tts,
                      state.metrics.turns, state.metrics.calls_answered):
        histogram.labels("sip")
    exported = {s.name for f in text_string_to_metric_families(asyncio.run(state.metrics.render()).decode())
                for s in f.samples}
    dashboard = (REPO / "deploy" / "grafana" / "dialphone.json").read_text()
    named = set(re.findall(r"dialphone_[a-z_]+", dashboard)) - {"dialphone_workers"}
    assert named and named <= exported, sorted(named - exported)
