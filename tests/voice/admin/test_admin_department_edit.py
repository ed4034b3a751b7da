"""A department's edit is one change: routing and hours in one request, saved whole or not at all.

The console used to save the routing and then the hours in two requests; a bad time zone saved the
routing, failed the hours and left a half-applied change on the audit log. ``PATCH
.../departments/{name}`` takes any of the department's editable fields, checks them together and
makes one version with one ``config.changed`` event, or answers 422 naming the field with nothing
saved and nothing audited.
"""

from __future__ import annotations

import pytest

from audit.store import RowQuery
from tests.voice.admin.conftest import AdminEnv
from voice.admin import Role

pytestmark = pytest.mark.asyncio(loop_scope="session")

A, S, U = Role.ADMIN, Role.SUPERVISOR, Role.AUDITOR
W = "/admin/api/workspaces/demo"
EDIT = {
    "targets": {"sip": "sip:sales-desk@127.0.0.1:5070", "webrtc": "queue:sales-desk"},
    "requires_approval": True,
    "enabled": True,
    "hours": {"timezone": "Europe/Paris", "always": False,
              "weekly": {"mon": ["09:00-12:00", "13:30-17:00"], "sat": ["10:00-14:00"]}},
}


def config_events(env: AdminEnv) -> list[dict[str, object]]:
    return [r.to_dict() for r in env.engines.audit_log._store.rows("demo", RowQuery(types=("config.changed",)))]


async def test_routing_and_hours_are_saved_as_one_audited_change(admin: AdminEnv) -> None:
    events, version = len(config_events(admin)), admin.store.version("demo")
    r = await admin.client.patch(f"{W}/departments/sales", json=EDIT, headers=admin.auth("demo", A))
    assert r.status_code == 200, r.text
    sales = admin.engines.workspace.department("sales")
    assert sales is not None and sales.requires_approval is True
    assert sales.targets["sip"] == "sip:sales-desk@127.0.0.1:5070"
    assert sales.hours.timezone == "Europe/Paris" and sales.hours.weekly["mon"] == ["09:00-12:00", "13:30-17:00"]
    assert sales.description.startswith("new plans")  # fields not in the body keep their value
    assert admin.store.version("demo") == version + 1
    new = config_events(admin)[events:]
    assert len(new) == 1
    payload = new[0]["payload"]
    assert payload["key"] == "departments.sales"  # type: ignore[index]
    assert payload["before"]["hours"]["timezone"] == "America/New_York"  # type: ignore[index]
    assert payload["after"]["hours"]["timezone"] == "Europe/Paris"  # type: ignore[index]
    assert payload["after"]["targets"]["sip"] == "sip:sales-desk@127.0.0.1:5070"  # type: ignore[index]


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ({"timezone": "Mars/Olympus", "weekly": {"mon": ["09:00-17:00"]}}, "hours.timezone"),
        ({"timezone": "UTC", "weekly": {"mon": ["9-5"]}}, "hours.weekly"),
        ({"timezone": "UTC", "weekly": {"funday": ["09:00-17:00"]}}, "hours.weekly"),
    ],
)
async def test_a_bad_field_saves_nothing_and_audits_nothing(admin: AdminEnv, hours: dict[str, object], field: str) -> None:
    before = admin.engines.workspace
    events, version = len(config_events(admin)), admin.store.version("demo")
    body = EDIT | {"hours": hours}
    r = await admin.client.patch(f"{W}/departments/sales", json=body, headers=admin.auth("demo", A))
    assert r.status_code == 422, r.text
    locs = [".".join(str(p) for p in d["loc"]) for d in r.json()["detail"]]
    assert any(field in loc for loc in locs), locs
    assert admin.engines.workspace is before
    assert admin.store.version("demo") == version
    stored = admin.store.load("demo")
    assert stored is not None and stored.department("sales") == before.department("sales")  # routing untouched
    assert len(config_events(admin)) == events


async def test_unknown_department_and_other_roles_are_refused(admin: AdminEnv) -> None:
    r = await admin.client.patch(f"{W}/departments/nope", json={"enabled": False}, headers=admin.auth("demo", A))
    assert r.status_code == 404
    for role in (S, U):
        r = await admin.client.patch(f"{W}/departments/sales", json={"enabled": False}, headers=admin.auth("demo", role))
        assert r.status_code == 403


async def test_the_time_zone_picker_lists_what_business_hours_accept(admin: AdminEnv) -> None:
    r = await admin.client.get("/admin/api/timezones", headers=admin.auth("demo", U))
    assert r.status_code == 200
    zones = r.json()
    assert "America/New_York" in zones and "Europe/Paris" in zones and "UTC" in zones
    assert zones == sorted(zones)
    body = EDIT | {"hours": {"timezone": zones[len(zones) // 2], "always": True}}
    r = await admin.client.patch(f"{W}/departments/sales", json=body, headers=admin.auth("demo", A))
    assert r.status_code == 200, r.text
