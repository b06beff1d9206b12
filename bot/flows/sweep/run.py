"""One pass of the sweep: the phases in order, each isolated so one failing phase does not stop the others."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.flows.ports import Outbox
from bot.flows.sweep import batches
from bot.flows.sweep.batches import Network, claimant
from bot.flows.sweep.health import run_health_checks
from bot.flows.sweep.nudges import run_nudges
from bot.flows.sweep.reminders import run_reminders
from bot.flows.sweep.report import SweepReport
from bot.redaction import redact
from bot.services import Services
from storage import repo

log = logging.getLogger(__name__)

STALE_CLAIM = timedelta(minutes=15)
# Idempotency keys guard against repeats that come within minutes (Slack's event retries, a double
# click or double submit, a reconnect waiting 15 minutes for its confirmation); a week later they only
# take space, and the sweep deletes them.
IDEMPOTENCY_RETENTION = timedelta(days=7)


def run_sweep(services: Services, outbox: Outbox, now: datetime) -> SweepReport:
    """Run one pass; each phase is isolated so one failing phase does not stop the others."""
    report = SweepReport(now=now)
    who = claimant()
    phases: list[tuple[str, Callable[[Services, Outbox, datetime, str, SweepReport, Network], None]]] = [
        ("stale claims", _release_stale_claims),
        ("expiry reminders", run_reminders),
        ("health checks", run_health_checks),
        ("checklist nudges", run_nudges),
        ("idempotency keys", _purge_old_keys),
    ]
    with Network(batches.NETWORK_WORKERS) as network:  # read here, so tests may set it
        for name, phase in phases:
            try:
                phase(services, outbox, now, who, report, network)
            except Exception as exc:  # one phase must never stop the others
                log.exception("sweep phase %s failed", name)
                report.problems.append(f"{name} stopped early: {redact(type(exc).__name__)}: {redact(exc)}"[:300])
    log.info("sweep done: %s", report.summary().replace("\n", " "))
    return report


def _release_stale_claims(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    """Claims whose process died between claiming and posting are given back, so they are retried."""
    with services.db.session(write=True) as session:
        repo.release_stale_reminder_claims(session, now - STALE_CLAIM)


def _purge_old_keys(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    """Delete idempotency keys older than ``IDEMPOTENCY_RETENTION``. Measured from the earlier of the
    pass's time and the real clock, so a pass run "as if" in the future (``sweep --now``) deletes no
    key that still guards a repeat."""
    cutoff = min(now, datetime.now(UTC)) - IDEMPOTENCY_RETENTION
    with services.db.session(write=True) as session:
        report.keys_purged = repo.purge_idempotency_keys(session, cutoff)
        session.commit()
