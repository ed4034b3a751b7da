"""Workspace configuration: the example loads; every error names its line and field."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from concierge.config import ConfigError, load_workspace, parse_workspace
from voice.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "workspace.yaml"


def test_example_workspace_loads() -> None:
    ws = load_workspace(EXAMPLE, env={})
    assert {d.name for d in ws.departments} == {"billing", "technical_support", "sales", "clinical", "fraud"}
    assert ws.department("clinical") is not None and ws.department("clinical").requires_approval  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("old", "new", "field", "line_text"),
    [
        ("aggressiveness: 2", "aggressiveness: 7", "audio.vad.aggressiveness", "vad:"),
        ("requires_approval: true", "requires_approval: maybe", "departments.3.requires_approval", "requires_approval"),
        ("timezone: America/New_York\n", "timezone: Mars/Olympus\n", "timezone", "timezone: Mars"),
        ("max_per_call: 2", "max_per_call: 0", "transfer.max_per_call", "transfer:"),
        ('department: sales, prompt', 'department: nowhere, prompt', "ivr.options.2.department", "nowhere"),
    ],
)
def test_errors_name_line_and_field(old: str, new: str, field: str, line_text: str | None) -> None:
    text = EXAMPLE.read_text().replace(old, new, 1)
    assert text != EXAMPLE.read_text()
    with pytest.raises(ConfigError) as info:
        parse_workspace(text, source="ws.yaml", env={})
    problems = info.value.problems
    assert [p[1] for p in problems] == [field]
    line = problems[0][0]
    assert line is not None
    if line_text is not None:
        assert line_text in text.splitlines()[line - 1]


def test_every_error_is_reported_at_once() -> None:
    text = EXAMPLE.read_text().replace("aggressiveness: 2", "aggressiveness: 9").replace("stop_ms: 200", "stop_ms: 1")
    with pytest.raises(ConfigError) as info:
        parse_workspace(text, source="ws.yaml", env={})
    assert {p[1] for p in info.value.problems} == {"audio.vad.aggressiveness", "audio.vad.stop_ms"}


def test_a_cross_field_error_is_reported_with_the_field_errors_at_its_own_line() -> None:
    text = (EXAMPLE.read_text().replace("aggressiveness: 2", "aggressiveness: 9")
            .replace("department: sales, prompt", "department: nowhere, prompt", 1))
    with pytest.raises(ConfigError) as info:
        parse_workspace(text, source="ws.yaml", env={})
    lines = text.splitlines()
    found = {field: line for line, field, _msg in info.value.problems}
    assert set(found) == {"audio.vad.aggressiveness", "ivr.options.2.department"}  # one pass
    assert "nowhere" in lines[found["ivr.options.2.department"] - 1]
    assert "aggressiveness" in lines[found["audio.vad.aggressiveness"] - 1]


def test_invalid_yaml_names_the_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_workspace("id: x\nname: [unclosed\n", source="bad.yaml", env={})
    assert info.value.problems[0][0] is not None
    assert "not valid YAML" in info.value.problems[0][2]


def test_environment_variables_are_settings_not_workspace_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    from voice.settings import load_settings

    for name, value in {
        "DIALPHONE_BRAIN__BACKEND": "anthropic", "DIALPHONE_VAULT_KEY_B64": "a2V5", "DIALPHONE_AUDIT_KEY": "/k.pem",
        "DIALPHONE_AUDIT_DB": "/tmp/a.db", "DIALPHONE_AUDIT_SIGNING_KEY_B64": "a2V5", "DIALPHONE_UNKNOWN__X": "1",
    }.items():
        monkeypatch.setenv(name, value)
    ws = load_workspace(EXAMPLE)  # the documented variables no longer break loading the workspace
    assert ws.brain.backend == "embedded"
    settings = load_settings()
    assert settings.runtime_workspace(ws).brain.backend == "anthropic"
    assert settings.runtime_workspace(ws).security.vault_key_b64 == "a2V5"
    assert "a2V5" not in repr(settings) and "a2V5" not in str(settings.summary())
    monkeypatch.setenv("DIALPHONE_BRAIN__BACKEND", "gpt")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert info.value.problems[0][1] == "DIALPHONE_BRAIN_BACKEND" and "gpt" not in str(info.value)


def test_business_hours() -> None:
    sales = load_workspace(EXAMPLE, env={}).department("sales")
    assert sales is not None
    # Monday 2026-11-30 15:00 UTC is 10:00 in New York: open. Sunday is closed.
    assert sales.hours.is_open(datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    assert not sales.hours.is_open(datetime(2026, 11, 29, 15, 0, tzinfo=UTC))
    assert not sales.hours.is_open(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # 22:00 Monday in New York


def test_cli_config_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "validate", str(EXAMPLE)]) == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text(EXAMPLE.read_text().replace("stop_ms: 200", "stop_ms: lots"))
    assert main(["config", "validate", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "audio.vad.stop_ms" in err and f"{bad}:" in err


def test_every_setting_is_in_the_documented_table() -> None:
    from voice.settings import Settings

    table = (EXAMPLE.parents[1] / "docs" / "settings.md").read_text()
    for name in Settings.model_fields:
        assert f"`{name}`" in table, name
        assert f"DIALPHONE_{name.upper()}" in table, name
