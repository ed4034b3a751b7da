"""The state store's tables (SQLAlchemy Core), the same in SQLite and PostgreSQL.

Times are fixed-width UTC text (:func:`voice.store.records.now_ts`). The schema is created and
changed only by the Alembic migrations in ``migrations/``; this module describes it for queries.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

workspaces = sa.Table(
    "workspaces", metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),  # concierge.config.stored_form: no secrets, no numbers
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated_at", sa.String(32), nullable=False),
    sa.Column("updated_by", sa.String(200), nullable=False),
)

tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("workspace_id", sa.String(40), nullable=False, index=True),
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.String(32)),
    sa.Column("revoked_at", sa.String(32)),
    sa.Column("revoked_by", sa.String(200)),
)

optouts = sa.Table(
    "optouts", metadata,
    sa.Column("workspace_id", sa.String(40), primary_key=True),
    sa.Column("digest", sa.String(64), primary_key=True),  # HMAC-SHA-256 (voice.ivr.optout.number_digest)
    sa.Column("masked", sa.String(40), nullable=False),
    sa.Column("source", sa.String(40), nullable=False),
    sa.Column("created_by", sa.String(200), nullable=False),
    sa.Column("created_at", sa.String(32), nullable=False),
)

approvals = sa.Table(
    "approvals", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("workspace_id", sa.String(40), nullable=False),
    sa.Column("call_id", sa.String(200), nullable=False),
    sa.Column("proposal_id", sa.String(200), nullable=False),
    sa.Column("department", sa.String(40), nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("context", sa.Text, nullable=False),  # JSON list of tokenized turns
    sa.Column("created_at", sa.String(32), nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("decided_by", sa.String(200)),
    sa.Column("decided_at", sa.String(32)),
    sa.Column("note", sa.Text),
    sa.Index("approvals_status", "workspace_id", "status"),
)
