"""``dialphone serve`` stops on what it can check before loading a model: one line, exit 2."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from loguru import logger as loguru_logger

from voice.server.logs import configure

REPO = Path(__file__).resolve().parents[3]


def _serve(tmp_path: Path, *args: str, **env_extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIALPHONE_") and k != "ANTHROPIC_API_KEY"}
    env.update(env_extra)
    return subprocess.run([sys.executable, "-m", "voice.cli", "serve", "--data-dir", str(tmp_path / "var"), *args],
                          cwd=REPO, env=env, text=True, capture_output=True, timeout=60)


def _one_line(run: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and "loading models" not in run.stderr, run.stderr
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_ports_in_use_and_a_brain_without_key_stop_before_the_models(tmp_path: Path) -> None:
    with socket.socket() as tcp, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()
        udp.bind(("127.0.0.1", 0))
        started = time.monotonic()
        http = tcp.getsockname()[1]
        _one_line(_serve(tmp_path, "--http-port", str(http), "--sip-port", "0"),
                  f"HTTP port {http}", "in use", "--http-port")
        assert time.monotonic() - started < 10
        sip = udp.getsockname()[1]
        _one_line(_serve(tmp_path, "--http-port", "0", "--sip-port", str(sip)), f"SIP (UDP) port {sip}", "--sip-port")
    _one_line(_serve(tmp_path, "--http-port", "0", "--sip-port", "0", DIALPHONE_BRAIN__BACKEND="anthropic"),
              "anthropic", "ANTHROPIC_API_KEY", "DIALPHONE_BRAIN__BACKEND=embedded")


def test_library_chatter_and_harmless_warnings_are_hidden_at_the_default_level(capsys) -> None:  # type: ignore[no-untyped-def]
    try:
        configure("INFO", "text")
        assert logging.getLogger("aioice.ice").getEffectiveLevel() == logging.WARNING
        loguru_logger.warning("No video transceiver is available")
        loguru_logger.warning("something else went wrong")
        err = capsys.readouterr().err
        assert "something else went wrong" in err and "video transceiver" not in err
        configure("DEBUG", "text")
        assert logging.getLogger("aioice").level == logging.NOTSET  # the root's level again
        loguru_logger.warning("No video transceiver is available")
        assert "video transceiver" in capsys.readouterr().err
    finally:
        configure("INFO", "text")
        loguru_logger.remove()
        loguru_logger.add(sys.stderr, level="WARNING")
