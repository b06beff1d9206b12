"""Worker processes for real: ``python -m bot worker`` (some with the test kinds of handlers_for_tests
registered), SIGTERM draining, a SIGKILLed worker's job taken over, two workers sharing 200 jobs on
PostgreSQL, and the pool ``run`` starts (nice, restart, stop)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.jobs import JobKind
from bot.jobs.pool import WorkerPool
from bot.jobs.priority import leave_idle_class
from storage import repo
from storage.models import JobState
from tests.harness import NOTIFY_CHANNEL, REPO, BotHarness, wait_until
from tests.jobs.handlers_for_tests import worker_command


def _start(world: BotHarness, *args: str, command: list[str] | None = None, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(command or worker_command(*args), env=world.subprocess_env(**env), cwd=world.tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _enqueue(world: BotHarness, kind: str, payload: dict[str, Any], **kwargs: Any) -> int:
    with world.services.db.session(write=True) as session:
        job_id, _ = repo.enqueue(session, kind, payload, now=world.services.clock(), **kwargs)
        session.commit()
    return job_id


def _lines(log: Path) -> list[list[str]]:
    return [line.split() for line in log.read_text().splitlines()] if log.exists() else []


def _wait_live(world: BotHarness, count: int) -> None:
    wait_until(lambda: repo.queue_stats(world.services.db, world.services.clock()).live_workers >= count, 60,
               f"{count} worker(s) never sent a heartbeat")


def _heartbeat_pids(world: BotHarness) -> set[int]:
    from sqlmodel import select

    from storage.models import WorkerHeartbeat

    with world.db_session() as session:
        return {row.pid for row in session.exec(select(WorkerHeartbeat))}


def _loops(world: BotHarness) -> int:
    from sqlmodel import select

    from storage.models import WorkerHeartbeat

    with world.db_session() as session:
        return len(session.exec(select(WorkerHeartbeat)).all())


def _stop(process: subprocess.Popen[str], timeout: float = 30) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out


@contextmanager
def _running(world: BotHarness, *args: str) -> Iterator[subprocess.Popen[str]]:
    """A worker subprocess (``_start``), killed on the way out if it is still running."""
    worker = _start(world, *args)
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.kill()


def _with_a_slow_job(world: BotHarness, payload: dict[str, Any]) -> int:
    """Once a worker is live, queue a ``test.slow`` job and wait until it runs; its id."""
    _wait_live(world, 1)
    job_id = _enqueue(world, "test.slow", payload, max_attempts=3)
    wait_until(lambda: [e for e in _lines(Path(payload["log"])) if e[0] == "start"], 30, "the job never started")
    return job_id


def test_sigterm_lets_the_worker_finish_its_job_and_exit_0(world: BotHarness, tmp_path: Path) -> None:
    log = tmp_path / "jobs.log"
    with _running(world) as worker:
        job_id = _with_a_slow_job(world, {"log": str(log), "sleep": 1.5})
        code, out = _stop(worker)
    assert code == 0, out
    assert [e[0] for e in _lines(log)] == ["start", "end"]
    job = repo.get_job(world.services.db, job_id)
    assert job is not None and job.state == JobState.DONE and job.attempts == 1


def _classes(pid: int) -> set[int]:
    classes = set()
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            classes.add(os.sched_getscheduler(int(tid)))
        except ProcessLookupError:
            continue
    return classes


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's: elsewhere workers run at nice 10")
def test_a_stopping_worker_leaves_the_idle_class_and_drains_at_its_nice_level(world: BotHarness,
                                                                              tmp_path: Path) -> None:
    """A worker in SCHED_IDLE gets no CPU while the machine is busy; asked to stop, every one of its threads
    moves to SCHED_OTHER at nice 10 (one run in CI was killed after 30 s of drain on a loaded machine)."""
    log, release = tmp_path / "jobs.log", tmp_path / "release"
    with _running(world, "--nice", "10", "--idle") as worker:
        _with_a_slow_job(world, {"log": str(log), "sleep": 60, "until": str(release)})
        assert _classes(worker.pid) == {os.SCHED_IDLE}
        worker.send_signal(signal.SIGTERM)
        wait_until(lambda: _classes(worker.pid) == {os.SCHED_OTHER}, 30, "the worker stayed in SCHED_IDLE")
        assert [e[0] for e in _lines(log)] == ["start"]  # moved while the job in hand still runs
        assert os.getpriority(os.PRIO_PROCESS, worker.pid) >= min(19, os.getpriority(os.PRIO_PROCESS, 0) + 10)
        release.touch()
        code, out = _stop(worker)
    assert code == 0, out
    assert [e[0] for e in _lines(log)] == ["start", "end"]


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's: elsewhere workers run at nice 10")
def test_the_pool_moves_every_thread_of_a_worker_out_of_the_idle_class_before_it_signals_it() -> None:
    """What WorkerPool.stop does before SIGTERM, since the worker's own signal handler needs CPU to run:
    every thread of the other process, including the ones started after it lowered itself."""
    code = ("import os, threading, time; os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0)); "
            "[threading.Thread(target=time.sleep, args=(60,), daemon=True).start() for _ in range(3)]; "
            "print('ready', flush=True); time.sleep(60)")
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        assert _classes(child.pid) == {os.SCHED_IDLE} and len(os.listdir(f"/proc/{child.pid}/task")) == 4
        assert leave_idle_class(child.pid) == 4
        assert _classes(child.pid) == {os.SCHED_OTHER}
        assert leave_idle_class(child.pid) == 0  # nothing left to move
    finally:
        child.kill()
        child.wait(timeout=10)
    assert leave_idle_class(child.pid) == 0  # a process that is gone: nothing to do, no error


def test_one_worker_runs_worker_threads_jobs_at_once_and_drains_them_all(any_world: BotHarness,
                                                                        tmp_path: Path) -> None:
    """A job waiting on a slow Amazon holds one of the worker's WORKER_THREADS loops, not the worker: four slow
    jobs run side by side, a fifth waits for a free loop, and SIGTERM lets every job in hand finish."""
    log = tmp_path / "jobs.log"
    worker = _start(any_world, WORKER_THREADS="4")
    try:
        _wait_live(any_world, 1)  # one process ...
        wait_until(lambda: _loops(any_world) == 4, 30, "the worker never started its four loops")
        ids = [_enqueue(any_world, "test.slow", {"log": str(log), "sleep": 3.0}, max_attempts=3) for _ in range(5)]
        wait_until(lambda: len([e for e in _lines(log) if e[0] == "start"]) >= 4, 30, "four jobs never ran at once")
        time.sleep(0.5)
        assert len([e for e in _lines(log) if e[0] == "start"]) == 4  # the fifth waits for a loop
        assert not [e for e in _lines(log) if e[0] == "end"]
        code, out = _stop(worker, timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert code == 0, out
    events = _lines(log)
    assert sorted(e[0] for e in events) == ["end"] * 4 + ["start"] * 4, events  # the four finished, none started
    states = [repo.get_job(any_world.services.db, i).state for i in ids]  # type: ignore[union-attr]
    assert sorted(states) == sorted([JobState.DONE] * 4 + [JobState.QUEUED]), states


def test_the_job_of_a_killed_worker_is_taken_over_by_another(any_world: BotHarness, tmp_path: Path) -> None:
    log = tmp_path / "jobs.log"
    first = _start(any_world)
    second = None
    try:
        _wait_live(any_world, 1)
        job_id = _enqueue(any_world, "test.slow", {"log": str(log), "sleep": 1.0}, max_attempts=3)
        wait_until(lambda: _lines(log), 30, "the job never started")
        first.kill()  # SIGKILL mid-job: no chance to settle it
        first.wait(10)
        second = _start(any_world)
        wait_until(lambda: [e for e in _lines(log) if e[0] == "end"], 60, "the job was never taken over")
        code, out = _stop(second)
        assert code == 0, out
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.kill()
    events = _lines(log)
    assert [e[0] for e in events] == ["start", "start", "end"]
    assert events[0][2] == str(first.pid) and events[2][2] == str(second.pid)
    job = repo.get_job(any_world.services.db, job_id)
    assert job is not None and job.state == JobState.DONE and job.attempts == 2


def test_two_workers_on_postgresql_share_200_jobs_each_done_once(pg_world: BotHarness, tmp_path: Path) -> None:
    log = tmp_path / "jobs.log"
    workers = [_start(pg_world), _start(pg_world)]
    try:
        _wait_live(pg_world, 2)
        with pg_world.services.db.session() as session:
            ids = [repo.enqueue(session, "test.count", {"log": str(log), "sleep": 0.005},
                                now=pg_world.services.clock())[0] for _ in range(200)]
            session.commit()
        wait_until(lambda: len(_lines(log)) >= 200 and repo.queue_stats(
            pg_world.services.db, pg_world.services.clock()).running == 0, 120, "the 200 jobs were not all done")
        time.sleep(0.5)
        results = [_stop(w) for w in workers]
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
    assert [code for code, _ in results] == [0, 0], results
    ran = _lines(log)
    assert sorted(int(e[1]) for e in ran) == sorted(ids)  # each job ran exactly once
    assert {e[2] for e in ran} == {str(w.pid) for w in workers}  # and both workers took a share
    assert all(repo.get_job(pg_world.services.db, i).state == JobState.DONE for i in ids)  # type: ignore[union-attr]


def test_python_m_bot_worker_runs_the_work_queued_by_a_bot_without_workers(world: BotHarness) -> None:
    """WORKERS=0: the web process only queues; a separate `python -m bot worker` does the work."""
    today = world.services.clock().date()
    world.seed("Queued Store", created_on=today - timedelta(days=170))  # a reminder is due
    job_id = _enqueue(world, JobKind.SWEEP, {}, dedupe_key="sweep:manual")
    worker = _start(world, command=[sys.executable, "-m", "bot", "worker"])
    try:
        world.slack.wait_for("chat.postMessage", lambda c: "Queued Store" in c.raw_body
                             and c.params.get("channel") == NOTIFY_CHANNEL, timeout=60)
        wait_until(lambda: repo.get_job(world.services.db, job_id).state == JobState.DONE, 30,  # type: ignore[union-attr]
                   "the sweep job was not recorded done")
        code, out = _stop(worker)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert code == 0, out


def test_the_pool_runs_workers_at_lower_priority_restarts_a_dead_one_and_stops_them(world: BotHarness) -> None:
    command = worker_command("--nice", "10", "--idle", "--parent", str(os.getpid()))
    pool = WorkerPool(2, command=command, stop_timeout=30, env=world.subprocess_env())
    pool.start()
    try:
        _wait_live(world, 2)
        pids = pool.pids
        assert len(pids) == 2
        assert all(os.getpriority(os.PRIO_PROCESS, pid) >= os.getpriority(os.PRIO_PROCESS, 0) + 10 or
                   os.getpriority(os.PRIO_PROCESS, pid) == 19 for pid in pids)
        if hasattr(os, "SCHED_IDLE"):  # Linux: the workers yield the CPU to the web process outright
            assert all(os.sched_getscheduler(pid) == os.SCHED_IDLE for pid in pids)
        os.kill(pids[0], signal.SIGKILL)
        wait_until(lambda: len(pool.pids) == 2 and pids[0] not in pool.pids, 30, "the dead worker was not restarted")
        assert pool.restarts == 1
        new = next(pid for pid in pool.pids if pid not in pids)
        wait_until(lambda: new in _heartbeat_pids(world), 60, "the restarted worker never sent a heartbeat")
    finally:
        pool.stop()
    assert pool.pids == []
    assert all(s.process is not None and s.process.returncode == 0 for s in pool.slots)  # drained, exit 0
    assert REPO  # the workers ran from this checkout (PYTHONPATH)


def test_python_m_bot_run_starts_its_workers_and_stops_them_on_sigterm(tmp_path: Path) -> None:
    from tests.fakes.fake_slack import FakeSlack
    from tests.test_runtime import BotProcess, bot_env, free_port, wait_healthy

    with FakeSlack() as fake:
        port = free_port()
        bot = BotProcess(bot_env(fake, tmp_path, PORT=str(port), WORKERS="2"), tmp_path)
        try:
            url = f"http://127.0.0.1:{port}/healthz"
            wait_healthy(url, bot)
            wait_until(lambda: (h := _get_json(url)) and h["queue"]["live_workers"] == 2, 60,
                       "the two workers never reported")
            health = _get_json(url)
            assert health["ok"] is True and health["queue"]["depth"] == 0
            workers = _children(bot.proc.pid)
            assert len(workers) == 2
        finally:
            code = bot.stop(timeout=60)
        assert code == 0, bot.output()
        assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()
                    and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()]
        out = bot.output()  # every loop each worker started (WORKER_THREADS of them) stopped cleanly
        assert out.count("stopped after 0 job(s)") == len(re.findall(r"worker \S+ started \(", out)) >= 2, out


def _get_json(url: str) -> Any:
    import httpx

    try:
        return httpx.get(url, timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
