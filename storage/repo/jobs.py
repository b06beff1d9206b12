"""The job queue: a ``jobs`` table claimed with leases, the way the sweep claims its work.

- ``enqueue``: one job, idempotent by ``dedupe_key`` (``INSERT ... ON CONFLICT DO NOTHING``); on
  PostgreSQL it sends ``NOTIFY bot_jobs`` in the same transaction, and in every process it wakes the
  local workers once the transaction commits (``on_enqueue``). A job's secrets go in ``secret_blob``,
  encrypted with the bot's AEAD keys and bound to the job's id. The caller commits.
- ``claim_next``: the oldest due job of the given kinds, or a running one whose lease ran out, becomes
  the caller's with a lease, in one short write transaction: ``UPDATE ... WHERE id = (SELECT ... FOR
  UPDATE SKIP LOCKED)`` on PostgreSQL, the same guarded UPDATE under ``BEGIN IMMEDIATE`` on SQLite.
- ``renew_lease``, ``complete``, ``fail`` (retry with backoff, or dead after ``max_attempts``),
  ``give_up``: only the lease's owner may settle a job (a worker that lost its lease changes nothing).
  Every end erases ``secret_blob``.
- ``purge_job_secrets``: no job's secrets outlive it, nor its first 15 minutes.
- ``heartbeat``, ``queue_stats``: is a worker alive, how deep and how old is the queue.

Every function that takes a ``Database`` opens and commits its own short session; ``enqueue`` works in
the caller's session. Every ``now`` is a timezone-aware UTC datetime.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import Session, col

from storage.crypto import Crypto
from storage.db import Database
from storage.models import Job, JobState, WorkerHeartbeat
from storage.repo._shared import _aware

JOBS_TABLE = "jobs"
SECRETS_FIELD = "secrets"
NOTIFY_CHANNEL = "bot_jobs"
SECRET_TTL = timedelta(minutes=15)
BACKOFF_BASE = timedelta(seconds=2)
BACKOFF_CAP = timedelta(minutes=5)
ENDED = (JobState.DONE, JobState.FAILED, JobState.DEAD)


@dataclass(frozen=True)
class ClaimedJob:
    """A job a worker holds: what it needs to run it (never its secrets in clear)."""

    id: int
    kind: str
    dedupe_key: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    created_at: datetime
    lease_until: datetime
    has_secrets: bool


@dataclass(frozen=True)
class QueueStats:
    depth: int  # queued jobs due now
    oldest_waiting_seconds: float  # how long the oldest due queued job has waited (0 when none)
    running: int
    live_workers: int


# --- waking local workers ------------------------------------------------------------------------

_wakers: list[Callable[[], None]] = []
_wakers_lock = threading.Lock()
_PENDING = "jobs_enqueued"


def on_enqueue(callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after every commit that enqueued a job in this process; returns the undo."""
    with _wakers_lock:
        _wakers.append(callback)

    def remove() -> None:
        with _wakers_lock:
            if callback in _wakers:
                _wakers.remove(callback)

    return remove


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        with _wakers_lock:
            callbacks = list(_wakers)
        for callback in callbacks:
            callback()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# --- enqueue --------------------------------------------------------------------------------------


def _prepared_enqueue() -> dict[str, tuple[Any, Any, Any]]:
    """Per dialect, the three statements ``enqueue`` runs, built once: the insert that ignores a queued
    ``dedupe_key`` (returning the new id), the read of the job already queued under it, and the
    ``secret_blob`` update (bound to the id the insert returned). Plain Core on the session's connection:
    a job insert is the web tier's one write per request, and building and compiling its statements each
    time (through the ORM's bulk-update path) cost more than running them."""
    from sqlalchemy.dialects import postgresql, sqlite

    table: sa.Table = Job.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models
    existing = sa.select(table.c.id).where(table.c.dedupe_key == sa.bindparam("dedupe_key"))
    blob = (sa.update(table).where(table.c.id == sa.bindparam("job_id"))
            .values(secret_blob=sa.bindparam("blob")))
    prepared: dict[str, tuple[Any, Any, Any]] = {}
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite)):
        insert = dialect.insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(table.c.id)
        prepared[name] = (insert, existing, blob)
    return prepared


_ENQUEUE = _prepared_enqueue()


