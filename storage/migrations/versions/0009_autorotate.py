"""Automatic client-secret rotation through Amazon's Application Management API (issue 16).

``connections.autorotate``: the connection's owner or an admin turned automatic rotation on.
``processed_notifications``: one row per rotation-queue notification whose effect is committed, so a
redelivered message changes nothing.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("autorotate", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "processed_notifications",
        sa.Column("notification_id", sa.String(), primary_key=True),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_processed_notifications_processed_at", "processed_notifications", ["processed_at"])


def downgrade() -> None:
    op.drop_index("ix_processed_notifications_processed_at", table_name="processed_notifications")
    op.drop_table("processed_notifications")
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("autorotate")
