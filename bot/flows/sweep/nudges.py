"""Checklist nudges: the profile-review reminder of the onboarding checklist, once it is due."""

from __future__ import annotations

from datetime import datetime

from bot.flows import checklist
from bot.flows.ports import DeliveryError, Outbox
from bot.flows.sweep.batches import Network
from bot.flows.sweep.report import SweepReport
from bot.services import Services

NUDGE_BATCH = 500


def run_nudges(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    with services.db.session() as session:
        due = checklist.due_nudges(session, now, NUDGE_BATCH)
        session.rollback()
        for nudge in due:
            if not checklist.mark_nudged(session, nudge.progress_id, now):
                continue  # another process has it
            try:
                outbox.send(checklist.nudge_notice(nudge))
            except DeliveryError:
                checklist.unmark_nudged(session, nudge.progress_id)
                report.delivery_failures += 1
                continue
            report.nudges_sent += 1
