"""The machinery every phase of the sweep shares: batches claimed and settled on the sweeping thread,
their network calls (Slack posts, LWA checks) run on a few threads at once, and one batch's database
work overlapping the next one's network calls (``pipelined``)."""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TypeVar

from bot.flows.ports import DeliveryError, Notice, Outbox

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("connected", "failing", "exposed")  # the connections reminders and health checks are for
# Due items are claimed, posted and settled in batches of this many: one claiming statement and one
# commit per batch. Small enough that a process dying mid-batch leaves little for the stale-claim
# release to retry (the claims it had already posted would go out twice), large enough that the
# per-batch statements cost little per item.
CLAIM_BATCH = 100
NETWORK_WORKERS = 8  # Slack posts and LWA checks of a batch under way at once

T = TypeVar("T")
R = TypeVar("R")


def claimant() -> str:
    """Who holds a claim: host, process and thread, so a stuck claim can be traced."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Network:
    """Runs a batch's network calls (Slack posts, LWA checks) on a few threads at once.

    Only network calls run on it: every database read and write stays on the sweeping thread, and
    no transaction ever waits for a network call (the sweeping thread's short transactions for the
    next or previous batch may run meanwhile). A batch of one runs inline.
    """

    def __init__(self, workers: int) -> None:
        self.workers = max(1, workers)
        self._pool: ThreadPoolExecutor | None = None

    def __enter__(self) -> Network:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(item) for item in items]``, concurrently; an exception of ``fn`` propagates."""
        return self.start(fn, items)()

    def start(self, fn: Callable[[T], R], items: Sequence[T]) -> Callable[[], list[R]]:
        """Start ``fn`` on every item; returns a function that waits for and returns the results in
        order (an exception of ``fn`` propagates from it, after every call has finished)."""
        if len(items) <= 1 or self.workers == 1:
            done = [fn(item) for item in items]
            return lambda: done
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="sweep-net")
        futures = [self._pool.submit(fn, item) for item in items]

        def results() -> list[R]:
            wait(futures)
            return [f.result() for f in futures]

        return results


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def pipelined(batches: Iterable[T], start: Callable[[T], R], finish: Callable[[R], None]) -> None:
    """``finish(start(batch))`` for each batch, with batch k+1 started (claimed, its network calls under
    way) before batch k is finished (results awaited and recorded), so the database work of one batch
    overlaps the network calls of the other. Every started batch is finished, even when a later one
    fails to start or an earlier one fails to finish; the first error is raised at the end."""
    pending: list[R] = []
    try:
        for batch in batches:
            pending.append(start(batch))
            if len(pending) > 1:
                finish(pending.pop(0))
        while pending:
            finish(pending.pop(0))
    except Exception:
        while pending:
            try:
                finish(pending.pop(0))
            except Exception:  # the first error is the one reported
                log.exception("sweep batch could not be finished")
        raise


@dataclass
class Posted:
    """What became of one notice handed to the outbox: sent, refused by Slack (``DeliveryError``,
    retried next pass) or failed unexpectedly (``error``: the claim is left for the stale-claim
    release, as if the process had died, and the phase reports it)."""

    sent: bool = False
    refused: bool = False
    error: BaseException | None = None


def post(outbox: Outbox, notice: Notice) -> Posted:
    try:
        outbox.send(notice)
    except DeliveryError:
        return Posted(refused=True)
    except Exception as exc:  # reported by the phase after the batch's bookkeeping is done
        return Posted(error=exc)
    return Posted(sent=True)



def raise_first_error(results: Sequence[Posted]) -> None:
    for result in results:
        if result.error is not None:
            raise result.error
