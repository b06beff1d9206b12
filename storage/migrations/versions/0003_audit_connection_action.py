"""Index the audit log by connection and action (the sweep's health-episode count).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_log_connection_id_action", "audit_log", ["connection_id", "action"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_connection_id_action", table_name="audit_log")
