"""Opt-out resolution at call set-up: workspace, feature, caller number; numbers never stored raw."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.payloads import OptOutScope
from concierge.config import Workspace, load_workspace
from voice.admin.sqlite_store import SqliteConfigStore
from voice.ivr.optout import mask_number, normalize_number, number_digest, resolve

REPO = Path(__file__).resolve().parents[3]
CALLER = "+1 (212) 555-0142"


@pytest.fixture
def ws() -> Workspace:
    return load_workspace(REPO / "examples" / "workspace.yaml", env={})


def with_features(ws: Workspace, **kw: bool) -> Workspace:
    return ws.model_copy(update={"features": ws.features.model_copy(update=kw)})


@pytest.mark.parametrize(
    ("features", "scope", "trigger"),
    [
        ({"ai_enabled": False}, OptOutScope.WORKSPACE, "ai_disabled"),
        ({"concierge": False}, OptOutScope.FEATURE, "concierge_disabled"),
        ({"transcription": False}, OptOutScope.FEATURE, "transcription_disabled"),
        ({"ai_enabled": False, "concierge": False}, OptOutScope.WORKSPACE, "ai_disabled"),
    ],
)
def test_workspace_and_feature_switches_turn_the_ai_off(
    ws: Workspace, features: dict[str, bool], scope: OptOutScope, trigger: str
) -> None:
    d = resolve(with_features(ws, **features), CALLER)
    assert (d.ai, d.scope, d.trigger) == (False, scope, trigger)


def test_recording_off_alone_keeps_the_ai(ws: Workspace) -> None:
    d = resolve(with_features(ws, recording=False), CALLER)
    assert d.ai and d.scope is None and d.recording is False
    assert resolve(with_features(ws, recording=True), CALLER).recording is True


@pytest.mark.parametrize("form", ["+12125550142", "2125550142", "sip:+12125550142@pbx.example", "tel:+1-212-555-0142"])
def test_numbers_in_the_workspace_list_match_in_any_written_form(ws: Workspace, form: str) -> None:
    listed = ws.model_copy(update={"optout_numbers": [CALLER]})
    d = resolve(listed, form)
    assert (d.ai, d.scope, d.trigger) == (False, OptOutScope.CALLER, "workspace_list")
    assert resolve(listed, "+1 212 555 0143").ai


def test_the_admin_list_is_consulted_and_holds_no_raw_number(ws: Workspace, tmp_path: Path) -> None:
    store = SqliteConfigStore(tmp_path / "config.db")
    assert resolve(ws, CALLER, store).ai
    entry = store.add_optout(ws.id, CALLER, source="admin", actor="admin:alice")
    d = resolve(ws, "2125550142", store)
    assert (d.ai, d.scope, d.trigger) == (False, OptOutScope.CALLER, "caller_list")
    assert entry.masked == mask_number(CALLER) and entry.masked.endswith("42") and "555" not in entry.masked
    store.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"2125550142" not in raw and b"555-0142" not in raw
    assert number_digest(ws.id, CALLER).encode() in raw


def test_digests_are_salted_per_workspace() -> None:
    assert number_digest("a", CALLER) != number_digest("b", CALLER)
    assert normalize_number("(212) 555-0142") == "+12125550142"


def test_unknown_or_missing_caller_keeps_the_ai(ws: Workspace) -> None:
    assert resolve(ws, None).ai and resolve(ws, "anonymous").ai


def test_identifiers_are_hmac_over_e164_in_the_workspace_region() -> None:
    uk = "+44 7700 900123"
    assert normalize_number("07700 900123", "GB") == normalize_number(uk, "GB") == "+447700900123"
    assert number_digest("w", "07700 900123", region="GB") == number_digest("w", uk, region="GB")
    assert number_digest("w", "sip:+447700900123@trunk.example;user=phone", region="US") == number_digest(
        "w", uk, region="GB")
    # keyed: another key gives another identifier, and the identifier is not a plain hash of the number
    assert number_digest("w", uk, key=b"k" * 32) != number_digest("w", uk, key=b"j" * 32)
    import hashlib
    assert number_digest("w", uk) not in {hashlib.sha256(x.encode()).hexdigest() for x in (uk, "+447700900123")}


def test_a_gb_workspace_matches_national_and_international_forms(ws: Workspace, tmp_path: Path) -> None:
    gb = ws.model_copy(update={"default_region": "GB"})
    store = SqliteConfigStore(tmp_path / "state.db")
    store.save(gb, actor="test")
    store.add_optout(gb.id, "+44 7700 900123", source="admin", actor="admin:alice")
    d = resolve(gb, "07700 900123", store)
    assert (d.ai, d.trigger) == (False, "caller_list")
    store.close()
