"""Rows of the state store as values: API tokens and opt-out entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def now_ts(at: datetime | None = None) -> str:
    """Fixed-width UTC text (sorts like the time it names, in SQLite and PostgreSQL alike)."""
    return (at or datetime.now(UTC)).astimezone(UTC).strftime(TS_FORMAT)


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, TS_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """An API token: its SHA-256 digest, never the token. ``role`` is a :class:`voice.admin.Role` value."""

    id: str
    workspace_id: str
    name: str
    role: str
    digest: str
    created_at: str = ""
    created_by: str = ""
    expires_at: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None

    def active(self, now: str | None = None) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > (now or now_ts()))

    @property
    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "active" if self.active() else "expired"

    def as_dict(self) -> dict[str, str | None]:
        """What listings show: never the digest."""
        return {
            "id": self.id, "workspace_id": self.workspace_id, "name": self.name, "role": str(self.role),
            "created_at": self.created_at, "created_by": self.created_by, "expires_at": self.expires_at,
            "revoked_at": self.revoked_at, "revoked_by": self.revoked_by, "status": self.status,
        }


@dataclass(frozen=True, slots=True)
class OptOutEntry:
    id: str  # the first 16 hex digits of the identifier: enough to address, not to recover
    workspace_id: str
    masked: str
    source: str  # "admin", "caller_consent", "seed"
    created_by: str
    created_at: str

    def as_dict(self) -> dict[str, str]:
        return {
            "id": self.id,
            "masked": self.masked,
            "source": self.source,
            "created_by": self.created_by,
            "created_at": self.created_at,
        }
