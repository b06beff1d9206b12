"""Claims that hold across processes: idempotency keys, and the reminder ledger (each reminder sent once per
connection, secret generation and kind). The claiming functions commit before they return."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col

from storage.models import IdempotencyKey, ReminderLedger
from storage.repo._shared import _aware


def _insert_once(session: Session, row: SQLModel) -> bool:
    """Insert ``row`` in a savepoint; False when a unique constraint says it exists already. Commits."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        session.commit()
        return False
    session.commit()
    return True


def claim_idempotency_key(session: Session, key: str, now: datetime, result: str | None = None) -> bool:
    """True if this call claimed ``key`` first (across processes); False if it was claimed before.

    Inserts in a savepoint and relies on the primary key; commits the session.
    """
    return _insert_once(session, IdempotencyKey(key=key, created_at=_aware(now), result=result))


def set_idempotency_result(session: Session, key: str, result: str | None) -> None:
    """Record a small JSON result (never a secret; redacted anyway) for a claimed key. Caller commits."""
    row = session.get(IdempotencyKey, key)
    if row is None:
        raise LookupError(f"idempotency key {key!r} was never claimed")
    row.result = result
    session.add(row)
    session.flush()


def release_idempotency_key(session: Session, key: str) -> None:
    """Forget a claim (e.g. the work failed and a retry should run). Commits."""
    session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.key) == key))
    session.commit()


def purge_idempotency_keys(session: Session, older_than: datetime) -> int:
    """Delete claims created before ``older_than``; returns how many. Caller commits."""
    res = session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < _aware(older_than)))
    session.flush()
    # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def _ledger_row(connection_id: int, generation: int, kind: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(ReminderLedger.connection_id) == connection_id,
        col(ReminderLedger.generation) == generation,
        col(ReminderLedger.kind) == kind,
    )


def claim_reminder(
    session: Session, connection_id: int, generation: int, kind: str, claimed_by: str, now: datetime
) -> bool:
    """Claim the right to send (connection, generation, kind) once. True for exactly one caller.

    The claim is committed immediately so that other processes see it. Post, then call
    ``mark_reminder_sent``; if posting fails, ``release_reminder`` so a later sweep retries.
    """
    return _insert_once(session, ReminderLedger(
        connection_id=connection_id, generation=generation, kind=kind, claimed_at=_aware(now), claimed_by=claimed_by
    ))


def mark_reminder_sent(session: Session, connection_id: int, generation: int, kind: str, now: datetime) -> bool:
    """Record that the claimed reminder went out. Commits. False if there was no such claim."""
    res = session.execute(
        sa.update(ReminderLedger).where(_ledger_row(connection_id, generation, kind)).values(sent_at=_aware(now))
    )
    session.commit()
    # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
    return bool(res.rowcount)  # type: ignore[attr-defined]


def release_reminder(session: Session, connection_id: int, generation: int, kind: str) -> None:
    """Delete an unsent claim so the next sweep retries it. A reminder already sent stays recorded. Commits."""
    session.execute(
        sa.delete(ReminderLedger).where(
            _ledger_row(connection_id, generation, kind), col(ReminderLedger.sent_at).is_(None)
        )
    )
    session.commit()


def release_stale_reminder_claims(session: Session, older_than: datetime) -> int:
    """Delete claims never marked sent and made before ``older_than`` (their process died). Commits."""
    res = session.execute(
        sa.delete(ReminderLedger).where(
            col(ReminderLedger.sent_at).is_(None), col(ReminderLedger.claimed_at) < _aware(older_than)
        )
    )
    session.commit()
    # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


# Batch forms of the sweep's claims and look-ups: one statement per batch of due items instead of a
# round trip (and a commit) per item. Claims stay claims: a row is claimed by exactly one caller
# across processes (unique constraint with ON CONFLICT DO NOTHING, or a conditional UPDATE), and
# every claiming function commits before it returns, so the claim is visible before anything is posted.

LedgerKey = tuple[int, int, str]
"""(connection_id, generation, kind): one row of ``reminder_ledger``."""


