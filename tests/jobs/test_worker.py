"""The worker loop in this process: outcomes, retries, dead jobs telling the person, leases, wake-up,
draining, the sweep job, and what /healthz says about the queue (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from bot.flows.ports import Delivery, Notice
from bot.i18n import Message
from bot.jobs import EXHAUSTED, JobContext, JobKind, JobProblem, Outcome, done, enqueue_job, give_up, handler, retry
from bot.jobs.health import queue_health
from bot.jobs.worker import Worker
from bot.server import BotWSGI, make_server
from storage import repo
from storage.models import JobState
from storage.repo import jobs as jobs_repo
from tests.harness import NOTIFY_CHANNEL, OWNER, BotHarness, wait_until
from tests.storage.conftest import SECRET_A, TOKEN_A

SECRETS = {"client_secret": SECRET_A, "refresh_token": TOKEN_A}
seen: dict[str, list[Any]] = {}


class RecordingOutbox:
    def __init__(self) -> None:
        self.sent: list[Notice] = []

    def send(self, notice: Notice) -> Delivery:
        self.sent.append(notice)
        return Delivery(channel="D1", ts=str(len(self.sent)))


@handler("t.secrets")
def _secrets(services: Any, job: JobContext) -> Outcome:
    seen.setdefault("t.secrets", []).append(job.secrets())
    return done()


@handler("t.flaky", max_attempts=4)
def _flaky(services: Any, job: JobContext) -> Outcome:
    seen.setdefault("t.flaky", []).append(job.attempt)
    return retry("amazon_timeout") if job.attempt < 3 else done()


@handler("t.poison", max_attempts=3)
def _poison(services: Any, job: JobContext) -> Outcome:
    seen.setdefault("t.poison", []).append(job.attempt)
    raise ValueError(f"broken {SECRET_A}")


@handler("t.refused")
def _refused(services: Any, job: JobContext) -> Outcome:
    return give_up(Message("general.unexpected_error"), "credentials_rejected")


@handler("t.long", lease=timedelta(seconds=0.3))
def _long(services: Any, job: JobContext) -> Outcome:
    seen.setdefault("t.long", []).append(job.id)
    gate: threading.Event = GATES[job.payload["gate"]]
    gate.wait(10)
    return done()


GATES: dict[str, threading.Event] = {}


@pytest.fixture(autouse=True)
def _fast_backoff(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(jobs_repo, "BACKOFF_BASE", timedelta(milliseconds=10))
    seen.clear()
    yield


def _enqueue(world: BotHarness, kind: str, payload: dict[str, Any] | None = None, **kwargs: Any) -> int:
    with world.services.db.session(write=True) as session:
        job_id, _ = enqueue_job(session, world.services, kind, payload or {"user_id": OWNER}, **kwargs)
        session.commit()
    return job_id


def _drain(worker: Worker, until: float = 10.0) -> None:
    """Run jobs until none is due for a moment (retries included)."""
    deadline = time.monotonic() + until
    idle_since = None
    while time.monotonic() < deadline:
        if worker.run_one():
            idle_since = None
            continue
        idle_since = idle_since or time.monotonic()
        if time.monotonic() - idle_since > 0.5:
            return
        time.sleep(0.01)


def _worker(world: BotHarness, outbox: RecordingOutbox, *kinds: str, **kwargs: Any) -> Worker:
    return Worker(world.services, outbox, kinds=set(kinds), **kwargs)


def test_a_job_gets_its_secrets_once_and_they_are_erased_when_it_is_done(any_world: BotHarness) -> None:
    job_id = _enqueue(any_world, "t.secrets", secrets=SECRETS)
    _drain(_worker(any_world, RecordingOutbox(), "t.secrets"))
    assert seen["t.secrets"] == [SECRETS]
    job = repo.get_job(any_world.services.db, job_id)
    assert job is not None and job.state == JobState.DONE and job.secret_blob is None
    assert SECRET_A not in any_world.database_text() and TOKEN_A not in any_world.database_text()


def test_a_transient_failure_is_retried_until_it_succeeds(any_world: BotHarness) -> None:
    job_id = _enqueue(any_world, "t.flaky")
    outbox = RecordingOutbox()
    _drain(_worker(any_world, outbox, "t.flaky"))
    assert seen["t.flaky"] == [1, 2, 3]
    assert repo.get_job(any_world.services.db, job_id).state == JobState.DONE  # type: ignore[union-attr]
    assert outbox.sent == []


def test_a_poisoned_job_stops_after_max_attempts_and_tells_the_person(any_world: BotHarness) -> None:
    job_id = _enqueue(any_world, "t.poison", secrets=SECRETS)
    outbox = RecordingOutbox()
    _drain(_worker(any_world, outbox, "t.poison"))
    assert seen["t.poison"] == [1, 2, 3]
    job = repo.get_job(any_world.services.db, job_id)
    assert job is not None and job.state == JobState.DEAD and job.secret_blob is None
    assert job.last_error_kind == "error:ValueError"
    assert [(n.user_id, n.payload) for n in outbox.sent] == [(OWNER, JobProblem(message=EXHAUSTED))]
    assert SECRET_A not in any_world.everything_sent_and_logged()


def test_give_up_ends_the_job_and_tells_the_person_why(world: BotHarness) -> None:
    job_id = _enqueue(world, "t.refused")
    outbox = RecordingOutbox()
    _drain(_worker(world, outbox, "t.refused"))
    assert repo.get_job(world.services.db, job_id).state == JobState.FAILED  # type: ignore[union-attr]
    assert [n.payload for n in outbox.sent] == [JobProblem(message=Message("general.unexpected_error"))]


def test_the_person_is_told_in_slack_in_their_language(world: BotHarness) -> None:
    from bot.app import build_web_client
    from bot.outbox import SlackOutbox
    from tests.catalog import says

    _enqueue(world, "t.poison", {"user_id": OWNER})
    outbox = SlackOutbox(build_web_client(world.settings), world.settings.notify_channel)
    _drain(_worker(world, outbox, "t.poison"))  # type: ignore[arg-type]
    world.slack.wait_for("chat.postMessage", timeout=10)
    assert says(world.dm_messages(OWNER), "general.job_failed")


def test_the_lease_is_kept_while_the_handler_works(any_world: BotHarness) -> None:
    GATES["kept"] = threading.Event()
    job_id = _enqueue(any_world, "t.long", {"gate": "kept"})
    worker = _worker(any_world, RecordingOutbox(), "t.long")
    runner = threading.Thread(target=worker.run_one)
    runner.start()
    try:
        wait_until(lambda: seen.get("t.long"), 10, "the job never started")
        time.sleep(1.0)  # three leases' worth
        other = repo.claim_next(any_world.services.db, "thief", ["t.long"], timedelta(seconds=1),
                                any_world.services.clock())
        assert other is None  # still held: the keeper renewed it
    finally:
        GATES["kept"].set()
        runner.join(10)
    assert seen["t.long"] == [job_id]
    assert repo.get_job(any_world.services.db, job_id).state == JobState.DONE  # type: ignore[union-attr]


def test_a_worker_wakes_for_a_new_job_at_once_and_drains_on_stop(any_world: BotHarness) -> None:
    worker = _worker(any_world, RecordingOutbox(), "t.secrets", "t.long", poll=5.0)  # poll alone would be slow
    runner = threading.Thread(target=worker.run)
    runner.start()
    try:
        time.sleep(0.3)  # idle, waiting
        started = time.monotonic()
        _enqueue(any_world, "t.secrets")
        wait_until(lambda: seen.get("t.secrets"), 10, "the worker never ran the job")
        assert time.monotonic() - started < 1.0  # a loose bound: the wake-up, not the 5 s poll (speed: bench)
        GATES["drain"] = threading.Event()
        job_id = _enqueue(any_world, "t.long", {"gate": "drain"})
        wait_until(lambda: seen.get("t.long"), 10, "the long job never started")
        worker.stop()
        time.sleep(0.3)
        assert runner.is_alive()  # finishing the job in hand
        GATES["drain"].set()
        runner.join(10)
        assert not runner.is_alive()
    finally:
        worker.stop()
        GATES.get("drain", threading.Event()).set()
        runner.join(10)
    assert repo.get_job(any_world.services.db, job_id).state == JobState.DONE  # type: ignore[union-attr]
    assert repo.queue_stats(any_world.services.db, any_world.services.clock()).live_workers == 0  # heartbeat gone


def test_the_worker_sweeps_every_sweep_interval_once_across_workers(world: BotHarness) -> None:
    from bot.app import build_web_client
    from bot.outbox import SlackOutbox

    today = world.services.clock().date()
    world.seed("Worker Store", created_on=today - timedelta(days=170))  # expires in 10 days
    outbox = SlackOutbox(build_web_client(world.settings), world.settings.notify_channel)
    workers = [Worker(world.services, outbox, sweep_interval=1.0, kinds={JobKind.SWEEP}) for _ in range(2)]
    runners = [threading.Thread(target=w.run) for w in workers]
    for r in runners:
        r.start()
    try:
        world.slack.wait_for("chat.postMessage", lambda c: "Worker Store" in c.raw_body
                             and c.params.get("channel") == NOTIFY_CHANNEL, timeout=15)
        time.sleep(2.5)  # more intervals
    finally:
        for w in workers:
            w.stop()
        for r in runners:
            r.join(15)
    posts = [c for c in world.slack.calls_for("chat.postMessage") if "Worker Store" in c.raw_body]
    assert len(posts) == 1
    with world.db_session() as session:
        import sqlalchemy as sa

        from storage.models import Job

        keys = session.execute(sa.select(Job.dedupe_key, Job.state).where(Job.kind == JobKind.SWEEP)).all()
    assert keys and all(state == JobState.DONE for _key, state in keys)
    assert len({k for k, _ in keys}) == len(keys)  # one sweep job per interval, whichever worker made it


def test_queue_health_and_healthz(world: BotHarness) -> None:
    services = world.services
    assert queue_health(services).ok
    with services.db.session(write=True) as session:
        repo.enqueue(session, "t.secrets", {}, now=services.clock() - timedelta(seconds=90))
        session.commit()
    health = queue_health(services)
    assert not health.ok and health.depth == 1 and health.oldest_waiting_seconds >= 90 and health.live_workers == 0
    server = make_server(BotWSGI(world.app, services.db.ping, queue=lambda: queue_health(services)),
                         "127.0.0.1", 0, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.effective_port}/healthz"
        answer = httpx.get(url)
        assert answer.status_code == 503
        assert answer.json() == {"ok": False, "database": "up", "queue": health.as_json() | {
            "oldest_waiting_seconds": answer.json()["queue"]["oldest_waiting_seconds"]}}
        repo.heartbeat(services.db, "w1", "host", 1, services.clock())  # a live worker: it is only busy
        answer = httpx.get(url)
        assert answer.status_code == 200 and answer.json()["ok"] is True
        assert answer.json()["queue"]["live_workers"] == 1 and answer.json()["queue"]["depth"] == 1
    finally:
        server.close()


def test_the_idle_loops_of_a_process_poll_sqlite_one_at_a_time_and_a_busy_one_hands_the_polling_over(
    world: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four loops linked as ``run_worker`` links them: idle, they read the queue about once per poll between
    them (not four times); while one runs a long job, another still sees a job queued by another process
    (no in-process wake-up) within a poll or so, not after the idle loops' safety-net wait."""
    from bot.jobs import worker as worker_module

    monkeypatch.setattr(worker_module, "SIBLING_WAIT", 30.0)  # only the polling loop can see a new job
    claims = {"n": 0}
    real_claim = repo.claim_next
    loops = [_worker(world, RecordingOutbox(), "t.secrets", "t.long", poll=0.05, worker_id=f"linked-{n}")
             for n in range(4)]
    ours = {loop.worker_id for loop in loops}

    def counting_claim(db: Any, worker_id: str, *args: Any, **kwargs: Any) -> Any:
        if worker_id in ours:  # not the harness's own workers
            claims["n"] += 1
        return real_claim(db, worker_id, *args, **kwargs)

    monkeypatch.setattr(repo, "claim_next", counting_claim)
    worker_module.link_loops(loops)
    threads = [threading.Thread(target=loop.run, daemon=True) for loop in loops]
    for thread in threads:
        thread.start()
    GATES["handover"] = threading.Event()
    try:
        time.sleep(0.3)  # every loop has looked once and gone idle
        claims["n"] = 0
        time.sleep(1.0)
        idle_reads = claims["n"]
        assert 5 <= idle_reads <= 30, f"{idle_reads} reads of the queue in 1 s by four idle loops polling at 50 ms"

        with monkeypatch.context() as quiet:  # as if another process queued them: no wake-up here
            quiet.setattr(jobs_repo, "_wakers", [])
            _enqueue(world, "t.long", {"gate": "handover"})  # the polling loop takes it
            wait_until(lambda: seen.get("t.long"), 10, "the polling loop never saw the long job")
            time.sleep(0.3)
            started = time.monotonic()
            _enqueue(world, "t.secrets")
        wait_until(lambda: seen.get("t.secrets"), 10, "no loop saw the new job")
        assert time.monotonic() - started < 2.0, "the polling was not handed over when its loop took a job"
    finally:
        GATES["handover"].set()
        for loop in loops:
            loop.stop()
        for thread in threads:
            thread.join(10)
