"""The bot's job handlers (registered on import; ``bot.jobs.load_handlers`` imports this module)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.jobs import JobContext, JobKind, Outcome, done, handler
from bot.jobs import autorotate as _autorotate  # noqa: F401 - registers rotate_client_secret
from bot.jobs import slack_work as _slack_work  # noqa: F401 - registers slack_work
from bot.jobs import verify as _verify  # noqa: F401 - registers verify_submission
from bot.services import Services

log = logging.getLogger(__name__)


@handler(JobKind.SWEEP, max_attempts=2, lease=timedelta(seconds=60))
def sweep(services: Services, job: JobContext) -> Outcome:
    """One sweep pass. Safe to run twice (every message is claimed in the database before it is posted);
    a phase that failed is retried by the next pass, so the job itself is done either way."""
    from bot.flows.sweep import run_sweep

    raw = job.payload.get("now")
    now = datetime.fromisoformat(raw) if isinstance(raw, str) else services.clock()
    report = run_sweep(services, job.outbox, now=now)
    if not report.ok:
        log.warning("sweep job %s finished with problems; the next pass retries them", job.id)
    return done()
