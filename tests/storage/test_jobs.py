"""storage.repo.jobs: enqueue, claim with a lease, settle, takeover, backoff, dead jobs, secrets, stats.

Each test runs on SQLite and on PostgreSQL (skipped with a reason when it does not answer)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database
from storage.models import Job, JobState
from storage.repo.jobs import SECRET_TTL, backoff, load_secret_blob
from tests.storage.conftest import NOW, SECRET_A, TOKEN_A

LEASE = timedelta(seconds=30)
SECRETS = {"client_secret": SECRET_A, "refresh_token": TOKEN_A}


@pytest.fixture
def crypto() -> Crypto:
    return Crypto([generate_key("k1")])


def _enqueue(db: Database, kind: str = "verify", **kwargs: object) -> tuple[int, bool]:
    with db.session(write=True) as session:
        result = repo.enqueue(session, kind, kwargs.pop("payload", {"user_id": "U1"}), now=kwargs.pop("now", NOW),
                              **kwargs)  # type: ignore[arg-type]
        session.commit()
    return result


def _job(db: Database, job_id: int) -> Job:
    with db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def test_enqueue_claim_complete(db: Database) -> None:
    job_id, created = _enqueue(db, payload={"user_id": "U1", "view_id": "V1"})
    assert created
    assert repo.claim_next(db, "w1", ["other"], LEASE, NOW) is None  # another kind
    job = repo.claim_next(db, "w1", ["verify"], LEASE, NOW)
    assert job is not None and job.id == job_id and job.payload == {"user_id": "U1", "view_id": "V1"}
    assert job.attempts == 1 and job.lease_until == NOW + LEASE and not job.has_secrets
    assert repo.claim_next(db, "w2", ["verify"], LEASE, NOW) is None  # held
    assert repo.complete(db, job_id, "w1", NOW)
    row = _job(db, job_id)
    assert row.state == JobState.DONE and row.finished_at == NOW and row.lease_owner is None
    assert repo.claim_next(db, "w2", ["verify"], LEASE, NOW + LEASE * 2) is None  # done stays done


def test_enqueue_is_idempotent_by_dedupe_key(db: Database) -> None:
    first = _enqueue(db, dedupe_key="submission:V1")
    again = _enqueue(db, dedupe_key="submission:V1", payload={"user_id": "U2"})
    assert first[1] and again == (first[0], False)
    assert _job(db, first[0]).payload == '{"user_id": "U1"}'
    other = _enqueue(db)  # no key: always a new job
    assert other[1] and other[0] != first[0]


def test_a_job_runs_only_after_run_after_and_oldest_first(db: Database) -> None:
    later, _ = _enqueue(db, run_after=NOW + timedelta(minutes=1))
    first, _ = _enqueue(db)
    second, _ = _enqueue(db)
    long = timedelta(hours=1)
    assert [repo.claim_next(db, "w", ["verify"], long, NOW).id for _ in range(2)] == [first, second]  # type: ignore[union-attr]
    assert repo.claim_next(db, "w", ["verify"], long, NOW) is None
    assert repo.claim_next(db, "w", ["verify"], long, NOW + timedelta(minutes=1)).id == later  # type: ignore[union-attr]


def test_an_expired_lease_is_taken_over_and_the_old_owner_can_settle_nothing(db: Database) -> None:
    job_id, _ = _enqueue(db)
    assert repo.claim_next(db, "dead-worker", ["verify"], LEASE, NOW) is not None
    assert repo.claim_next(db, "w2", ["verify"], LEASE, NOW + LEASE - timedelta(seconds=1)) is None
    assert repo.renew_lease(db, job_id, "dead-worker", LEASE, NOW + timedelta(seconds=20))  # renewed: held longer
    assert repo.claim_next(db, "w2", ["verify"], LEASE, NOW + LEASE + timedelta(seconds=1)) is None
    later = NOW + timedelta(seconds=20) + LEASE + timedelta(seconds=1)
    taken = repo.claim_next(db, "w2", ["verify"], LEASE, later)
    assert taken is not None and taken.id == job_id and taken.attempts == 2
    assert not repo.renew_lease(db, job_id, "dead-worker", LEASE, later)
    assert not repo.complete(db, job_id, "dead-worker", later)
    assert repo.fail(db, job_id, "dead-worker", "late", later) is None
    assert _job(db, job_id).lease_owner == "w2"
    assert repo.complete(db, job_id, "w2", later)


def test_a_transient_failure_is_retried_with_growing_backoff(db: Database) -> None:
    job_id, _ = _enqueue(db, max_attempts=3)
    now = NOW
    waits = []
    for attempt in (1, 2):
        job = repo.claim_next(db, "w", ["verify"], LEASE, now)
        assert job is not None and job.attempts == attempt
        assert repo.fail(db, job_id, "w", "amazon_timeout", now) is JobState.QUEUED
        row = _job(db, job_id)
        assert row.state == JobState.QUEUED and row.last_error_kind == "amazon_timeout"
        waits.append(row.run_after - now)
        assert repo.claim_next(db, "w", ["verify"], LEASE, now) is None  # not before its backoff
        now = row.run_after
    assert timedelta(seconds=1) <= waits[0] <= timedelta(seconds=2) < waits[1] <= timedelta(seconds=4)


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    assert backoff(1, rng=lambda: 0.0) == timedelta(seconds=1)
    assert backoff(1, rng=lambda: 1.0) == timedelta(seconds=2)
    assert backoff(4, rng=lambda: 1.0) == timedelta(seconds=16)
    assert backoff(100, rng=lambda: 1.0) == timedelta(minutes=5)


def test_a_poisoned_job_is_dead_after_max_attempts_and_its_secrets_erased(db: Database, crypto: Crypto) -> None:
    job_id, _ = _enqueue(db, max_attempts=2, secrets=SECRETS, crypto=crypto)
    now = NOW
    states = []
    for _ in range(2):
        assert repo.claim_next(db, "w", ["verify"], LEASE, now) is not None
        states.append(repo.fail(db, job_id, "w", "error:ValueError", now))
        now += timedelta(minutes=1)
    assert states == [JobState.QUEUED, JobState.DEAD]
    row = _job(db, job_id)
    assert row.state == JobState.DEAD and row.secret_blob is None and row.attempts == 2 and row.finished_at
    assert repo.claim_next(db, "w", ["verify"], LEASE, now + timedelta(hours=1)) is None


def test_a_job_whose_worker_dies_on_every_try_is_reaped_dead(db: Database, crypto: Crypto) -> None:
    job_id, _ = _enqueue(db, max_attempts=2, secrets=SECRETS, crypto=crypto)
    now = NOW
    for _ in range(2):
        assert repo.claim_next(db, "w", ["verify"], LEASE, now) is not None
        now += LEASE + timedelta(seconds=1)  # ... and the worker dies
    assert repo.claim_next(db, "w", ["verify"], LEASE, now) is None  # no third try
    reaped = repo.reap_exhausted(db, now)
    assert [j.id for j in reaped] == [job_id] and reaped[0].payload == {"user_id": "U1"}
    row = _job(db, job_id)
    assert row.state == JobState.DEAD and row.last_error_kind == "lease_expired" and row.secret_blob is None
    assert repo.reap_exhausted(db, now) == []


def test_give_up_ends_the_job_at_once(db: Database, crypto: Crypto) -> None:
    job_id, _ = _enqueue(db, secrets=SECRETS, crypto=crypto)
    assert repo.claim_next(db, "w", ["verify"], LEASE, NOW) is not None
    assert repo.give_up(db, job_id, "w", "credentials_rejected", NOW)
    row = _job(db, job_id)
    assert row.state == JobState.FAILED and row.secret_blob is None and row.last_error_kind == "credentials_rejected"


def _database_bytes(db: Database) -> bytes:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT * FROM jobs")).all()
    return repr(rows).encode() + b"".join(bytes(v) for r in rows for v in r if isinstance(v, bytes | memoryview))


def test_secrets_travel_encrypted_bound_to_the_job_and_are_erased_at_completion(db: Database, crypto: Crypto) -> None:
    job_id, _ = _enqueue(db, secrets=SECRETS, crypto=crypto)
    other_id, _ = _enqueue(db, secrets={"client_secret": "x" * 40}, crypto=crypto)
    raw = _database_bytes(db)
    assert SECRET_A.encode() not in raw and TOKEN_A.encode() not in raw and b"Atzr|" not in raw
    if db.dialect == "sqlite":
        file_bytes = b"".join(p.read_bytes() for p in _sqlite_files(db))
        assert SECRET_A.encode() not in file_bytes and TOKEN_A.encode() not in file_bytes
    job = repo.claim_next(db, "w", ["verify"], LEASE, NOW)
    assert job is not None and job.id == job_id and job.has_secrets
    assert repo.job_secrets(job, load_secret_blob(db, job_id), crypto, NOW) == SECRETS
    with pytest.raises(Exception, match="cannot decrypt"):  # bound to its job: another row's blob fails
        repo.job_secrets(job, load_secret_blob(db, other_id), crypto, NOW)
    assert "amzn1" not in repr(_job(db, job_id))
    assert repo.complete(db, job_id, "w", NOW)
    assert load_secret_blob(db, job_id) is None


def _sqlite_files(db: Database) -> list:
    from pathlib import Path

    path = Path(str(db.engine.url.database))
    return [p for p in (path, Path(f"{path}-wal")) if p.exists()]


def test_secrets_never_outlive_15_minutes(db: Database, crypto: Crypto) -> None:
    job_id, _ = _enqueue(db, secrets=SECRETS, crypto=crypto)
    job = repo.claim_next(db, "w", ["verify"], LEASE, NOW)
    assert job is not None
    blob = load_secret_blob(db, job_id)
    assert repo.job_secrets(job, blob, crypto, NOW + SECRET_TTL) == SECRETS
    assert repo.job_secrets(job, blob, crypto, NOW + SECRET_TTL + timedelta(seconds=1)) is None  # even unpurged
    assert repo.purge_job_secrets(db, NOW + SECRET_TTL - timedelta(seconds=1)) == 0
    assert repo.purge_job_secrets(db, NOW + SECRET_TTL + timedelta(seconds=1)) == 1
    assert load_secret_blob(db, job_id) is None and _job(db, job_id).state == JobState.RUNNING


def test_enqueue_needs_crypto_for_secrets(db: Database) -> None:
    with db.session() as session, pytest.raises(ValueError, match="crypto"):
        repo.enqueue(session, "verify", {}, now=NOW, secrets=SECRETS)


def test_queue_stats_and_heartbeats(db: Database) -> None:
    assert repo.queue_stats(db, NOW) == repo.QueueStats(0, 0.0, 0, 0)
    _enqueue(db, now=NOW - timedelta(seconds=90))
    _enqueue(db, now=NOW - timedelta(seconds=10))
    _enqueue(db, run_after=NOW + timedelta(minutes=5))  # not waiting yet
    running, _ = _enqueue(db, kind="sweep")
    assert repo.claim_next(db, "w", ["sweep"], LEASE, NOW) is not None
    repo.heartbeat(db, "w-old", "host", 1, NOW - timedelta(minutes=5))
    repo.heartbeat(db, "w", "host", 2, NOW - timedelta(minutes=5))
    repo.heartbeat(db, "w", "host", 2, NOW - timedelta(seconds=3))  # touched again
    stats = repo.queue_stats(db, NOW)
    assert stats == repo.QueueStats(depth=2, oldest_waiting_seconds=90.0, running=1, live_workers=1)
    repo.forget_worker(db, "w")
    assert repo.queue_stats(db, NOW).live_workers == 0


def test_finished_jobs_are_purged_after_retention(db: Database) -> None:
    done_id, _ = _enqueue(db, dedupe_key="k")
    waiting_id, _ = _enqueue(db)
    assert repo.claim_next(db, "w", ["verify"], LEASE, NOW).id == done_id  # type: ignore[union-attr]
    repo.complete(db, done_id, "w", NOW)
    assert repo.purge_finished_jobs(db, NOW) == 0
    assert repo.purge_finished_jobs(db, NOW + timedelta(seconds=1)) == 1
    assert repo.get_job(db, done_id) is None and repo.get_job(db, waiting_id) is not None  # type: ignore[attr-defined]


def test_enqueue_wakes_local_listeners_at_commit_only(db: Database) -> None:
    woken = threading.Event()
    undo = repo.on_enqueue(woken.set)
    try:
        with db.session(write=True) as session:
            repo.enqueue(session, "verify", {}, now=NOW)
            assert not woken.is_set()
            session.rollback()
        assert not woken.is_set()
        _enqueue(db)
        assert woken.is_set()
    finally:
        undo()


def test_concurrent_claims_never_share_a_job(db: Database) -> None:
    ids = {_enqueue(db)[0] for _ in range(30)}
    claimed: list[int] = []
    lock = threading.Lock()

    def claim(worker: str) -> None:
        while (job := repo.claim_next(db, worker, ["verify"], LEASE, NOW)) is not None:
            with lock:
                claimed.append(job.id)

    threads = [threading.Thread(target=claim, args=(f"w{n}",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(claimed) == sorted(ids)
