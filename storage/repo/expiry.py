"""Client-secret expiry: the expiry date, and which connections have an expiry reminder due."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import SECRET_LIFETIME_DAYS, Connection, ReminderLedger
from storage.repo._shared import LIVE_STATUSES
from storage.repo.claims import LedgerKey


def secret_expiry(created_on: date) -> date:
    """The day a client secret created on ``created_on`` expires (created-on + 180 days)."""
    return created_on + timedelta(days=SECRET_LIFETIME_DAYS)


def _reminder_kind_expr(today: date, lead_days: Sequence[int]) -> sa.ColumnElement[str]:
    """SQL for the most urgent expiry reminder of a connection on ``today``: ``expired`` or ``expiry:L``."""
    expires = col(Connection.secret_expires_on)
    whens: list[tuple[sa.ColumnElement[bool], sa.ColumnElement[str]]] = [(expires <= today, sa.literal("expired"))]
    for lead in sorted(set(lead_days)):
        whens.append((expires <= today + timedelta(days=lead), sa.literal(f"expiry:{lead}")))
    return sa.case(*whens, else_=sa.literal(""))


def due_expiry_reminders_statement(
    today: date, lead_days: Sequence[int], limit: int
) -> sa.Select[int | None, str, int]:
    """The query behind ``due_expiry_reminder_keys`` (exposed so tests can check its plan uses an index).

    Picks live connections whose secret expires within the largest lead time and whose most urgent
    pending reminder is not in the ledger for the current secret generation. The range on the
    indexed ``secret_expires_on`` drives it; the ledger is probed through its unique index. The
    status test is wrapped in ``coalesce`` so that a planner without statistics (SQLite) cannot prefer
    the low-selectivity status index over the date range.
    """
    kind = _reminder_kind_expr(today, lead_days)
    horizon = today + timedelta(days=max(lead_days))
    already = (
        sa.select(sa.literal(1))
        .where(
            col(ReminderLedger.connection_id) == col(Connection.id),
            col(ReminderLedger.generation) == col(Connection.secret_generation),
            col(ReminderLedger.kind) == kind,
        )
        .exists()
    )
    return (
        sa.select(col(Connection.id), kind.label("kind"), col(Connection.secret_generation))
        .where(
            col(Connection.secret_expires_on) <= horizon,
            sa.func.coalesce(col(Connection.status), "").in_(LIVE_STATUSES),
            ~already,
        )
        .order_by(col(Connection.secret_expires_on), col(Connection.id))
        .limit(limit)
    )


def due_expiry_reminder_keys(
    session: Session, *, today: date, lead_days: Sequence[int], limit: int = 2000
) -> list[LedgerKey]:
    """(connection id, secret generation, most urgent pending kind) of each live connection with an expiry
    reminder due and not yet claimed for its current secret generation, soonest expiry first."""
    if not lead_days:
        return []
    rows = session.execute(due_expiry_reminders_statement(today, lead_days, limit)).all()
    return [(int(cid), int(generation), str(kind)) for cid, kind, generation in rows if kind]