def enqueue(
    session: Session,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    now: datetime,
    dedupe_key: str | None = None,
    secrets: Mapping[str, str] | None = None,
    crypto: Crypto | None = None,
    max_attempts: int = 5,
    run_after: datetime | None = None,
) -> tuple[int, bool]:
    """Queue a job; returns (its id, True) or, when ``dedupe_key`` is queued already, (that job's id, False)
    and nothing changes. ``payload`` is JSON and never a secret; ``secrets`` (needs ``crypto``) are
    encrypted bound to the new job's id. Flushes; the caller commits (the job is visible, and workers
    woken, at commit)."""
    if secrets and crypto is None:
        raise ValueError("enqueue needs crypto to carry secrets")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    now = _aware(now)
    row = {
        "kind": kind, "dedupe_key": dedupe_key, "payload": json.dumps(dict(payload or {}), sort_keys=True),
        "secret_blob": None, "state": JobState.QUEUED.value, "attempts": 0, "max_attempts": max_attempts,
        "run_after": _aware(run_after) if run_after else now, "lease_owner": None, "lease_until": None,
        "last_error_kind": None, "created_at": now, "updated_at": now, "finished_at": None,
    }
    session.flush()  # the caller's pending ORM changes go first, as a session.execute would have flushed them
    conn = session.connection()
    dialect = conn.dialect.name
    insert, existing, update_blob = _ENQUEUE["postgresql" if dialect == "postgresql" else "sqlite"]
    job_id = conn.execute(insert, row).scalar()
    if job_id is None:
        return int(conn.execute(existing, {"dedupe_key": dedupe_key}).scalar_one()), False
    job_id = int(job_id)
    if secrets:
        assert crypto is not None
        blob = crypto.encrypt(json.dumps(dict(secrets)), table=JOBS_TABLE, row_id=job_id, field=SECRETS_FIELD)
        conn.execute(update_blob, {"job_id": job_id, "blob": blob})
    if dialect == "postgresql":
        conn.execute(sa.text("SELECT pg_notify(:channel, :kind)"), {"channel": NOTIFY_CHANNEL, "kind": kind})
    session.info[_PENDING] = True
    return job_id, True


def job_secrets(job: ClaimedJob | Job, blob: bytes | None, crypto: Crypto, now: datetime) -> dict[str, str] | None:
    """The job's secrets, or None when it carries none or they are older than ``SECRET_TTL`` (erased)."""
    created = job.created_at
    if blob is None or created is None or _aware(now) - created > SECRET_TTL:
        return None
    assert job.id is not None
    data = json.loads(crypto.decrypt(blob, table=JOBS_TABLE, row_id=job.id, field=SECRETS_FIELD))
    return {str(k): str(v) for k, v in data.items()}


def load_secret_blob(db: Database, job_id: int) -> bytes | None:
    with db.session() as session:
        blob = session.execute(sa.select(col(Job.secret_blob)).where(col(Job.id) == job_id)).scalar()
    return bytes(blob) if blob is not None else None


def get_job(db: Database, job_id: int) -> Job | None:
    with db.session() as session:
        return session.get(Job, job_id)


# --- claiming ------------------------------------------------------------------------------------


def _claimable(kinds: Sequence[str], now: datetime) -> sa.ColumnElement[bool]:
    due = sa.and_(col(Job.state) == JobState.QUEUED.value, col(Job.run_after) <= now)
    taken_over = sa.and_(col(Job.state) == JobState.RUNNING.value, col(Job.lease_until) < now,
                         col(Job.attempts) < col(Job.max_attempts))
    return sa.and_(col(Job.kind).in_(list(kinds)), sa.or_(due, taken_over))


