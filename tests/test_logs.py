"""bot.logs: waitress's per-request queue warnings are logged once a minute, with the count held back."""

from __future__ import annotations

import io
import logging
import threading
import time

import httpx
from slack_bolt import App

from bot.logs import QUEUE_DIGEST_SECONDS, QUEUE_LOGGER, Digest, setup_logging
from bot.server import BotWSGI, make_server


def _record(text: str) -> logging.LogRecord:
    return logging.LogRecord(QUEUE_LOGGER, logging.WARNING, __file__, 1, text, None, None)


def test_a_digest_lets_one_record_through_per_interval_and_counts_the_rest() -> None:
    now = [100.0]
    digest = Digest(60.0, clock=lambda: now[0])
    assert digest.filter(_record("Task queue depth is 3"))
    assert [digest.filter(_record(f"Task queue depth is {n}")) for n in range(5)] == [False] * 5
    now[0] += 59.0
    assert not digest.filter(_record("Task queue depth is 9"))
    now[0] += 1.0
    passed = _record("Task queue depth is 2")
    assert digest.filter(passed)
    assert passed.getMessage() == "Task queue depth is 2 (6 more such lines in the last 60 s not logged)"
    now[0] += 61.0
    alone = _record("Task queue depth is 1")
    assert digest.filter(alone) and alone.getMessage() == "Task queue depth is 1"


def test_a_server_whose_threads_are_all_busy_logs_its_queue_once() -> None:
    """Over HTTP: eight requests at once to a server with one thread; waitress warns for each one queued, the
    log gets one line (the digest stays on the logger when the logging is set up again)."""
    stream = io.StringIO()
    setup_logging("INFO", stream)
    setup_logging("INFO", stream)  # a second set-up does not stack a second digest
    assert sum(isinstance(f, Digest) for f in logging.getLogger(QUEUE_LOGGER).filters) == 1
    assert QUEUE_DIGEST_SECONDS >= 60

    def slow_ping() -> bool:
        time.sleep(0.1)
        return True

    app = App(signing_secret="x" * 32, token="xoxb-not-used", token_verification_enabled=False)
    server = make_server(BotWSGI(app, slow_ping), "127.0.0.1", 0, threads=1)
    loop = threading.Thread(target=server.run, daemon=True)
    loop.start()
    url = f"http://127.0.0.1:{server.effective_port}/healthz"
    codes: list[int] = []

    def get() -> None:
        codes.append(httpx.get(url, timeout=10).status_code)

    try:
        clients = [threading.Thread(target=get) for _ in range(8)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(15)
    finally:
        server.close()
        loop.join(5)
    assert codes == [200] * 8
    lines = [line for line in stream.getvalue().splitlines() if "Task queue depth" in line]
    assert len(lines) == 1, lines
