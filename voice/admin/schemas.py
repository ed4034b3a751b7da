"""Request and response bodies of the admin API (configuration bodies reuse concierge.config)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from concierge.config import BusinessHours, Transport, _check_tz


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_targets(v: dict[Transport, str]) -> dict[Transport, str]:
    for t, target in v.items():
        if not target.strip() or len(target) > 200:
            raise ValueError(f"target for {t} must be 1 to 200 characters")
    return v


class WorkspaceSummary(BaseModel):
    id: str
    name: str
    timezone: str
    greeting: str
    departments: int
    version: int
    active: bool


class WorkspacePatch(_Body):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    greeting: str | None = Field(default=None, min_length=1, max_length=500)
    timezone: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return None if v is None else _check_tz(v)


class RoutingUpdate(_Body):
    targets: dict[Transport, str] = Field(description="transfer target per transport")
    requires_approval: bool = False
    enabled: bool = True

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[Transport, str]) -> dict[Transport, str]:
        return _check_targets(v)


class DepartmentEdit(_Body):
    """A department's edit as the console makes it: any of these fields, checked together and saved as
    one change (one version, one ``config.changed`` event), or refused whole with nothing saved."""

    description: str | None = Field(default=None, min_length=1, max_length=500)
    targets: dict[Transport, str] | None = Field(default=None, description="transfer target per transport")
    requires_approval: bool | None = None
    enabled: bool | None = None
    hours: BusinessHours | None = None

    @field_validator("targets")
    @classmethod
    def _targets(cls, v: dict[Transport, str] | None) -> dict[Transport, str] | None:
        return None if v is None else _check_targets(v)


class Routing(BaseModel):
    department: str
    targets: dict[str, str]
    requires_approval: bool
    enabled: bool


class OptOutCreate(_Body):
    number: str = Field(min_length=7, max_length=32, pattern=r"^\+?[0-9][0-9 ().\-]{5,30}$")

    @field_validator("number")
    @classmethod
    def _digits(cls, v: str) -> str:
        if sum(c.isdigit() for c in v) < 7:
            raise ValueError("a phone number needs at least 7 digits")
        return v


class OptOut(BaseModel):
    id: str
    masked: str
    source: str
    created_by: str
    created_at: str


class DecisionBody(_Body):
    note: str | None = Field(default=None, max_length=200)


class Approval(BaseModel):
    id: str
    workspace_id: str
    call_id: str
    proposal_id: str | None = None
    department: str
    reason: str
    context: list[dict[str, str]]
    created_at: str
    status: str
    decided_by: str | None
    decided_at: str | None
    note: str | None


class LiveCall(BaseModel):
    call_id: str
    transport: str
    mode: str
    optout_scope: str | None
    seconds: float
    turns: int
    transfers: int


class WhoAmI(BaseModel):
    name: str
    role: str
    workspace_id: str


class TokenCreate(_Body):
    name: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,119}$")
    role: Literal["admin", "supervisor", "auditor"]
    expires_in: str = Field(default="90d", pattern=r"^(\d{1,5}[hdw]|never)$",
                            description="12h, 30d, 2w or never")


class TokenInfo(BaseModel):
    id: str
    workspace_id: str
    name: str
    role: str
    created_at: str
    created_by: str
    expires_at: str | None
    revoked_at: str | None
    revoked_by: str | None
    status: str


class TokenCreated(TokenInfo):
    token: str = Field(description="the secret: shown once, stored only as a digest")