def claim_next(db: Database, worker_id: str, kinds: Sequence[str], lease: timedelta, now: datetime
               ) -> ClaimedJob | None:
    """Take the oldest claimable job of ``kinds`` for ``worker_id`` until ``now + lease`` (one attempt
    more), or None. A running job whose lease ran out counts as claimable (its worker died). Commits."""
    if not kinds:
        return None
    now = _aware(now)
    if db.dialect == "sqlite":
        # A read first (no lock under WAL): an idle worker polling often never takes the write lock.
        with db.session() as session:
            if session.execute(sa.select(col(Job.id)).where(_claimable(kinds, now)).limit(1)).first() is None:
                return None
    with db.session(write=True) as session:
        pick = sa.select(col(Job.id)).where(_claimable(kinds, now)).order_by(col(Job.run_after), col(Job.id)).limit(1)
        if db.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            sa.update(Job)
            .where(col(Job.id) == pick.scalar_subquery(), _claimable(kinds, now))
            .values(state=JobState.RUNNING.value, lease_owner=worker_id, lease_until=now + lease,
                    attempts=col(Job.attempts) + 1, updated_at=now)
            .returning(col(Job.id), col(Job.kind), col(Job.dedupe_key), col(Job.payload), col(Job.attempts),
                       col(Job.max_attempts), col(Job.created_at), col(Job.lease_until),
                       # not "secret_blob IS NOT NULL": SQLite 3.40's RETURNING answers it wrongly
                       sa.func.coalesce(sa.func.length(col(Job.secret_blob)), 0))
        )
        row = session.execute(stmt).first()
        session.commit()
    if row is None:
        return None
    job_id, kind, dedupe_key, payload, attempts, max_attempts, created_at, lease_until, has_secrets = tuple(row)
    return ClaimedJob(id=int(job_id), kind=str(kind), dedupe_key=dedupe_key, payload=json.loads(payload or "{}"),
                      attempts=int(attempts), max_attempts=int(max_attempts), created_at=_as_utc(created_at),
                      lease_until=_as_utc(lease_until), has_secrets=int(has_secrets or 0) > 0)


def _as_utc(value: datetime) -> datetime:
    # RETURNING bypasses the ORM's result processing on some paths: make sure the value is aware UTC.
    from datetime import UTC

    if isinstance(value, str):  # pragma: no cover - SQLite without type processing
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _owned(job_id: int, worker_id: str) -> sa.ColumnElement[bool]:
    return sa.and_(col(Job.id) == job_id, col(Job.state) == JobState.RUNNING.value,
                   col(Job.lease_owner) == worker_id)


def _settle(db: Database, job_id: int, worker_id: str, values: dict[str, Any]) -> bool:
    with db.session(write=True) as session:
        res = session.execute(sa.update(Job).where(_owned(job_id, worker_id)).values(**values))
        session.commit()
    # sqlmodel types execute() as Result; an UPDATE gives a CursorResult, which has rowcount:
    return bool(res.rowcount)  # type: ignore[attr-defined]


def renew_lease(db: Database, job_id: int, worker_id: str, lease: timedelta, now: datetime) -> bool:
    """Extend the lease; False when the job is no longer this worker's (taken over, or settled). Commits."""
    now = _aware(now)
    return _settle(db, job_id, worker_id, {"lease_until": now + lease, "updated_at": now})


def _ended(state: JobState, now: datetime, error_kind: str | None) -> dict[str, Any]:
    return {"state": state.value, "secret_blob": None, "lease_owner": None, "lease_until": None,
            "finished_at": now, "updated_at": now, "last_error_kind": error_kind}


def complete(db: Database, job_id: int, worker_id: str, now: datetime) -> bool:
    """The job is done: its secrets are erased. False when the job was not this worker's any more."""
    return _settle(db, job_id, worker_id, _ended(JobState.DONE, _aware(now), None))


def give_up(db: Database, job_id: int, worker_id: str, error_kind: str, now: datetime) -> bool:
    """The handler gave up for good (the person is told): failed, secrets erased."""
    return _settle(db, job_id, worker_id, _ended(JobState.FAILED, _aware(now), error_kind[:40]))


def backoff(attempts: int, rng: Callable[[], float] = random.random) -> timedelta:
    """The wait before try ``attempts + 1``: 2 s, 4 s, 8 s ... up to 5 min, each between 50% and 100%."""
    base = min(BACKOFF_CAP, BACKOFF_BASE * (1 << min(20, max(0, attempts - 1))))
    return base * (0.5 + rng() / 2)


def fail(db: Database, job_id: int, worker_id: str, error_kind: str, now: datetime) -> JobState | None:
    """A transient failure: queued again after ``backoff`` or, after ``max_attempts`` tries, dead (secrets
    erased). Returns the new state, or None when the job was not this worker's any more. Commits."""
    now = _aware(now)
    with db.session(write=True) as session:
        row = session.execute(sa.select(col(Job.attempts), col(Job.max_attempts)).where(_owned(job_id, worker_id))
                              ).first()
        if row is None:
            session.commit()
            return None
        attempts, max_attempts = int(row[0]), int(row[1])
        if attempts >= max_attempts:
            state, values = JobState.DEAD, _ended(JobState.DEAD, now, error_kind[:40])
        else:
            state = JobState.QUEUED
            values = {"state": state.value, "lease_owner": None, "lease_until": None, "updated_at": now,
                      "run_after": now + backoff(attempts), "last_error_kind": error_kind[:40]}
        session.execute(sa.update(Job).where(_owned(job_id, worker_id)).values(**values))
        session.commit()
    return state


