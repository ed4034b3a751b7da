"""The ``dialphone`` command as a new user meets it: --version, the groups' help, one program name,
help text on every option, admin tokens without ``python -m``."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voice.cli import DELEGATED, GROUPS, _parser, main

REPO = Path(__file__).resolve().parents[2]


def test_version_and_group_help(capsys: pytest.CaptureFixture[str]) -> None:
    run = subprocess.run([sys.executable, "-m", "voice.cli", "--version"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.startswith("dialphone ") and "Traceback" not in run.stderr
    for group in ("eval", "bench"):
        assert main([group, "--help"]) == 0
        out = capsys.readouterr().out
        for name in GROUPS[group][1]:
            assert f"\n  {name} " in out, (group, name)
        assert main([group]) == 2 and "usage: dialphone " + group in capsys.readouterr().err
        assert main([group, "nonsense"]) == 2 and "no such command 'nonsense'" in capsys.readouterr().err


def _parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    out = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out += _parsers(sub)
    return out


class _Built(Exception):
    def __init__(self, parser: argparse.ArgumentParser) -> None:
        self.parser = parser


#: Commands whose parsers are not argparse's to inspect (none left: every delegated command is checked).
NOT_OURS: set[str] = set()


def test_every_option_has_help_and_the_program_name_is_dialphone(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    def built(self: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        raise _Built(self)

    monkeypatch.setattr(argparse.ArgumentParser, "parse_args", built)
    roots = [_parser()]
    for target, *prefix in dict.fromkeys(DELEGATED.values()):
        if target in NOT_OURS:
            continue
        module, func = target.split(":")
        with pytest.raises(_Built) as got:
            getattr(importlib.import_module(module), func)([*prefix, "--help"])
        roots.append(got.value.parser)
    for root in roots:
        for p in _parsers(root):
            assert p.prog == "dialphone" or p.prog.startswith("dialphone "), p.prog
            for action in p._actions:
                if action.option_strings and action.help != argparse.SUPPRESS:
                    assert action.help, (p.prog, action.option_strings)


def test_admin_token_create_list_revoke(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    for key in [k for k in os.environ if k.startswith("DIALPHONE_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("DIALPHONE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DIALPHONE_CONFIG", str(REPO / "examples" / "workspace.yaml"))
    assert main(["admin", "token", "create", "--role", "supervisor", "--name", "bob"]) == 0
    out = capsys.readouterr().out
    token_id = out.split()[1]
    assert "of workspace demo" in out and "shown once: " in out
    assert main(["admin", "token", "list"]) == 0
    listed = capsys.readouterr().out
    assert token_id in listed and "bob" in listed and out.split("shown once: ")[1].strip() not in listed
    assert main(["admin", "token", "revoke", token_id]) == 0
    assert "revoked" in capsys.readouterr().out
    assert main(["admin", "token", "list", "--workspace", "demo"]) == 0
    assert "revoked" in capsys.readouterr().out


def test_the_sample_messages_script_loads_and_a_bad_one_is_one_line(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    from concierge.messages_api_server import load_script

    (first,) = load_script(REPO / "examples" / "messages-script.yaml")
    assert first.tool_name == "propose_transfer" and first.tool_input["department"] == "billing"
    (tmp_path / "bad.yaml").write_text("just text\n")
    assert main(["messages-api", "--script", str(tmp_path / "bad.yaml")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("dialphone messages-api: --script") and "\n" not in err


def test_bench_concurrency_against_a_server_needs_a_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    import yaml

    for key in [k for k in os.environ if "MEDIA_STREAM_SECRET" in k]:
        monkeypatch.delenv(key)
    config = yaml.safe_load((REPO / "examples" / "workspace.yaml").read_text())
    config.setdefault("security", {})["media_stream_secret"] = None
    (tmp_path / "ws.yaml").write_text(yaml.safe_dump(config))
    code = main(["bench", "concurrency", "--via", "ws", "--server", "http://127.0.0.1:9", "--config",
                 str(tmp_path / "ws.yaml")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no media-stream secret" in err and "\n" not in err
