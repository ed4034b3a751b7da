"""The admin HTTP API and web console: configuration, opt-outs, approvals, audit export.

    from voice.admin import admin_router
    app.include_router(admin_router(state))

Roles and permissions: :mod:`voice.admin.roles`. Tokens: :mod:`voice.admin.tokens`. Storage:
:class:`voice.admin.store.ConfigStore` (SQLite by default).
"""

from __future__ import annotations

from voice.admin.roles import PERMISSIONS, Permission, Principal, Role
from voice.admin.router import admin_router
from voice.admin.sqlite_store import SqliteConfigStore
from voice.admin.store import ConfigStore, OptOutEntry

__all__ = [
    "PERMISSIONS",
    "ConfigStore",
    "OptOutEntry",
    "Permission",
    "Principal",
    "Role",
    "SqliteConfigStore",
    "admin_router",
]
