"""Job kinds for the worker tests: each appends "<event> <job id> <pid>" lines to payload["log"].

A worker subprocess gets them with ``python -c`` importing this module, then ``bot.__main__.main(["worker"])``
(``worker_command``): the same worker as ``python -m bot worker`` with these kinds registered too."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta

from bot.jobs import JobContext, Outcome, done, handler
from bot.services import Services


def note(job: JobContext, event: str) -> None:
    with open(job.payload["log"], "a", encoding="utf-8") as f:
        f.write(f"{event} {job.id} {os.getpid()}\n")


@handler("test.count", lease=timedelta(seconds=5))
def count(services: Services, job: JobContext) -> Outcome:
    note(job, "ran")
    time.sleep(float(job.payload.get("sleep", 0)))
    return done()


@handler("test.slow", max_attempts=3, lease=timedelta(seconds=1))
def slow(services: Services, job: JobContext) -> Outcome:
    """Runs ``sleep`` seconds, or until the file ``until`` exists when given (at most ``sleep`` seconds)."""
    note(job, "start")
    until, seconds = job.payload.get("until"), float(job.payload.get("sleep", 2))
    if until:
        deadline = time.monotonic() + seconds
        while not os.path.exists(until) and time.monotonic() < deadline:
            time.sleep(0.05)
    else:
        time.sleep(seconds)
    note(job, "end")
    return done()


def worker_command(*args: str) -> list[str]:
    code = ("import sys, tests.jobs.handlers_for_tests; from bot.__main__ import main; "
            f"sys.exit(main(['worker', *{list(args)!r}]))")
    return [sys.executable, "-c", code]
