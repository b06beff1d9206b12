"""Each person's Slack locale, as the last process that asked Slack (``users.info``) found it.

Every process (the web tier, each worker) used to keep what Slack said only in its own memory, so a
person whose language a worker had looked up (for the checklist DM) was looked up again by the web tier
when they clicked a button in it. ``slack_locale`` and ``slack_locale_at`` on ``user_preferences``
(the row ``bot.locales`` already reads for the person's own choice, so reading them costs no query) are
trusted for as long as the in-memory copy was (10 minutes). A row may now exist with ``language`` NULL
(no choice: follow Slack) and only the Slack locale set.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.add_column(sa.Column("slack_locale", sa.String(), nullable=True))
        batch.add_column(sa.Column("slack_locale_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_preferences") as batch:
        batch.drop_column("slack_locale_at")
        batch.drop_column("slack_locale")
