"""The worker processes ``python -m bot run`` starts: ``WORKERS`` of ``python -m bot worker``, at a lower
CPU priority (nice 10 and, on Linux, the SCHED_IDLE class: they run when the process answering Slack leaves
the CPU) than the process answering Slack, restarted when one dies, stopped on shutdown
(each moved out of SCHED_IDLE, SIGTERM forwarded, then a bounded wait for each to finish its job in hand,
then SIGKILL)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence

from bot.jobs.priority import leave_idle_class

log = logging.getLogger(__name__)

WORKER_NICE = 10
STOP_TIMEOUT = 60.0  # a job in hand (a sweep pass, a verification) gets this long to finish
CHECK_EVERY = 1.0
QUICK_DEATH = 5.0  # a worker that dies sooner than this after starting is restarted with a growing delay
MAX_RESTART_DELAY = 30.0


def worker_command(nice: int = WORKER_NICE) -> list[str]:
    return [sys.executable, "-m", "bot", "worker", "--nice", str(nice), "--idle", "--parent", str(os.getpid())]


class _Slot:
    def __init__(self, number: int) -> None:
        self.number = number
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0
        self.quick_deaths = 0
        self.restart_at = 0.0


class WorkerPool:
    def __init__(self, count: int, *, command: Sequence[str] | None = None, stop_timeout: float = STOP_TIMEOUT,
                 env: dict[str, str] | None = None) -> None:
        self.command = list(command) if command is not None else worker_command()
        self.stop_timeout = stop_timeout
        self.env = env
        self.slots = [_Slot(n) for n in range(count)]
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._monitor = threading.Thread(target=self._watch, name="worker-pool", daemon=True)

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [s.process.pid for s in self.slots if s.process is not None and s.process.poll() is None]

    def start(self) -> WorkerPool:
        with self._lock:
            for slot in self.slots:
                self._spawn(slot)
        self._monitor.start()
        log.info("started %d worker process(es)", len(self.slots))
        return self

    def _spawn(self, slot: _Slot) -> None:
        slot.process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL, env=self.env)
        slot.started = time.monotonic()

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_EVERY):
            with self._lock:
                if self._stopping.is_set():
                    return
                for slot in self.slots:
                    self._check(slot)

    def _check(self, slot: _Slot) -> None:
        process = slot.process
        now = time.monotonic()
        if process is not None:
            code = process.poll()
            if code is None:
                return
            quick = now - slot.started < QUICK_DEATH
            slot.quick_deaths = slot.quick_deaths + 1 if quick else 0
            delay = min(MAX_RESTART_DELAY, 2.0 ** slot.quick_deaths) if quick else 0.0
            log.warning("worker process %d (pid %d) exited with %s; restarting it%s", slot.number, process.pid,
                        code, f" in {delay:.0f} s" if delay else "")
            slot.process = None
            slot.restart_at = now + delay
        if now >= slot.restart_at:
            self._spawn(slot)
            self.restarts += 1

    def stop(self) -> None:
        """SIGTERM every worker, wait up to ``stop_timeout`` for them to drain, SIGKILL the rest."""
        self._stopping.set()
        if self._monitor.is_alive():
            self._monitor.join(timeout=CHECK_EVERY * 5)
        with self._lock:
            running = [s.process for s in self.slots if s.process is not None and s.process.poll() is None]
            for process in running:
                leave_idle_class(process.pid)  # at once: the worker's own handler needs CPU to run at all
                try:
                    process.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    continue
            deadline = time.monotonic() + self.stop_timeout
            for process in running:
                try:
                    process.wait(timeout=max(0.0, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    log.warning("worker pid %d did not stop within %.0f s; killing it", process.pid,
                                self.stop_timeout)
                    process.kill()
                    process.wait(timeout=5)
        log.info("worker processes stopped")


def start_workers(count: int) -> WorkerPool | None:
    """The pool of ``count`` workers, started; None when ``count`` is 0."""
    return WorkerPool(count).start() if count > 0 else None
