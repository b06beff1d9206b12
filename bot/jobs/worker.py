"""A worker process: claims jobs, runs their handlers under a renewed lease, records the outcome.

``python -m bot worker`` runs one (``run_worker``); ``python -m bot run`` starts ``WORKERS`` of them
(``bot.jobs.pool``). The loop:

- claim the oldest due job (``storage.repo.claim_next``) and run it, a lease keeper thread renewing its
  lease every third of the lease; settle it (done, retried with backoff, dead, given up) and, when it
  ended badly, tell the person (the handler's ``tell``);
- when there is nothing to do, wait for a new job: LISTEN/NOTIFY on PostgreSQL (with a 0.5 s poll as a
  safety net), a 50 ms poll on SQLite (one idle loop of a process polls for all of them: the one that takes a
  job wakes the others), and at once for a job enqueued in this process;
- every few seconds: a heartbeat (``worker_heartbeats``), the secrets purge, the reaping of jobs whose
  worker died on their last try; every SWEEP_INTERVAL: a ``sweep`` job (one per interval across all
  workers, by its dedupe key);
- SIGTERM or SIGINT: stop claiming, finish the job in hand, exit 0.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from bot.flows.ports import Outbox
from bot.jobs import Done, GiveUp, HandlerSpec, JobContext, JobKind, Outcome, Retry, load_handlers
from bot.jobs.priority import leave_idle_class, lower_to_idle_class
from bot.redaction import redact
from bot.services import Services
from bot.settings import Settings
from storage import repo
from storage.models import JobState
from storage.repo import ClaimedJob
from storage.repo.jobs import NOTIFY_CHANNEL, load_secret_blob

log = logging.getLogger(__name__)

SQLITE_POLL = 0.05
SIBLING_WAIT = 1.0  # an idle loop while another of its process polls SQLite (a safety net: it is woken)
POSTGRES_POLL = 0.5
HEARTBEAT_EVERY = 5.0
UPKEEP_EVERY = 30.0
FINISHED_RETENTION = timedelta(days=7)
STOP_JOIN = 50.0  # after SIGTERM, the other loops' jobs in hand get this long (the pool waits 60 s in all)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


class _Listener:
    """LISTEN bot_jobs on its own autocommit psycopg connection; ``wait`` returns at a NOTIFY or timeout."""

    def __init__(self, database_url: str) -> None:
        import psycopg
        from sqlalchemy.engine import make_url

        conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.conn.execute(f"LISTEN {NOTIFY_CHANNEL}")

    def wait(self, timeout: float) -> bool:
        return any(True for _ in self.conn.notifies(timeout=timeout, stop_after=1))

    def close(self) -> None:
        self.conn.close()


class Worker:
    """One worker loop (``run``) in the calling thread; ``stop`` (from a signal handler or another thread)
    makes it finish the job in hand and return."""

    def __init__(self, services: Services, outbox: Outbox, *, sweep_interval: float | None = None,
                 kinds: set[str] | None = None, worker_id: str | None = None, poll: float | None = None,
                 parent_pid: int | None = None, housekeeping: bool = True) -> None:
        self.services = services
        self.housekeeping = housekeeping  # purge, reap and schedule the sweep (one loop per process does)
        self.siblings: list[Worker] = []  # the other loops of this process, woken when this one takes a job
        self.poll_turn: threading.Lock | None = None  # shared by the loops of a process: who polls SQLite
        self.outbox = outbox
        self.handlers: dict[str, HandlerSpec] = {
            k: spec for k, spec in load_handlers().items() if kinds is None or k in kinds
        }
        self.sweep_interval = sweep_interval
        self.worker_id = worker_id or new_worker_id()
        self.postgres = services.db.dialect == "postgresql"
        self.poll = poll if poll is not None else (POSTGRES_POLL if self.postgres else SQLITE_POLL)
        self.parent_pid = parent_pid
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.jobs_run = 0
        self._listener: _Listener | None = None
        self._listener_retry_at = 0.0
        self._next_heartbeat = 0.0
        self._next_upkeep = 0.0
        self._sweep_slot: int | None = None

    # --- the loop --------------------------------------------------------------------------------

    def run(self) -> int:
        undo = repo.on_enqueue(self.wake.set)
        log.info("worker %s started (%s)", self.worker_id, ", ".join(sorted(self.handlers)) or "no handlers")
        try:
            while not self.stopping.is_set():
                self._upkeep()
                self.wake.clear()
                if self.run_one():
                    continue
                self._wait()
        finally:
            undo()
            if self._listener is not None:
                self._listener.close()
            try:
                repo.forget_worker(self.services.db, self.worker_id)
            except Exception:  # noqa: BLE001 - its heartbeat simply ages out
                log.warning("worker %s could not remove its heartbeat", self.worker_id)
            log.info("worker %s stopped after %d job(s)", self.worker_id, self.jobs_run)
        return 0

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def _wait(self) -> None:
        if self.postgres:
            listener = self._listen()
            if listener is not None:
                try:
                    listener.wait(self.poll)
                    return
                except Exception as exc:  # noqa: BLE001 - fall back to polling, reconnect later
                    log.warning("worker %s lost its LISTEN connection (%s)", self.worker_id, type(exc).__name__)
                    self._drop_listener()
        turn = self.poll_turn
        if turn is None or self.postgres:
            self.wake.wait(self.poll)
        elif turn.acquire(blocking=False):
            try:
                self.wake.wait(self.poll)
            finally:
                turn.release()
        else:  # another idle loop polls for this process and wakes this one when it takes a job
            self.wake.wait(SIBLING_WAIT)

    def _listen(self) -> _Listener | None:
        if self._listener is None and time.monotonic() >= self._listener_retry_at:
            try:
                self._listener = _Listener(self.services.db.url)
            except Exception as exc:  # noqa: BLE001 - polling still works
                log.warning("worker %s cannot LISTEN (%s); polling", self.worker_id, type(exc).__name__)
                self._listener_retry_at = time.monotonic() + 10
        return self._listener

    def _drop_listener(self) -> None:
        if self._listener is not None:
            try:
                self._listener.close()
            except Exception:  # noqa: BLE001,S110 - it is gone either way
                pass
        self._listener = None
        self._listener_retry_at = time.monotonic() + 1

    # --- one job ---------------------------------------------------------------------------------

    def run_one(self) -> bool:
        """Claim and run one job; False when none was due."""
        db = self.services.db
        now = self.services.clock()
        lease = max((s.lease for s in self.handlers.values()), default=timedelta(seconds=30))
        job = repo.claim_next(db, self.worker_id, list(self.handlers), lease, now)
        if job is None:
            return False
        for sibling in self.siblings:  # more may be waiting: the idle loops look now, not at their next poll
            sibling.wake.set()
        spec = self.handlers[job.kind]
        if spec.lease != lease:
            repo.renew_lease(db, job.id, self.worker_id, spec.lease, now)
        ctx = JobContext(job=job, outbox=self.outbox, worker_id=self.worker_id, now=now,
                         _secrets=lambda: self._secrets(job))
        finished = threading.Event()
        keeper = threading.Thread(target=self._keep_lease, args=(ctx, spec.lease, finished), name=f"lease-{job.id}",
                                  daemon=True)
        keeper.start()
        try:
            outcome = self._call(spec, ctx)
        finally:
            finished.set()
            keeper.join(timeout=5)
        self._settle(spec, ctx, outcome)
        self.jobs_run += 1
        return True

    def _secrets(self, job: ClaimedJob) -> dict[str, str] | None:
        if not job.has_secrets:
            return None
        blob = load_secret_blob(self.services.db, job.id)
        return repo.job_secrets(job, blob, self.services.crypto, self.services.clock())

    def _keep_lease(self, ctx: JobContext, lease: timedelta, finished: threading.Event) -> None:
        every = max(0.05, lease.total_seconds() / 3)
        while not finished.wait(every):
            try:
                kept = repo.renew_lease(self.services.db, ctx.id, self.worker_id, lease, self.services.clock())
            except Exception as exc:  # noqa: BLE001 - try again next time; the lease is not lost yet
                log.warning("job %s: lease renewal failed (%s)", ctx.id, type(exc).__name__)
                continue
            if not kept:
                log.warning("job %s: lease lost to another worker", ctx.id)
                ctx.lease_lost.set()
                return

    def _call(self, spec: HandlerSpec, ctx: JobContext) -> Outcome:
        try:
            return spec.run(self.services, ctx)
        except Exception as exc:  # noqa: BLE001 - a handler's failure is a retry, never a dead worker
            kind = f"error:{type(exc).__name__}"[:40]
            log.warning("job %s (%s) try %d failed: %s", ctx.id, ctx.kind, ctx.attempt,
                        redact(f"{type(exc).__name__}: {exc}")[:300])
            return Retry(kind)

    def _settle(self, spec: HandlerSpec, ctx: JobContext, outcome: Outcome) -> None:
        db, now = self.services.db, self.services.clock()
        if isinstance(outcome, Done):
            if not repo.complete(db, ctx.id, self.worker_id, now):
                log.warning("job %s finished after its lease was taken over", ctx.id)
            return
        if isinstance(outcome, GiveUp):
            if repo.give_up(db, ctx.id, self.worker_id, outcome.kind, now):
                log.info("job %s (%s) gave up: %s", ctx.id, ctx.kind, outcome.kind)
                self._tell(spec, ctx, outcome.message)
            return
        state = repo.fail(db, ctx.id, self.worker_id, outcome.kind, now)
        if state is JobState.DEAD:
            log.warning("job %s (%s) is dead after %d tries (%s)", ctx.id, ctx.kind, ctx.attempt, outcome.kind)
            self._tell(spec, ctx, spec.exhausted)
        elif state is JobState.QUEUED:
            log.info("job %s (%s) will be retried (%s)", ctx.id, ctx.kind, outcome.kind)

    def _tell(self, spec: HandlerSpec, ctx: JobContext, message: Any) -> None:
        try:
            spec.tell(self.services, ctx, message)
        except Exception as exc:  # noqa: BLE001 - the job's end is recorded; telling is best effort
            log.warning("job %s: could not tell the person (%s)", ctx.id, type(exc).__name__)

    # --- upkeep ----------------------------------------------------------------------------------

    def _upkeep(self) -> None:
        clock = time.monotonic()
        if self.parent_pid is not None and os.getppid() != self.parent_pid:
            log.warning("worker %s: the bot process that started it is gone; stopping", self.worker_id)
            self.stop()
        if clock >= self._next_heartbeat:
            self._next_heartbeat = clock + HEARTBEAT_EVERY
            self._guard("heartbeat", lambda now: repo.heartbeat(
                self.services.db, self.worker_id, socket.gethostname()[:100], os.getpid(), now))
        if not self.housekeeping:
            return
        if clock >= self._next_upkeep:
            self._next_upkeep = clock + UPKEEP_EVERY
            self._guard("secrets purge", lambda now: repo.purge_job_secrets(self.services.db, now))
            self._guard("reaping", self._reap)
            self._guard("old jobs", lambda now: repo.purge_finished_jobs(self.services.db, now - FINISHED_RETENTION))
        if self.sweep_interval and JobKind.SWEEP in self.handlers:
            self._guard("sweep schedule", self._schedule_sweep)

    def _guard(self, what: str, step: Any) -> None:
        try:
            step(self.services.clock())
        except Exception as exc:  # noqa: BLE001 - upkeep retries on its next turn
            log.warning("worker %s: %s failed (%s)", self.worker_id, what, type(exc).__name__)

    def _reap(self, now: datetime) -> None:
        for job in repo.reap_exhausted(self.services.db, now):
            spec = self.handlers.get(job.kind)
            log.warning("job %s (%s) is dead: its worker stopped on each of %d tries", job.id, job.kind,
                        job.attempts)
            if spec is not None:
                self._tell(spec, JobContext(job=job, outbox=self.outbox, worker_id=self.worker_id, now=now),
                           spec.exhausted)

    def _schedule_sweep(self, now: datetime) -> None:
        """One sweep job per SWEEP_INTERVAL slot across every worker (the dedupe key); the first one an
        interval after start, like the Sweeper thread."""
        assert self.sweep_interval
        slot = int(now.timestamp() // self.sweep_interval)
        if self._sweep_slot is None:
            self._sweep_slot = slot
        if slot == self._sweep_slot:
            return
        self._sweep_slot = slot
        with self.services.db.session(write=True) as session:
            repo.enqueue(session, JobKind.SWEEP, {}, now=now, dedupe_key=f"sweep:{self.sweep_interval:g}:{slot}",
                         max_attempts=self.handlers[JobKind.SWEEP].max_attempts)
            session.commit()


def link_loops(loops: list[Worker]) -> None:
    """The loops of one process: each wakes the others when it takes a job, and they poll SQLite one at a time
    (WORKER_THREADS idle loops each polling every SQLITE_POLL made 160 reads a second of an idle worker)."""
    turn = threading.Lock()
    for loop in loops:
        loop.siblings = [other for other in loops if other is not loop]
        loop.poll_turn = turn


def run_worker(settings: Settings, *, nice: int = 0, idle: bool = False, parent_pid: int | None = None) -> int:
    """``python -m bot worker``: one worker until SIGTERM/SIGINT, then exit 0 after the job in hand (a signal
    that comes while it starts up stops it as soon as it is ready, without claiming anything)."""
    from bot.app import build_outbox, build_web_client
    from bot.locales import Locales
    from bot.services import build_services

    workers: list[Worker] = []
    stop_requested = threading.Event()
    consumer: Any = None

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("worker received %s: finishing the job in hand", signal.Signals(signum).name)
        leave_idle_class()  # a drain at nice 10, not in idle CPU time a busy machine may never have
        stop_requested.set()
        for worker in workers:
            worker.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if nice:
        os.nice(nice)
    if idle:
        lower_to_idle_class()
    services = build_services(settings, check_keys=True)
    try:
        from bot.warmup import warm_up

        warm_up()
        client = build_web_client(settings)  # channel posts in TEAM_LANGUAGE, each DM in its reader's language
        outbox = build_outbox(services, client, Locales(services.db, client))
        # WORKER_THREADS loops in this process, each claiming its own jobs: a verification waiting on a slow
        # Amazon holds one of them, not the whole worker. The first runs in this thread (signals land here).
        # One idle loop polls (SQLite: every SQLITE_POLL, a read that takes no lock; the others wait to be woken),
        # so a new job is seen within that while any loop is idle; a loop that takes a job wakes the others.
        base, count = new_worker_id(), max(1, settings.worker_threads)
        for n in range(count):
            workers.append(Worker(services, outbox, sweep_interval=settings.sweep_interval_seconds,
                                  parent_pid=parent_pid, worker_id=f"{base}-{n}", housekeeping=n == 0))
        link_loops(workers)
        if stop_requested.is_set():
            return 0
        if settings.rotation_queue_url:  # automatic rotation: Amazon's notifications, read beside the jobs
            from bot.jobs.rotation_queue import RotationQueueConsumer

            consumer = RotationQueueConsumer(services, outbox, settings.rotation_queue_url).start()
        others = [threading.Thread(target=w.run, name=f"worker-{n}", daemon=True)
                  for n, w in enumerate(workers[1:], start=1)]
        for thread in others:
            thread.start()
        try:
            return workers[0].run()
        finally:
            for worker in workers:  # the first loop returned: a signal, or the parent is gone
                worker.stop()
            deadline = time.monotonic() + STOP_JOIN
            for thread in others:
                if thread.ident is not None:  # started
                    thread.join(timeout=max(0.0, deadline - time.monotonic()))
            if consumer is not None:
                consumer.stop(join=30)
    finally:
        services.close()
