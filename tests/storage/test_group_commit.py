"""storage.group_commit (``Database.write_together``) and SQLite's in-process write turns (storage.db).

Group commit: many threads' job inserts share one transaction; each caller gets its own result or its
own error, only after the commit; nothing is left waiting. Each test runs on SQLite and on PostgreSQL
(skipped with a reason when it does not answer). The write turn is SQLite's alone."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from storage import repo
from storage.db import Database
from storage.group_commit import GroupCommit
from storage.models import Job
from tests.storage.conftest import NOW


def _count(db: Database) -> int:
    with db.session() as session:
        return int(session.execute(sa.select(sa.func.count()).select_from(Job)).scalar_one())


def _insert(key: str) -> Any:
    return lambda session: repo.enqueue(session, "t.kind", {"user_id": "U1"}, now=NOW, dedupe_key=key)


def _run_at_once(n: int, work: Any) -> tuple[list[Any], list[BaseException]]:
    """``work(i)`` in ``n`` threads released together; their results and errors."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n
    errors: list[BaseException] = []

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - collected for the assertions
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads), "a caller was left waiting"
    return results, errors


def test_fifty_threads_inserts_commit_in_fewer_transactions_each_with_its_own_answer(db: Database) -> None:
    results, errors = _run_at_once(50, lambda i: db.write_together(_insert(f"k{i}")))
    assert errors == []
    ids = [job_id for job_id, created in results]
    assert all(created for _id, created in results) and len(set(ids)) == 50
    assert _count(db) == 50
    assert db._group.batches < 50  # shared transactions (how many depends on the scheduling)


def test_a_caller_returns_only_after_its_work_is_committed(db: Database) -> None:
    seen_by_another_connection: list[int] = []

    def work(session: Session) -> int:
        job_id, _created = _insert("durable")(session)
        return int(job_id)

    job_id = db.write_together(work)
    with db.session() as other:  # a new session: only committed rows
        seen_by_another_connection += [int(i) for i in other.execute(sa.select(Job.id)).scalars()]  # type: ignore[call-overload]
    assert seen_by_another_connection == [job_id]


def test_the_same_key_twice_in_one_batch_is_one_job(db: Database) -> None:
    results, errors = _run_at_once(20, lambda i: db.write_together(_insert("same")))
    assert errors == []
    assert len({job_id for job_id, _created in results}) == 1
    assert sum(created for _id, created in results) == 1
    assert _count(db) == 1


def test_one_failing_unit_is_rolled_back_alone_and_its_caller_gets_the_error(db: Database) -> None:
    class Refused(Exception):
        pass

    def work(i: int) -> Any:
        def unit(session: Session) -> Any:
            result = _insert(f"k{i}")(session)
            if i % 5 == 0:
                raise Refused(f"unit {i}")  # after its insert: the savepoint takes the insert back
            return result

        return db.write_together(unit)

    results, errors = _run_at_once(20, work)
    assert sorted(str(e) for e in errors) == sorted(f"unit {i}" for i in range(0, 20, 5))
    assert all(isinstance(e, Refused) for e in errors)
    assert _count(db) == 16
    with db.session() as session:
        keys = set(session.execute(sa.select(Job.dedupe_key)).scalars())  # type: ignore[call-overload]
    assert keys == {f"k{i}" for i in range(20) if i % 5}


def test_a_unit_alone_in_its_batch_that_fails_after_its_insert_stores_nothing_and_the_next_commits(
        db: Database) -> None:
    class Refused(Exception):
        pass

    def unit(session: Session) -> Any:
        _insert("alone")(session)
        raise Refused("after the insert")

    with pytest.raises(Refused):
        db.write_together(unit)  # one caller: a batch of one, with no SAVEPOINT
    assert _count(db) == 0
    job_id, created = db.write_together(_insert("alone"))  # the key is free: nothing of the failed unit stayed
    assert created and _count(db) == 1


