"""Group commit: many threads' small write transactions committed as one.

The web tier's one write per request is a job's insert (``bot.jobs.enqueue_job``). Under a burst of
50 requests, 50 threads each taking SQLite's write lock in turn spend most of their time in SQLite's
busy handler, which sleeps 1, 2, 5, 10 ... 100 ms between tries whatever the lock's real holding time
(measured with py-spy in ``./dev bench``: 72 % of the listeners' wall time was ``BEGIN IMMEDIATE``).
Here the first thread to arrive commits what every waiting thread has queued, in one transaction, and
the others wait on a Python lock that is handed over at once; each caller still returns only after its
own work is committed (the ack follows a durable job, as before).

Each unit of work in a batch of several runs under its own SAVEPOINT: one that raises is rolled back alone
and its caller gets the exception; the others commit. A unit alone in its batch (one request at a time) needs
no SAVEPOINT: when it raises, the transaction is rolled back. When the commit itself fails, every caller
in the batch gets that error and nothing of the batch is stored.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from sqlmodel import Session

if TYPE_CHECKING:
    from storage.db import Database

T = TypeVar("T")

MAX_BATCH = 64  # units of work per transaction; a longer queue is committed in several
# A waiting caller looks again this often even when not woken (a safety net; wake-ups are immediate).
WAIT_SAFETY_S = 0.05


class _Unit(Generic[T]):
    __slots__ = ("work", "value", "error", "done")

    def __init__(self, work: Callable[[Session], T]) -> None:
        self.work = work
        self.value: T | None = None
        self.error: BaseException | None = None
        self.done = threading.Event()


class GroupCommit:
    """``group.run(work)``: ``work(session)`` committed together with whatever other threads queued
    meanwhile; returns its result (or raises its error) once the transaction is committed.

    The thread that finds no commit under way becomes the writer: it commits batches until the queue is
    empty, and every caller whose work was in a batch is woken at once by its own event (not one after
    the other through a lock, which under the GIL costs each of them a switch interval)."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queued: list[_Unit[object]] = []
        self._queue_lock = threading.Lock()
        self._writer = threading.Lock()  # held by the thread committing batches
        self.batches = 0  # transactions committed or tried (for tests and benchmarks)

    def run(self, work: Callable[[Session], T]) -> T:
        unit: _Unit[T] = _Unit(work)
        with self._queue_lock:
            self._queued.append(unit)  # type: ignore[arg-type]
        while not unit.done.is_set():
            if self._writer.acquire(blocking=False):
                self._write()
            else:
                unit.done.wait(WAIT_SAFETY_S)
        if unit.error is not None:
            raise unit.error
        return unit.value  # type: ignore[return-value]

    def _write(self) -> None:
        """Commit batches while work is queued (called holding the writer lock; releases it)."""
        while True:
            try:
                self._drain()
            finally:
                self._writer.release()
            # A thread that queued work while this one was draining, and found the writer busy, is waiting
            # on its event: the queue is looked at again after the release, so its work is not left behind.
            with self._queue_lock:
                left = bool(self._queued)
            if not left or not self._writer.acquire(blocking=False):
                return

    def _drain(self) -> None:
        while True:
            with self._queue_lock:
                batch = self._queued[: self._max_batch]
                del self._queued[: self._max_batch]
            if not batch:
                return
            self._commit(batch)

    def _commit(self, batch: list[_Unit[object]]) -> None:
        self.batches += 1
        try:
            with self._db.session(write=True) as session:
                if len(batch) == 1:  # alone in its transaction: no SAVEPOINT, its error rolls it all back
                    unit = batch[0]
                    try:
                        unit.value = unit.work(session)
                    except Exception as exc:  # noqa: BLE001 - this caller's error, raised in its own thread
                        unit.error = exc
                        session.rollback()
                        return
                else:
                    for unit in batch:
                        try:
                            with session.begin_nested():
                                unit.value = unit.work(session)
                        except Exception as exc:  # noqa: BLE001 - this caller's error, raised in its own thread
                            unit.error = exc
                session.commit()
        except BaseException as exc:  # the commit (or BEGIN) failed: nothing of the batch is stored
            for unit in batch:
                if unit.error is None:
                    unit.value, unit.error = None, exc
            if not isinstance(exc, Exception):
                raise
        finally:
            for unit in batch:
                unit.done.set()
