"""The daily health check's schedule: when each connection is next due, and the claims that let exactly one
sweep check it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from storage.models import Connection
from storage.repo._shared import LIVE_STATUSES, _aware

HEALTH_CHECK_INTERVAL = timedelta(hours=24)


def schedule_next_health_check(
    connection_id: int, now: datetime, interval: timedelta = HEALTH_CHECK_INTERVAL
) -> datetime:
    """``now + interval`` shifted by a deterministic per-connection jitter of up to +-1/12 of it.

    Spreads the daily checks of many connections over the day instead of bunching them.
    """
    span = max(int(interval.total_seconds() // 12), 1)
    digest = hashlib.sha256(f"health:{connection_id}".encode()).digest()
    offset = int.from_bytes(digest[:4], "big") % (2 * span) - span
    return _aware(now) + interval + timedelta(seconds=offset)


def due_health_checks_statement(now: datetime, limit: int) -> sa.Select[int | None]:
    """The query behind ``due_health_check_ids`` (exposed so tests can check its plan uses an index)."""
    return (
        sa.select(col(Connection.id))
        .where(col(Connection.next_health_check_at) <= _aware(now), col(Connection.status) != "disconnected")
        .order_by(col(Connection.next_health_check_at), col(Connection.id))
        .limit(limit)
    )


def due_health_check_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Ids of live connections whose next health check is due, most overdue first (uses the index)."""
    return [int(i) for i in session.execute(due_health_checks_statement(now, limit)).scalars().all()]


def claim_health_checks(session: Session, next_checks: dict[int, datetime], now: datetime) -> list[int]:
    """For each connection id still live and due at ``now``, move its next
    check to its new time, in one ``UPDATE ... RETURNING``; returns the ids this call claimed. Commits.

    Moving the check out of the due range is the claim: once committed, no other process finds it
    due. On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` first, so rows another
    process is claiming at this moment are left to it instead of waited for (no lock-order deadlock);
    the due test is re-evaluated on the newest row version. SQLite serialises writers.
    """
    if not next_checks:
        return []
    ids = sorted(next_checks)
    current = col(Connection.next_health_check_at)
    claimable = (
        sa.select(col(Connection.id))
        .where(col(Connection.id).in_(ids), current <= _aware(now), col(Connection.status).in_(LIVE_STATUSES))
        .with_for_update(skip_locked=True)
    )
    # __table__ is set by SQLModel, not declared:
    column_type = Connection.__table__.c.next_health_check_at.type  # type: ignore[attr-defined]
    new_next = sa.case(
        {cid: sa.literal(_aware(next_checks[cid]), type_=column_type) for cid in ids},
        value=col(Connection.id),
        else_=current,
    )
    stmt = (
        sa.update(Connection)
        .where(col(Connection.id).in_(claimable.scalar_subquery()))
        .values(next_health_check_at=new_next)
        .returning(col(Connection.id))
    )
    claimed = sorted(int(i) for i in session.execute(stmt).scalars().all())
    session.commit()
    return claimed


def reschedule_health_checks(session: Session, connection_ids: Sequence[int], when: datetime) -> None:
    """Make live connections' next health check due at ``when`` (e.g. retry an alert next pass). Commits."""
    if connection_ids:
        session.execute(
            sa.update(Connection)
            .where(col(Connection.id).in_(list(connection_ids)), col(Connection.status).in_(LIVE_STATUSES))
            .values(next_health_check_at=_aware(when))
        )
    session.commit()
