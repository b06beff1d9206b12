"""Small storage helpers for tests: what the bot does inline (the sweep marking a connection failing), and
read-outs of the reminder ledger that only tests need.

The bot has no function for these, so storage.repo does not carry them; tests build on the same columns.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from storage import repo
from storage.models import Connection, ReminderLedger


def mark_failing(session: Session, connection: Connection, error: str, now: datetime) -> None:
    """What the health check does when a check fails (``bot.flows.sweep._mark_failing``): status
    ``failing``, the error kept (redacted by the model), a ``health_failing`` audit entry. Caller commits."""
    connection.status = "failing"
    connection.last_error = error
    connection.updated_at = now
    session.add(connection)
    repo.add_audit(session, team_id=connection.team_id, actor=repo.SYSTEM_ACTOR, action="health_failing",
                   connection=connection, detail=error, now=now)


def reminders(session: Session, connection_id: int, generation: int | None = None) -> list[ReminderLedger]:
    """The ledger rows of a connection (of one secret generation, if given), oldest first."""
    stmt = select(ReminderLedger).where(ReminderLedger.connection_id == connection_id)
    if generation is not None:
        stmt = stmt.where(ReminderLedger.generation == generation)
    return list(session.exec(stmt.order_by(col(ReminderLedger.id))).all())
