"""Is the queue being worked: what ``/healthz`` and ``doctor`` report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from storage import repo

if TYPE_CHECKING:
    from bot.services import Services
    from storage.db import Database

STUCK_AFTER_SECONDS = 60.0
LIVE_WITHIN_SECONDS = 15.0


@dataclass(frozen=True)
class QueueHealth:
    ok: bool  # False when a job has waited over a minute and no worker is alive
    depth: int
    oldest_waiting_seconds: float
    running: int
    live_workers: int

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("ok")
        return data


def queue_health(services: Services) -> QueueHealth:
    return queue_health_in(services.db, services.clock())


def queue_health_in(db: Database, now: datetime) -> QueueHealth:
    """The queue of the bot's database ``db`` at ``now`` (``doctor`` has a database, not the services)."""
    stats = repo.queue_stats(db, now, live_within=timedelta(seconds=LIVE_WITHIN_SECONDS))
    stuck = stats.oldest_waiting_seconds > STUCK_AFTER_SECONDS and stats.live_workers == 0
    return QueueHealth(ok=not stuck, depth=stats.depth, oldest_waiting_seconds=stats.oldest_waiting_seconds,
                       running=stats.running, live_workers=stats.live_workers)