def _ledger_insert_ignoring_duplicates(session: Session) -> sa.Insert:
    """``INSERT INTO reminder_ledger ... ON CONFLICT DO NOTHING RETURNING ...`` in the session's dialect
    (on the Core table: executed with a list of rows, SQLAlchemy sends them as multi-row VALUES pages
    of one cached statement)."""
    from sqlalchemy.dialects import postgresql, sqlite

    table = ReminderLedger.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models, not declared
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - make_engine accepts only these two
        raise ValueError(f"unsupported database dialect {dialect!r}")
    return stmt.on_conflict_do_nothing(index_elements=["connection_id", "generation", "kind"]).returning(
        table.c.id, table.c.connection_id, table.c.generation, table.c.kind
    )


def _insert_ledger_rows(session: Session, rows: Sequence[dict[str, object]]) -> dict[LedgerKey, int]:
    """Insert ledger rows, skipping any whose key exists (or is being inserted by another process,
    which PostgreSQL waits for). Returns the keys this call inserted, each with its row id.

    Rows go in key order, so two processes inserting overlapping batches take the same order and
    cannot deadlock on each other's unique-index entries.
    """
    ordered = [row for _key, row in sorted({(r["connection_id"], r["generation"], r["kind"]): r
                                            for r in rows}.items())]
    if not ordered:
        return {}
    result = session.execute(_ledger_insert_ignoring_duplicates(session), ordered)
    return {(int(cid), int(generation), str(kind)): int(row_id) for row_id, cid, generation, kind in result.all()}


def claim_reminders(
    session: Session, keys: Sequence[LedgerKey], claimed_by: str, now: datetime
) -> dict[LedgerKey, int]:
    """Batch ``claim_reminder``: claim each (connection, generation, kind) that nobody holds yet, in one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING``. Returns the keys this call claimed (each exactly
    one caller's, across processes) with their ledger row ids. Commits.
    """
    now = _aware(now)
    claimed = _insert_ledger_rows(session, [
        {"connection_id": c, "generation": g, "kind": k, "claimed_at": now, "claimed_by": claimed_by, "sent_at": None}
        for c, g, k in keys
    ]) if keys else {}
    session.commit()
    return claimed


def claim_reminders_superseding(
    session: Session,
    claims: Sequence[tuple[LedgerKey, Sequence[str]]],
    claimed_by: str,
    now: datetime,
) -> tuple[dict[LedgerKey, int], int]:
    """Claim each key like ``claim_reminders`` and, in the same committed transaction, record the less
    urgent kinds it supersedes as done so they never go out (only for the keys this call won).

    Returns (the keys claimed with their ledger row ids, how many superseded kinds were recorded).
    """
    now = _aware(now)
    won = _insert_ledger_rows(session, [
        {"connection_id": c, "generation": g, "kind": k, "claimed_at": now, "claimed_by": claimed_by, "sent_at": None}
        for (c, g, k), _older in claims
    ]) if claims else {}
    superseded = [
        {"connection_id": c, "generation": g, "kind": older, "claimed_at": now,
         "claimed_by": f"superseded by {k}", "sent_at": now}
        for (c, g, k), olders in claims if (c, g, k) in won for older in olders
    ]
    added = len(_insert_ledger_rows(session, superseded)) if superseded else 0
    session.commit()
    return won, added


def settle_reminder_claims(
    session: Session, sent: Sequence[int], released: Sequence[int], now: datetime
) -> None:
    """Batch ``mark_reminder_sent`` and ``release_reminder`` by ledger row id, in one transaction:
    ``sent`` rows are recorded as sent; ``released`` rows, if still unsent, are deleted so the next
    sweep retries them. Commits."""
    if sent:
        session.execute(
            sa.update(ReminderLedger).where(col(ReminderLedger.id).in_(list(sent))).values(sent_at=_aware(now))
        )
    if released:
        session.execute(
            sa.delete(ReminderLedger).where(
                col(ReminderLedger.id).in_(list(released)), col(ReminderLedger.sent_at).is_(None)
            )
        )
    session.commit()


def ledger_entries(
    session: Session, connection_ids: Sequence[int], generation: int
) -> dict[tuple[int, str], datetime | None]:
    """Every ledger row of one generation for many connections: (connection id, kind) -> sent_at
    (None while only claimed)."""
    if not connection_ids:
        return {}
    stmt = sa.select(col(ReminderLedger.connection_id), col(ReminderLedger.kind), col(ReminderLedger.sent_at)).where(
        col(ReminderLedger.connection_id).in_(list(connection_ids)), col(ReminderLedger.generation) == generation
    )
    return {(int(cid), str(kind)): sent_at for cid, kind, sent_at in session.execute(stmt).all()}
