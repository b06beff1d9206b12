"""bot.after_ack: the work after an ack waits while other requests wait for theirs, never longer than
max_hold, never lost (errors reach on_error; close runs what is pending).

The real HTTP path (waitress + BotWSGI counting requests, ``python -m bot run``) is exercised by the
runtime tests: every command, click and submission there goes through it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlmodel import select

from bot.after_ack import AfterAck
from bot.i18n import t
from storage.models import Job
from tests.harness import BotHarness


def _runs(after: AfterAck) -> tuple[threading.Event, list[float]]:
    done = threading.Event()
    when: list[float] = []

    def work() -> None:
        when.append(time.monotonic())
        done.set()

    after.submit(work, on_error=pytest.fail)
    return done, when


def test_inline_runs_in_the_callers_thread_at_once() -> None:
    after = AfterAck.inline()
    seen: list[str] = []
    after.submit(lambda: seen.append(threading.current_thread().name), on_error=pytest.fail)
    assert seen == [threading.current_thread().name]
    assert not after.holds


def test_work_waits_until_the_request_waiting_for_its_ack_is_answered() -> None:
    after = AfterAck(threads=2, max_hold=5.0)
    try:
        release = threading.Event()
        inside = threading.Event()

        def request() -> None:
            with after.answering():
                inside.set()
                release.wait(5)

        t = threading.Thread(target=request)
        t.start()
        assert inside.wait(5)
        done, _ = _runs(after)
        assert not done.wait(0.2), "the work ran while a request still waited for its ack"
        release.set()
        assert done.wait(2)
        t.join(5)
    finally:
        after.close()
    assert after.waiting() == 0


def test_requests_queued_for_a_server_thread_count_too() -> None:
    after = AfterAck(threads=1, max_hold=5.0)
    queued = [3]
    after.watch_queue(lambda: queued[0])
    try:
        assert after.waiting() == 3
        done, _ = _runs(after)
        assert not done.wait(0.2)
        queued[0] = 0
        assert done.wait(2)  # the queue is polled
    finally:
        after.close()


def test_work_waits_for_a_quiet_moment_not_a_gap_between_two_requests_of_a_burst() -> None:
    """A burst reaches the server one request at a time: the moment between one ack and the next request is
    not the end of the burst. Held work starts only after ``quiet`` seconds without a request waiting."""
    after = AfterAck(threads=1, max_hold=5.0, quiet=0.3)
    try:
        with after.answering():
            pass
        started = time.monotonic()
        done, when = _runs(after)
        for _ in range(4):  # four more requests, 0.1 s apart: each restarts the quiet period
            time.sleep(0.1)
            with after.answering():
                pass
        last = time.monotonic()
        assert done.wait(3)
        assert when[0] - last >= 0.25, "the work started in a gap of the burst"
        assert when[0] - started < 2.0
    finally:
        after.close()


def test_work_is_never_held_past_max_hold() -> None:
    after = AfterAck(threads=1, max_hold=0.3)
    after.watch_queue(lambda: 1)  # a request that never leaves the queue
    try:
        started = time.monotonic()
        done, when = _runs(after)
        assert done.wait(3)
        assert 0.25 <= when[0] - started < 2.0
    finally:
        after.close()


def test_an_error_goes_to_on_error_not_the_caller() -> None:
    after = AfterAck(threads=1)
    errors: list[Exception] = []
    got = threading.Event()

    def fail() -> None:
        raise RuntimeError("boom")

    def on_error(exc: Exception) -> None:
        errors.append(exc)
        got.set()

    try:
        after.submit(fail, on_error=on_error)
        assert got.wait(2)
    finally:
        after.close()
    assert [str(e) for e in errors] == ["boom"]
    inline_errors: list[Exception] = []
    AfterAck.inline().submit(fail, on_error=inline_errors.append)
    assert len(inline_errors) == 1


def test_close_runs_what_is_held_without_waiting_for_the_hold() -> None:
    after = AfterAck(threads=1, max_hold=30.0)
    after.watch_queue(lambda: 1)
    done, _ = _runs(after)
    started = time.monotonic()
    after.close()
    assert done.is_set()
    assert time.monotonic() - started < 5
    late, _ = _runs(after)  # after close: still runs (in the caller's thread)
    assert late.is_set()


def test_a_request_the_server_has_not_read_yet_counts_as_waiting_for_its_ack() -> None:
    """In a burst the server's loop waits for the interpreter like every thread: a connection it has not
    accepted, or a request it has not read, is waiting for its ack too (bot.server watches its sockets)."""
    import socket

    from slack_bolt import App

    from bot.server import BotWSGI, make_server

    after = AfterAck(threads=1, max_hold=5.0)
    app = App(signing_secret="x" * 32, token="xoxb-not-used", token_verification_enabled=False)
    server = make_server(BotWSGI(app, lambda: True, after_ack=after), "127.0.0.1", 0, threads=1)
    try:  # the server's loop is not running: nothing it is sent is read
        assert after.waiting() == 0
        client = socket.create_connection(("127.0.0.1", server.effective_port))
        try:
            assert wait_for(lambda: after.waiting() >= 1), "a connection not accepted yet is not counted"
            done, _ = _runs(after)
            assert not done.wait(0.3), "the work ran while a request had not even been read"
        finally:
            client.close()
    finally:
        server.close()
        after.close()


def test_one_held_unit_watches_for_the_quiet_and_releases_the_others() -> None:
    """Three units held while requests wait: one thread polls the server's queue (every few ms), the other two
    sleep until it finds the quiet, and then all three run."""
    after = AfterAck(threads=3, max_hold=10.0)
    polls = {"n": 0}
    busy = {"on": True}

    def queued() -> int:
        polls["n"] += 1
        return 1 if busy["on"] else 0

    after.watch_queue(queued)
    try:
        runs = [_runs(after) for _ in range(3)]
        time.sleep(0.2)
        polls["n"] = 0
        time.sleep(0.5)
        seen = polls["n"]
        assert not any(done.is_set() for done, _ in runs), "a unit ran while a request waited"
        # One thread polling every 5 ms makes about 100 polls in 0.5 s; three would make about 300.
        assert 20 <= seen <= 170, seen
        busy["on"] = False
        assert all(done.wait(3) for done, _ in runs)
    finally:
        after.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


# ------------------------------------------------------------------ Bolt's mode, over HTTP


def test_listeners_run_in_the_http_thread_only_when_the_work_after_their_ack_is_held(tmp_path: Path) -> None:
    """Over HTTP (``run``: AfterAck holds the work) Bolt runs a listener in the HTTP thread and answers when it
    returns (process_before_response); with the work inline (Socket Mode, the workers) a listener runs in
    Bolt's pool, so that the ack goes out before the work that follows it in the same thread."""
    with BotHarness(tmp_path / "inline", serve=False, workers=0) as inline:
        assert inline.app.process_before_response is False
    with BotHarness(tmp_path / "held", serve=False, workers=0, after_ack=AfterAck()) as held:
        assert held.app.process_before_response is True


def test_over_http_the_ack_is_answered_before_the_work_after_it_and_the_work_runs(tmp_path: Path) -> None:
    """The listener runs in the HTTP thread: the answer waits for the listener, never for the work it hands
    over (the checklist DM's job), which runs once the answer is out and the quiet has lasted."""
    quiet = 1.5
    with BotHarness(tmp_path, after_ack=AfterAck(quiet=quiet, max_hold=10.0)) as h:
        assert h.app.process_before_response is True
        started = time.monotonic()
        ack = h.command("")
        answered = time.monotonic()
        assert ack.status_code == 200, ack.text
        with h.db_session() as session:
            queued = session.exec(select(Job)).all()
        assert queued == [], "the job was queued before the ack was answered"
        assert answered - started < quiet, "the ack waited for the work after it"
        dm = h.wait_dm(lambda m: bool(m.get("blocks")))
        assert dm["blocks"][0]["text"]["text"] == t("onboarding.checklist.title")
        assert time.monotonic() - answered >= quiet * 0.9  # the work waited for the quiet after the answer
