"""python -m bench.queue [--jobs N] [--postgres URL]: how fast an idle worker picks up a new job.

A worker (bot.jobs.worker.Worker, in a thread of this process) waits; jobs are enqueued one at a time,
each after the previous one ran, and the time from the enqueue's commit to the handler's start is
measured: the SQLite path (50 ms poll, and the in-process wake-up at commit) and, with --postgres, the
LISTEN/NOTIFY path. The target (issue 14) is a wake within 100 ms. Prints p50/p95/max in ms.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bot.jobs import JobContext, Outcome, done, handler
from bot.jobs.worker import Worker
from storage import repo

_started = threading.Event()


@handler("bench.ping")
def _ping(services: Any, job: JobContext) -> Outcome:
    _started.set()
    return done()


class _NoOutbox:
    def send(self, notice: Any) -> Any:  # pragma: no cover - the bench job tells nobody
        raise RuntimeError("the bench job sends nothing")


def measure(database_url: str, jobs: int, *, local_wake: bool) -> dict[str, float]:
    from bot.services import Services
    from bot.settings import Settings
    from storage.crypto import Crypto, generate_key
    from storage.db import Database

    db = Database(database_url)
    db.migrate()
    services = Services(settings=Settings(), db=db, crypto=Crypto([generate_key("bench")]), amazon=None)  # type: ignore[arg-type]
    worker = Worker(services, _NoOutbox(), kinds={"bench.ping"})
    if not local_wake:  # as if the job came from another process: no in-process wake-up
        repo.jobs._wakers.clear()
    runner = threading.Thread(target=worker.run, daemon=True)
    runner.start()
    if not local_wake:
        time.sleep(0.2)
        repo.jobs._wakers.clear()
    latencies = []
    try:
        for _ in range(jobs):
            _started.clear()
            time.sleep(0.02)  # let the worker go idle
            with db.session(write=True) as session:
                repo.enqueue(session, "bench.ping", {}, now=services.clock())
                session.commit()
                t0 = time.perf_counter()
            if not _started.wait(5):
                raise RuntimeError("the worker did not run the job within 5 s")
            latencies.append((time.perf_counter() - t0) * 1000)
    finally:
        worker.stop()
        runner.join(10)
        db.dispose()
    latencies.sort()
    return {"p50_ms": round(statistics.median(latencies), 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1), "max_ms": round(latencies[-1], 1)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.queue")
    parser.add_argument("--jobs", type=int, default=100)
    parser.add_argument("--postgres", default=None, help="a postgresql+psycopg:// URL (an empty schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        print("sqlite, enqueued in the worker's process:", measure(url, args.jobs, local_wake=True))
        url2 = f"sqlite:///{Path(tmp) / 'bench2.db'}"
        print("sqlite, enqueued elsewhere (poll):      ", measure(url2, args.jobs, local_wake=False))
    if args.postgres:
        print("postgresql (LISTEN/NOTIFY):             ", measure(args.postgres, args.jobs, local_wake=False))


if __name__ == "__main__":
    main()
