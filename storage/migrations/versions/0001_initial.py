"""Core tables: connections, checklist_progress, audit_log.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("account_type", sa.String(), nullable=False),
        sa.Column("selling_partner_id", sa.String(), nullable=False),
        sa.Column("region", sa.String(), nullable=False),
        sa.Column("marketplace_id", sa.String(), nullable=False),
        sa.Column("client_id", sa.String(), nullable=False),
        sa.Column("store_name", sa.String(), nullable=True),
        sa.Column("client_secret_enc", sa.LargeBinary(), nullable=True),
        sa.Column("refresh_token_enc", sa.LargeBinary(), nullable=True),
        sa.Column("client_secret_fp", sa.String(), nullable=True),
        sa.Column("refresh_token_fp", sa.String(), nullable=True),
        sa.Column("secret_created_on", sa.Date(), nullable=False),
        sa.Column("secret_expires_on", sa.Date(), nullable=False),
        sa.Column("secret_generation", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("last_verified_at", TS, nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("transient_failures", sa.Integer(), nullable=False),
        sa.Column("next_health_check_at", TS, nullable=True),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("team_id", "name", name="uq_connections_team_id_name"),
    )
    op.create_index("ix_connections_team_id", "connections", ["team_id"])
    op.create_index("ix_connections_client_secret_fp", "connections", ["client_secret_fp"])
    op.create_index("ix_connections_refresh_token_fp", "connections", ["refresh_token_fp"])
    op.create_index("ix_connections_secret_expires_on", "connections", ["secret_expires_on"])
    op.create_index("ix_connections_status", "connections", ["status"])
    op.create_index("ix_connections_next_health_check_at", "connections", ["next_health_check_at"])

    op.create_table(
        "checklist_progress",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("user_id", sa.String(), nullable=False),
        sa.Column("account_type", sa.String(), nullable=True),
        sa.Column("completed_steps", sa.String(), nullable=False),
        sa.Column("profile_submitted_at", TS, nullable=True),
        sa.Column("nudge_due_at", TS, nullable=True),
        sa.Column("nudge_sent_at", TS, nullable=True),
        sa.Column("dm_channel", sa.String(), nullable=True),
        sa.Column("dm_ts", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("team_id", "user_id", name="uq_checklist_progress_team_id_user_id"),
    )
    op.create_index("ix_checklist_progress_nudge_due_at", "checklist_progress", ["nudge_due_at"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column(
            "connection_id",
            sa.Integer(),
            sa.ForeignKey("connections.id", ondelete="SET NULL", name="fk_audit_log_connection_id"),
            nullable=True,
        ),
        sa.Column("connection_name", sa.String(), nullable=True),
        sa.Column("actor", sa.String(), nullable=False),
        sa.Column("action", sa.String(), nullable=False),
        sa.Column("detail", sa.String(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_audit_log_team_id", "audit_log", ["team_id"])
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("checklist_progress")
    op.drop_table("connections")
