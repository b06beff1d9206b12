"""A bot with a rotation queue: moto's SQS server, the fake Amazon enrolled to send to it, the whole bot
(consumer thread and job workers) from tests/harness.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.catalog import says
from tests.fakes.moto_sqs import MotoSQS
from tests.harness import BotHarness, wait_until


@contextmanager
def rotation_world(tmp_path: Path, **env: str) -> Iterator[tuple[BotHarness, MotoSQS, str]]:
    with MotoSQS() as sqs:
        sqs.apply_env()
        queue = sqs.create_queue(visibility_timeout=2)
        with BotHarness(tmp_path, env={"ROTATION_QUEUE_URL": queue, **env}) as h:
            yield h, sqs, queue


def seed_enrolled(h: BotHarness, sqs: MotoSQS, queue: str, name: str = "Main US", *, days_old: int = 170,
                  autorotate: bool = True, creds: Any = None) -> tuple[int, Any]:
    today = datetime.now(UTC).date()
    connection_id, creds = h.seed(name, created_on=today - timedelta(days=days_old), creds=creds)
    h.amazon.enroll_rotation(creds.client_id, queue, sqs.url)
    if autorotate:
        with h.services.db.session(write=True) as s:
            from storage.models import Connection

            conn = s.get(Connection, connection_id)
            assert conn is not None
            conn.autorotate = True
            s.add(conn)
            s.commit()
    return connection_id, creds


def channel_posts_saying(h: BotHarness, key: str) -> list[dict[str, Any]]:
    return [c for c in h.channel_post_calls() if says(c, key)]


def wait_for(probe: Any, timeout: float = 20.0, message: str = "condition") -> Any:
    return wait_until(probe, timeout, message)


def settle(h: BotHarness, sqs: MotoSQS, queue: str, timeout: float = 15.0) -> None:
    """Until the queue is empty (every message handled and deleted) and the jobs it queued (the channel
    announcements, the rotation requests) have run."""
    wait_until(lambda: sqs.messages_left(queue) == 0 or None, timeout, "the queue to empty")
    time.sleep(0.3)
    wait_until(lambda: _jobs_idle(h) or None, timeout, "the queued jobs to run")


def _jobs_idle(h: BotHarness) -> bool:
    from storage import repo

    stats = repo.queue_stats(h.services.db, h.services.clock())
    return stats.depth == 0 and stats.running == 0


def expires_in(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def day(when: datetime) -> date:
    return when.astimezone(UTC).date()