def reap_exhausted(db: Database, now: datetime) -> list[ClaimedJob]:
    """Running jobs whose lease ran out after their last allowed try (their worker died each time) become
    dead, secrets erased; returns them so the person can be told. Commits."""
    now = _aware(now)
    where = sa.and_(col(Job.state) == JobState.RUNNING.value, col(Job.lease_until) < now,
                    col(Job.attempts) >= col(Job.max_attempts))
    with db.session(write=True) as session:
        rows = session.execute(
            sa.update(Job).where(where).values(**_ended(JobState.DEAD, now, "lease_expired"))
            .returning(col(Job.id), col(Job.kind), col(Job.dedupe_key), col(Job.payload), col(Job.attempts),
                       col(Job.max_attempts), col(Job.created_at))
        ).all()
        session.commit()
    return [ClaimedJob(id=int(r[0]), kind=str(r[1]), dedupe_key=r[2], payload=json.loads(r[3] or "{}"),
                       attempts=int(r[4]), max_attempts=int(r[5]), created_at=_as_utc(r[6]), lease_until=now,
                       has_secrets=False) for r in rows]


# --- upkeep --------------------------------------------------------------------------------------


def purge_job_secrets(db: Database, now: datetime) -> int:
    """Erase the secrets of every job made more than ``SECRET_TTL`` ago, whatever its state. Commits."""
    cutoff = _aware(now) - SECRET_TTL
    with db.session(write=True) as session:
        res = session.execute(
            sa.update(Job).where(col(Job.secret_blob).is_not(None), col(Job.created_at) < cutoff)
            .values(secret_blob=None)
        )
        session.commit()
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def purge_finished_jobs(db: Database, older_than: datetime) -> int:
    """Delete ended jobs (done, failed, dead) that ended before ``older_than``. Commits."""
    with db.session(write=True) as session:
        res = session.execute(
            sa.delete(Job).where(col(Job.state).in_([s.value for s in ENDED]),
                                 col(Job.finished_at) < _aware(older_than))
        )
        session.commit()
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def heartbeat(db: Database, worker_id: str, host: str, pid: int, now: datetime) -> None:
    """Record that ``worker_id`` is alive now. Commits."""
    now = _aware(now)
    with db.session(write=True) as session:
        row = session.get(WorkerHeartbeat, worker_id)
        if row is None:
            session.add(WorkerHeartbeat(worker_id=worker_id, host=host, pid=pid, started_at=now, seen_at=now))
        else:
            row.seen_at = now
            session.add(row)
        session.commit()


def forget_worker(db: Database, worker_id: str) -> None:
    """A worker that stops removes its heartbeat. Commits."""
    with db.session(write=True) as session:
        session.execute(sa.delete(WorkerHeartbeat).where(col(WorkerHeartbeat.worker_id) == worker_id))
        session.commit()


def queue_stats(db: Database, now: datetime, live_within: timedelta = timedelta(seconds=15)) -> QueueStats:
    """The queue at ``now``: due queued jobs, the oldest one's wait, running jobs, worker processes seen lately."""
    now = _aware(now)
    with db.session() as session:
        depth, oldest = session.execute(
            sa.select(sa.func.count(), sa.func.min(col(Job.run_after)))
            .where(col(Job.state) == JobState.QUEUED.value, col(Job.run_after) <= now)
        ).one()
        running = session.execute(
            sa.select(sa.func.count()).where(col(Job.state) == JobState.RUNNING.value)
        ).scalar_one()
        # a worker process runs WORKER_THREADS loops, each with its own heartbeat: count the processes
        seen = (sa.select(col(WorkerHeartbeat.host), col(WorkerHeartbeat.pid)).distinct()
                .where(col(WorkerHeartbeat.seen_at) >= now - live_within).subquery())
        live = session.execute(sa.select(sa.func.count()).select_from(seen)).scalar_one()
    waited = max(0.0, (now - _as_utc(oldest)).total_seconds()) if oldest is not None else 0.0
    return QueueStats(depth=int(depth), oldest_waiting_seconds=round(waited, 1), running=int(running),
                      live_workers=int(live))
