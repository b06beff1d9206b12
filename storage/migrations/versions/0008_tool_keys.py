"""Tool keys for the HTTP API (issue 15): ``tool_keys``, their scopes and the record of credential exports.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tool_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("active_name", sa.String(), nullable=True),
        sa.Column("prefix", sa.String(), nullable=False),
        sa.Column("key_hash", sa.String(), nullable=False),
        sa.Column("hash_kid", sa.String(), nullable=False),
        sa.Column("export", sa.Boolean(), nullable=False),
        sa.Column("all_connections", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.String(), nullable=True),
        sa.UniqueConstraint("team_id", "active_name", name="uq_tool_keys_team_id_active_name"),
        sa.UniqueConstraint("key_hash", name="uq_tool_keys_key_hash"),
    )
    op.create_index("ix_tool_keys_team_id", "tool_keys", ["team_id"])
    op.create_index("ix_tool_keys_prefix", "tool_keys", ["prefix"])
    op.create_table(
        "tool_key_scopes",
        sa.Column("tool_key_id", sa.Integer(),
                  sa.ForeignKey("tool_keys.id", ondelete="CASCADE", name="fk_tool_key_scopes_tool_key_id"),
                  primary_key=True),
        sa.Column("connection_id", sa.Integer(),
                  sa.ForeignKey("connections.id", ondelete="CASCADE", name="fk_tool_key_scopes_connection_id"),
                  primary_key=True),
    )
    op.create_index("ix_tool_key_scopes_connection_id", "tool_key_scopes", ["connection_id"])
    op.create_table(
        "tool_key_exports",
        sa.Column("tool_key_id", sa.Integer(),
                  sa.ForeignKey("tool_keys.id", ondelete="CASCADE", name="fk_tool_key_exports_tool_key_id"),
                  primary_key=True),
        sa.Column("connection_id", sa.Integer(),
                  sa.ForeignKey("connections.id", ondelete="CASCADE", name="fk_tool_key_exports_connection_id"),
                  primary_key=True),
        sa.Column("client_secret_fp", sa.String(), nullable=True),
        sa.Column("secret_generation", sa.Integer(), nullable=False),
        sa.Column("exported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_tool_key_exports_connection_id", "tool_key_exports", ["connection_id"])


def downgrade() -> None:
    op.drop_index("ix_tool_key_exports_connection_id", table_name="tool_key_exports")
    op.drop_table("tool_key_exports")
    op.drop_index("ix_tool_key_scopes_connection_id", table_name="tool_key_scopes")
    op.drop_table("tool_key_scopes")
    op.drop_index("ix_tool_keys_prefix", table_name="tool_keys")
    op.drop_index("ix_tool_keys_team_id", table_name="tool_keys")
    op.drop_table("tool_keys")
