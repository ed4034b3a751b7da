"""Roles, permissions and who may do what: the one table the API and its tests read.

    admin       edits configuration (departments, routing, hours, IVR, features), the opt-out list
                and the workspace's API tokens (create with an expiry, list, revoke)
    supervisor  decides pending transfer approvals; sees live calls
    auditor     exports the audit log
Every role reads the workspace summary, its configuration and the model cards.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"


class Permission(StrEnum):
    WORKSPACE_READ = "workspace.read"
    CONFIG_READ = "config.read"
    CONFIG_WRITE = "config.write"
    TOKENS = "tokens"
    OPTOUT_READ = "optout.read"
    OPTOUT_WRITE = "optout.write"
    APPROVALS = "approvals"
    AUDIT_EXPORT = "audit.export"
    CALLS_READ = "calls.read"
    MODEL_CARDS = "model_cards"


ALL = frozenset(Role)

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.WORKSPACE_READ: ALL,
    Permission.CONFIG_READ: ALL,
    Permission.CONFIG_WRITE: frozenset({Role.ADMIN}),
    Permission.TOKENS: frozenset({Role.ADMIN}),
    Permission.OPTOUT_READ: frozenset({Role.ADMIN}),
    Permission.OPTOUT_WRITE: frozenset({Role.ADMIN}),
    Permission.APPROVALS: frozenset({Role.SUPERVISOR}),
    Permission.AUDIT_EXPORT: frozenset({Role.AUDITOR}),
    Permission.CALLS_READ: frozenset({Role.ADMIN, Role.SUPERVISOR}),
    Permission.MODEL_CARDS: ALL,
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the token's name (the identity audit events record), role and workspace."""

    name: str
    role: Role
    workspace_id: str
    token_id: str

    @property
    def identity(self) -> str:
        return f"{self.role}:{self.name}"

    def may(self, permission: Permission) -> bool:
        return self.role in PERMISSIONS[permission]
