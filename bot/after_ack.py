"""Acks first: the web tier's work after an ack waits while other requests still wait for theirs.

Slack times the ack (the HTTP answer), not what the listener does after it: queueing the job, or a
trigger-bound ``views.open``. In a burst, that work competes with the acks still to be sent for the one
interpreter (the GIL) and the core, and each ack comes later by the whole burst's post-ack work. Threads
have no priorities the GIL respects, so ``AfterAck`` takes the work off the listener threads instead:
the listener acks, hands its remaining work to ``submit`` and returns. A few threads of AfterAck's own
run that work once no Slack request has waited for its ack for ``quiet`` seconds (``answering`` counts
the requests inside the app, ``watch_queue`` the ones the server holds: queued for one of its threads, or
arrived and not read yet (``bot.server.make_server``); a burst reaches the
server one request at a time, and the moment between an ack and the next request is not the burst's end:
measured, work started in those gaps took a third of a submission burst's CPU), and in any case no later than
``max_hold`` seconds after it was handed over: a trigger_id lives 3 s, and a steady stream of requests
must not hold the work back for ever.

What a held unit risks: a process that dies in those (at most ``max_hold``) seconds loses the work of a
request it already acked, as it did in the moment between an ack and its job insert before.
``close`` runs every unit handed over before it returns (SIGTERM drains them).

Of the units held, one at a time watches for the quiet (it polls the server's queue every few milliseconds)
and releases the others when it comes; they sleep until then. Every thread that wakes inside a burst takes
the interpreter from the acks for a moment (its wake-up and the hand-over back), so four threads polling
cost four times one.

``AfterAck.inline()`` runs each unit at once in the caller's thread: Socket Mode (its acks go over the
socket, not through ``answering``), the workers, and in-process tests.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

log = logging.getLogger(__name__)

DEFAULT_THREADS = 4  # enough for the group commit to gather several job inserts into one transaction
DEFAULT_MAX_HOLD = 0.5  # seconds; well inside a trigger_id's 3 s, and short against a DM's second
DEFAULT_QUIET = 0.005  # seconds without a request waiting before held work starts: a burst's gaps are shorter


class AfterAck:
    """Runs the work that follows an ack once the acks waiting behind it are out (see the module)."""

    def __init__(self, *, threads: int = DEFAULT_THREADS, max_hold: float = DEFAULT_MAX_HOLD,
                 quiet: float = DEFAULT_QUIET, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_hold = max_hold
        self.quiet = quiet
        self._busy_at = float("-inf")  # when a request was last seen waiting for its ack
        self._clock = clock
        self._pool = (ThreadPoolExecutor(max_workers=threads, thread_name_prefix="after-ack") if threads > 0
                      else None)
        self._quiet = threading.Condition()
        self._watching = False  # one held unit polls for the quiet; the others wait to be released
        self._released = 0  # counts the quiets the watcher found: a unit that saw it change goes
        self._unanswered = 0
        self._closing = False
        self._queued: Callable[[], int] = lambda: 0

    @classmethod
    def inline(cls) -> AfterAck:
        """Each unit runs at once in the caller's thread (nothing to wait for)."""
        return cls(threads=0)

    @property
    def holds(self) -> bool:
        return self._pool is not None

    # ---------------------------------------------------------------- what waits for an ack

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around one Slack request in the app, until its answer (the ack) is returned."""
        with self._quiet:
            self._unanswered += 1
        try:
            yield
        finally:
            with self._quiet:  # no wake-up: the watcher looks within `quiet` anyway, and must wait that long
                self._unanswered -= 1
                self._busy_at = self._clock()

    def watch_queue(self, length: Callable[[], int]) -> None:
        """``length()``: requests the server holds that no server thread has taken yet (read and queued, or
        arrived and not read yet)."""
        self._queued = length

    def waiting(self) -> int:
        """Requests still waiting for their ack: inside the app, or queued for a server thread."""
        try:
            queued = int(self._queued())
        except Exception:  # noqa: BLE001 - the server's queue cannot be read: count only what is inside
            queued = 0
        return self._unanswered + queued

    def _hold(self, until: float) -> None:
        with self._quiet:
            released = self._released
            while not self._closing and self._released == released:
                if until - self._clock() <= 0:
                    return
                if self._watching:  # another unit watches: sleep until it releases us (or our deadline)
                    self._quiet.wait(until - self._clock())
                    continue
                self._watching = True
                try:
                    self._watch(until)
                finally:
                    self._watching = False
                    self._quiet.notify_all()  # released, or this unit's deadline: another one watches next
                return

    def _watch(self, until: float) -> None:
        """Poll (holding the condition's lock between waits) until the quiet has lasted or ``until``."""
        while not self._closing:
            now = self._clock()
            if self.waiting() > 0:
                self._busy_at = now
            left = until - now
            still = self._busy_at + self.quiet - now
            if still <= 0:
                self._released += 1
                return
            if left <= 0:
                return
            # The queue is polled: a request leaves it into `answering`, which marks the time it was answered.
            self._quiet.wait(min(left, still, 0.01))

    # ---------------------------------------------------------------- the work

    def submit(self, work: Callable[[], None], *, on_error: Callable[[Exception], None]) -> None:
        """Run ``work`` after the waiting acks; an exception it raises goes to ``on_error`` (which tells the
        person), never to the caller."""
        if self._pool is None:
            _run(work, on_error)
            return
        until = self._clock() + self.max_hold

        def unit() -> None:
            self._hold(until)
            _run(work, on_error)

        try:
            self._pool.submit(unit)
        except RuntimeError:  # shut down: the server is stopping, the work still runs
            _run(work, on_error)

    def close(self) -> None:
        """Run every unit handed over (without holding them any longer), then stop the threads."""
        if self._pool is not None:
            with self._quiet:
                self._closing = True
                self._quiet.notify_all()
            self._pool.shutdown(wait=True)


def _run(work: Callable[[], None], on_error: Callable[[Exception], None]) -> None:
    try:
        work()
    except Exception as exc:
        try:
            on_error(exc)
        except Exception:
            log.exception("work after an ack failed, and so did telling the person")
