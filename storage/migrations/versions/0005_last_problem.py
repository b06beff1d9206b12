"""A connection's last problem is stored as a meaning, not an English sentence.

``connections.last_error`` (a sentence in English) becomes ``last_problem_kind`` (what went wrong: a
``bot.amazon.verdicts.VerdictKind`` value or another ``ProblemKind``) and ``last_problem_params``
(the JSON parameters the words need, never a secret), so each reader sees it in their own language.
A sentence stored by an earlier version is kept as the ``legacy`` kind with the sentence as its
``text`` parameter, and comes back unchanged on downgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("last_problem_kind", sa.String(), nullable=True))
        batch.add_column(sa.Column("last_problem_params", sa.String(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, last_error FROM connections WHERE last_error IS NOT NULL")).all()
    for row_id, text in rows:
        bind.execute(
            sa.text("UPDATE connections SET last_problem_kind = 'legacy', last_problem_params = :params "
                    "WHERE id = :id"),
            {"params": json.dumps({"text": text}, ensure_ascii=False), "id": row_id},
        )
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("last_error")


def downgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("last_error", sa.String(), nullable=True))
    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, last_problem_kind, last_problem_params FROM connections WHERE last_problem_kind IS NOT NULL"
    )).all()
    for row_id, kind, params in rows:
        try:
            values = json.loads(params or "{}")
        except ValueError:
            values = {}
        text = values.get("text") if kind == "legacy" and isinstance(values, dict) else None
        bind.execute(sa.text("UPDATE connections SET last_error = :text WHERE id = :id"),
                     {"text": text or f"Last check: {kind}", "id": row_id})
    with op.batch_alter_table("connections") as batch:
        batch.drop_column("last_problem_params")
        batch.drop_column("last_problem_kind")