def test_when_the_commit_fails_every_caller_of_the_batch_gets_the_error_and_nothing_is_stored(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    group = GroupCommit(db)
    original = Session.commit

    def failing_commit(self: Session) -> None:
        raise OperationalError("COMMIT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    with pytest.raises(OperationalError):
        group.run(_insert("lost"))
    monkeypatch.setattr(Session, "commit", original)
    assert _count(db) == 0
    assert group.run(_insert("next"))[1] is True  # the next batch is not stuck behind the failed one
    assert _count(db) == 1


def test_work_queued_while_a_batch_commits_is_not_left_behind(db: Database) -> None:
    """The thread that found the writer busy is waiting on its event; the writer looks at the queue again
    after it lets go, so the late work is committed without waiting for the safety-net timeout."""
    group = GroupCommit(db)
    in_first = threading.Event()
    release_first = threading.Event()

    def slow(session: Session) -> Any:
        in_first.set()
        release_first.wait(10)
        return _insert("first")(session)

    first = threading.Thread(target=group.run, args=(slow,))
    first.start()
    assert in_first.wait(10)
    late: list[Any] = []
    second = threading.Thread(target=lambda: late.append(group.run(_insert("late"))))
    second.start()
    time.sleep(0.2)  # the second caller found the writer busy and waits
    assert late == []
    started = time.monotonic()
    release_first.set()
    second.join(10)
    first.join(10)
    assert late and late[0][1] is True
    assert time.monotonic() - started < 5  # not stuck (the wake-up is immediate; bound kept loose)
    assert _count(db) == 2


# --- SQLite: a process's writers take turns in Python -------------------------------------------


@pytest.fixture
def sqlite_db(tmp_path: Any) -> Any:
    from tests.db_fixtures import migrated_sqlite

    with migrated_sqlite(tmp_path) as database:
        yield database


def test_sqlite_write_transactions_of_one_process_wait_their_turn_not_on_sqlite(sqlite_db: Database) -> None:
    """Twenty threads holding the write lock 20 ms each, with SQLite's busy timeout set to 0: a BEGIN
    IMMEDIATE that met another thread's lock would fail at once ("database is locked"); each waits for
    its turn in Python instead, so none ever meets it, and all commit."""
    sqlite_db.engine.dispose()

    @sa.event.listens_for(sqlite_db.engine, "connect")
    def no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    def work(i: int) -> None:
        with sqlite_db.session(write=True) as session:
            repo.enqueue(session, "t.kind", {}, now=NOW, dedupe_key=f"w{i}")
            time.sleep(0.02)
            session.commit()

    _results, errors = _run_at_once(20, work)
    assert errors == []
    assert _count(sqlite_db) == 20


def test_sqlite_the_turn_is_given_back_after_a_rollback_and_after_an_error(sqlite_db: Database) -> None:
    with sqlite_db.session(write=True) as session:
        repo.enqueue(session, "t.kind", {}, now=NOW, dedupe_key="rolled-back")
        session.rollback()
    with pytest.raises(RuntimeError), sqlite_db.session(write=True) as session:
        repo.enqueue(session, "t.kind", {}, now=NOW, dedupe_key="raised")
        raise RuntimeError("boom")  # the session's close rolls back
    done = threading.Event()

    def writer() -> None:
        with sqlite_db.session(write=True) as session:
            repo.enqueue(session, "t.kind", {}, now=NOW, dedupe_key="after")
            session.commit()
        done.set()

    threading.Thread(target=writer).start()
    assert done.wait(3), "the write turn was not given back"
    assert _count(sqlite_db) == 1


def test_sqlite_reads_do_not_wait_for_a_writer(sqlite_db: Database) -> None:
    with sqlite_db.session(write=True) as writer:
        repo.enqueue(writer, "t.kind", {}, now=NOW, dedupe_key="held")
        started = time.monotonic()
        assert _count(sqlite_db) == 0  # another connection reads (WAL) while the turn is held
        assert time.monotonic() - started < 1
        writer.commit()
    assert _count(sqlite_db) == 1
