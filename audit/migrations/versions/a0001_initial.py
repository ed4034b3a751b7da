"""The audit log in PostgreSQL: events (one hash chain per workspace), heads, signed checkpoints,
public keys. Payloads are kept as their canonical JSON text (the row hash covers those bytes).

Revision ID: a0001
"""

import sqlalchemy as sa
from alembic import op

revision = "a0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("workspace_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("ts", sa.Text, nullable=False),
        sa.Column("call_id", sa.Text),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.Text, nullable=False),
        sa.Column("row_hash", sa.Text, nullable=False),
    )
    op.create_index("audit_events_call", "audit_events", ["workspace_id", "call_id"])
    op.create_index("audit_events_ts", "audit_events", ["workspace_id", "ts"])
    op.create_table(
        "audit_heads",
        sa.Column("workspace_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("row_hash", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("workspace_id", sa.Text, primary_key=True),
        sa.Column("seq", sa.BigInteger, primary_key=True),
        sa.Column("head_hash", sa.Text, nullable=False),
        sa.Column("span_start", sa.BigInteger, nullable=False),
        sa.Column("span_root", sa.Text, nullable=False),
        sa.Column("ts", sa.Text, nullable=False),
        sa.Column("key_id", sa.Text, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
    )
    op.create_table(
        "audit_public_keys",
        sa.Column("key_id", sa.Text, primary_key=True),
        sa.Column("pem", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("audit_public_keys", "audit_checkpoints", "audit_heads", "audit_events"):
        op.drop_table(table)
