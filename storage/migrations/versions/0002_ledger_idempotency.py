"""Reminder ledger and idempotency keys (what the lifecycle sweep and Slack retries need).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "reminder_ledger",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column(
            "connection_id",
            sa.Integer(),
            sa.ForeignKey("connections.id", ondelete="CASCADE", name="fk_reminder_ledger_connection_id"),
            nullable=False,
        ),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("claimed_at", TS, nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.UniqueConstraint(
            "connection_id", "generation", "kind", name="uq_reminder_ledger_connection_id_generation_kind"
        ),
    )
    op.create_index("ix_reminder_ledger_connection_id", "reminder_ledger", ["connection_id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.String(), primary_key=True, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("result", sa.String(), nullable=True),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_table("reminder_ledger")
