"""``dialphone replay`` as a tester runs it: one line for a bad input (before any model loads), and a
verdict per fixture with a non-zero exit on FAIL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO / "fixtures" / "audio"


def _dialphone(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIALPHONE_") or k == "DIALPHONE_SHARED"}
    return subprocess.run([sys.executable, "-m", "voice.cli", *args], cwd=cwd or REPO, env=env, text=True,
                          capture_output=True, timeout=timeout)


def _one_line_error(run: subprocess.CompletedProcess[str], *needles: str) -> str:
    out = run.stdout + run.stderr
    assert run.returncode == 2, out
    assert "Traceback" not in out and "loading" not in out, out  # no model was loaded
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def _text(d: Path) -> Path:
    (d / "notes.txt").write_text("not audio")
    return d / "notes.txt"


def _cd_rate(d: Path) -> Path:
    sf.write(d / "cd.wav", np.zeros(4410, "float32"), 44100)
    return d / "cd.wav"


def _no_audio(d: Path) -> Path:
    (d / "f.yaml").write_text("scenario: x\n")
    return d / "f.yaml"


@pytest.mark.parametrize(
    ("make", "needles"),
    [
        (_text, ("notes.txt", "not an audio file")),
        (_cd_rate, ("44100 Hz", "--rate 16000")),
        (lambda d: d / "missing.wav", ("no such file", "missing.wav")),
        (_no_audio, ("f.yaml", "not a fixture")),
    ],
    ids=["text-file", "44k-wav", "missing", "yaml-without-audio"],
)
def test_a_bad_input_is_one_line_before_any_model_loads(
    tmp_path: Path, make: Callable[[Path], Path], needles: tuple[str, ...]
) -> None:
    path = make(tmp_path)
    started = time.monotonic()
    run = _dialphone("replay", str(path))
    assert time.monotonic() - started < 15  # python start-up and imports only
    _one_line_error(run, *needles)


def test_a_remote_replay_without_server_says_so() -> None:
    for via in ("ws", "sip"):
        _one_line_error(_dialphone("replay", "--via", via, str(FIXTURES / "billing_8k.yaml")), f"--via {via}", "--server")


def test_a_remote_replay_reads_the_secret_from_its_config(tmp_path: Path) -> None:
    """--via ws signs with the --config workspace's media-stream secret: no secret there, one line."""
    config = yaml.safe_load((REPO / "examples" / "workspace.yaml").read_text())
    config.setdefault("security", {})["media_stream_secret"] = None
    (tmp_path / "ws.yaml").write_text(yaml.safe_dump(config))
    run = _dialphone("replay", "--via", "ws", "--server", "http://127.0.0.1:9", "--config", str(tmp_path / "ws.yaml"),
                     str(FIXTURES / "billing_8k.yaml"))
    _one_line_error(run, "media-stream secret", "ws.yaml")
    config["security"]["media_stream_secret"] = "from-the-config"
    (tmp_path / "ws.yaml").write_text(yaml.safe_dump(config))
    run = _dialphone("replay", "--via", "ws", "--server", "http://127.0.0.1:9", "--config", str(tmp_path / "ws.yaml"),
                     str(FIXTURES / "billing_8k.yaml"))
    assert run.returncode == 2 and "Traceback" not in run.stderr  # got as far as calling: the secret was found
    assert "cannot connect" in run.stderr.strip().splitlines()[-1]


@pytest.mark.slow
def test_replay_gives_a_verdict_and_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    spec = yaml.safe_load((FIXTURES / "billing_8k.yaml").read_text())
    spec["scenario"] = "billing_8k_wrong"
    spec["audio"] = str(FIXTURES / spec["audio"])
    spec["expect"]["department"] = "sales"
    wrong = tmp_path / "billing_8k_wrong.yaml"
    wrong.write_text(yaml.safe_dump(spec))
    run = _dialphone("replay", "--fast", "--config", str(REPO / "examples" / "workspace.yaml"), "--json",
                     str(tmp_path / "out.json"), str(FIXTURES / "billing_8k.yaml"), str(wrong), cwd=tmp_path, timeout=240)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    verdicts = {line.split("│")[1].strip(): line.split("│")[2].strip() for line in run.stdout.splitlines()
                if line.count("│") >= 3 and ("PASS" in line or "FAIL" in line)}
    assert verdicts == {"billing_8k": "PASS", "billing_8k_wrong": "FAIL"}, run.stdout
    assert "1 of 2 scenario(s) PASS; FAIL: billing_8k_wrong" in run.stderr
    out = json.loads((tmp_path / "out.json").read_text())
    assert [(c["scenario"], c["verdict"]) for c in out["calls"]] == [("billing_8k", "PASS"), ("billing_8k_wrong", "FAIL")]
    assert out["summary"]["turns"] == sum(len(c["turns"]) for c in out["calls"])
    assert any("sales" in f for f in out["calls"][1]["failures"])
