"""The state store: workspaces (versioned), API tokens (expiry, revocation), opt-outs, approvals.

Revision ID: s0001
"""

import sqlalchemy as sa
from alembic import op

revision = "s0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
    )
    op.create_table(
        "api_tokens",
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
    op.create_table(
        "optouts",
        sa.Column("workspace_id", sa.String(40), primary_key=True),
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("masked", sa.String(40), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "approvals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("workspace_id", sa.String(40), nullable=False),
        sa.Column("call_id", sa.String(200), nullable=False),
        sa.Column("proposal_id", sa.String(200), nullable=False),
        sa.Column("department", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("context", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_by", sa.String(200)),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("note", sa.Text),
    )
    op.create_index("approvals_status", "approvals", ["workspace_id", "status"])


def downgrade() -> None:
    for table in ("approvals", "optouts", "api_tokens", "workspaces"):
        op.drop_table(table)
