"""One pass of everything due: expiry reminders, health checks and checklist nudges.

Safe to run in several processes at once: every message is claimed in the database before it is
posted (``reminder_ledger``'s unique constraint, or a conditional UPDATE), and a claim whose post
failed is released so a later pass retries it. Each phase asks the database only for due work, by
indexed queries, so a pass costs in proportion to what is due rather than to the number of
connections.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.amazon.marketplaces import REGION_NAMES, marketplace_by_id
from bot.amazon.verdicts import Verdict, VerdictKind, explain
from bot.flows import checklist
from bot.flows.credentials import stored_credentials
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox
from bot.i18n import t
from bot.redaction import redact
from bot.services import Services
from storage import repo
from storage.crypto import DecryptionError
from storage.models import Connection

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("connected", "failing", "exposed")
HEALTH_BATCH = 500
REMINDER_BATCH = 2000
NUDGE_BATCH = 500
STALE_CLAIM = timedelta(minutes=15)
TRANSIENT_LIMIT = 3
TRANSIENT_RETRY = timedelta(hours=1)
HEALTH_GENERATION = 0  # health alerts are numbered by episode, not by secret generation
FAILING_VERDICTS = frozenset({VerdictKind.invalid_grant, VerdictKind.invalid_client, VerdictKind.secret_expired})


def claimant() -> str:
    """Who holds a claim: host, process and thread, so a stuck claim can be traced."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


@dataclass
class SweepReport:
    now: datetime
    reminders_sent: int = 0
    expired_alerts_sent: int = 0
    reminders_superseded: int = 0
    health_checked: int = 0
    health_ok: int = 0
    health_failing: int = 0
    health_recovered: int = 0
    health_transient: int = 0
    alerts_sent: int = 0
    nudges_sent: int = 0
    delivery_failures: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every phase ran to the end (a failed Slack post is retried next pass, not a failure)."""
        return not self.problems

    def summary(self) -> str:
        lines = [
            f"sweep at {self.now.isoformat()}:",
            f"  expiry reminders sent: {self.reminders_sent} (expired alerts: {self.expired_alerts_sent}, "
            f"older reminders superseded: {self.reminders_superseded})",
            f"  health checks: {self.health_checked} (ok {self.health_ok}, newly failing {self.health_failing}, "
            f"recovered {self.health_recovered}, transient {self.health_transient}); alerts sent: {self.alerts_sent}",
            f"  checklist nudges sent: {self.nudges_sent}",
            f"  posts that failed and will be retried next pass: {self.delivery_failures}",
        ]
        if self.problems:
            lines.append("  problems:")
            lines.extend(f"  - {p}" for p in self.problems)
        else:
            lines.append("  pass completed")
        return "\n".join(lines)


def run_sweep(services: Services, outbox: Outbox, now: datetime) -> SweepReport:
    """Run one pass; each phase is isolated so one failing phase does not stop the others."""
    report = SweepReport(now=now)
    who = claimant()
    phases: list[tuple[str, Callable[[Services, Outbox, datetime, str, SweepReport], None]]] = [
        ("stale claims", _release_stale_claims),
        ("expiry reminders", _reminders),
        ("health checks", _health_checks),
        ("checklist nudges", _nudges),
    ]
    for name, phase in phases:
        try:
            phase(services, outbox, now, who, report)
        except Exception as exc:  # one phase must never stop the others
            log.exception("sweep phase %s failed", name)
            report.problems.append(f"{name} stopped early: {redact(type(exc).__name__)}: {redact(exc)}"[:300])
    log.info("sweep done: %s", report.summary().replace("\n", " "))
    return report


def _release_stale_claims(services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport) -> None:
    """Claims whose process died between claiming and posting are given back, so they are retried."""
    with services.db.session() as session:
        repo.release_stale_reminder_claims(session, now - STALE_CLAIM)


# --- expiry reminders ------------------------------------------------------------------------------


def reminder_kind_for(days_left: int, lead_days: Sequence[int]) -> str | None:
    """The most urgent reminder due with ``days_left`` days to go (``expired`` on and after the day)."""
    if days_left <= 0:
        return "expired"
    for lead in sorted(lead_days):
        if days_left <= lead:
            return f"expiry:{lead}"
    return None


def superseded_kinds(kind: str, lead_days: Sequence[int]) -> list[str]:
    """The less urgent reminders that ``kind`` replaces, so they never go out after it."""
    if kind == "expired":
        return [f"expiry:{lead}" for lead in lead_days]
    current = int(kind.split(":", 1)[1])
    return [f"expiry:{lead}" for lead in lead_days if lead > current]


def connection_facts(conn: Connection) -> dict[str, Any]:
    """Plain, secret-free facts about a connection that every notice about it carries."""
    market = marketplace_by_id(conn.marketplace_id)
    return {
        "connection_id": conn.id,
        "name": conn.name,
        "account_type": conn.account_type,
        "marketplace": f"{market.name} ({market.country_code})" if market else conn.marketplace_id,
        "region": REGION_NAMES.get(conn.region, conn.region),
        "owner": conn.created_by,
        "expires_on": conn.secret_expires_on.isoformat(),
    }


def _reminders(services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport) -> None:
    lead_days = tuple(services.settings.reminder_days)
    today = now.date()
    with services.db.session() as session:
        due = [(c.id, c.secret_generation, kind) for c, kind in
               repo.due_expiry_reminders(session, today=today, lead_days=lead_days, limit=REMINDER_BATCH)]
        session.rollback()
        for connection_id, generation, kind in due:
            assert connection_id is not None
            try:
                _send_reminder(session, outbox, connection_id, generation, kind, today, lead_days, now, who, report)
            except DeliveryError:
                report.delivery_failures += 1


def _send_reminder(
    session: Session,
    outbox: Outbox,
    connection_id: int,
    generation: int,
    kind: str,
    today: date,
    lead_days: Sequence[int],
    now: datetime,
    who: str,
    report: SweepReport,
) -> None:
    # The claim and the "superseded" marks for the less urgent reminders it replaces are committed
    # together before posting; superseded ones are recorded as done so nothing ever revives them.
    claimed, superseded = repo.claim_reminder_superseding(
        session, connection_id, generation, kind, superseded_kinds(kind, lead_days), who, now)
    if not claimed:
        return  # another process has it
    report.reminders_superseded += superseded
    conn = repo.get_connection_by_id(session, connection_id)
    if conn is None or conn.id is None or conn.secret_generation != generation or conn.status not in ACTIVE_STATUSES:
        # Rotated or disconnected since the query: the claim stays recorded for that old generation.
        repo.mark_reminder_sent(session, connection_id, generation, kind, now)
        return
    data = connection_facts(conn)
    data["days_left"] = (conn.secret_expires_on - today).days
    notice = Notice(kind="secret_expired" if kind == "expired" else "expiry_reminder",
                    audience=Audience.CHANNEL, data=data)
    session.rollback()  # no read snapshot held while Slack answers: the writes below must not find it stale
    try:
        outbox.send(notice)
    except DeliveryError:
        repo.release_reminder(session, connection_id, generation, kind)
        raise
    repo.mark_reminder_sent(session, connection_id, generation, kind, now)
    if kind == "expired":
        report.expired_alerts_sent += 1
    else:
        report.reminders_sent += 1


# --- health checks ---------------------------------------------------------------------------------


def next_check_at(connection_id: int, now: datetime, hours: int) -> datetime:
    """``now + hours``, spread by a deterministic per-connection jitter so checks do not bunch up."""
    return repo.schedule_next_health_check(connection_id, now, timedelta(hours=hours))


@dataclass(frozen=True)
class Outcome:
    """What one check found: ``ok``, ``failing`` (with cause and next step) or ``transient``."""

    state: str
    cause: str = ""
    next_step: str = ""
    verdict: str = ""


def _health_checks(services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport) -> None:
    hours = services.settings.health_check_hours
    with services.db.session() as session:
        # Snapshot what was read: after a commit the ORM would reload rows, and the compare-and-set
        # claim must compare with the value this process saw, not with another process's new one.
        due = [(c.id, c.next_health_check_at) for c in repo.list_due_health_checks(session, now, HEALTH_BATCH)
               if c.id is not None]
        session.rollback()
        for connection_id, seen_next in due:
            if not repo.claim_health_check(session, connection_id, seen_next,
                                           next_check_at(connection_id, now, hours)):
                continue  # another process is checking it
            try:
                _check_one(services, session, outbox, connection_id, now, report)
            except DeliveryError:
                report.delivery_failures += 1
                # The alert was released; look again on the next pass so it goes out then.
                repo.reschedule_health_check(session, connection_id, now)


def _check_one(
    services: Services, session: Session, outbox: Outbox, connection_id: int, now: datetime, report: SweepReport
) -> None:
    conn = repo.get_connection_by_id(session, connection_id)
    if conn is None or conn.status not in ACTIVE_STATUSES:
        session.rollback()
        return
    report.health_checked += 1
    generation, refresh_fp = conn.secret_generation, conn.refresh_token_fp
    outcome = _probe(services, session, conn)
    session.rollback()  # hold no transaction while waiting for Amazon

    conn = repo.get_connection_by_id(session, connection_id)
    if conn is None or conn.status not in ACTIVE_STATUSES:
        session.rollback()
        return
    if conn.secret_generation != generation or conn.refresh_token_fp != refresh_fp:
        # Rotated or re-authorized while we were asking Amazon: this answer is about old secrets.
        session.rollback()
        return
    if outcome.state == "ok":
        report.health_ok += 1
        recovered = conn.status == "failing"
        conn.transient_failures = 0
        conn.last_verified_at = now
        if recovered:
            conn.status = "connected"
            conn.last_error = None
            repo.add_audit(session, team_id=conn.team_id, actor="system", action="health_recovered",
                           connection=conn, detail=None, now=now)
            report.health_recovered += 1
        conn.updated_at = now
        session.add(conn)
        session.commit()
    elif outcome.state == "transient":
        report.health_transient += 1
        conn.transient_failures = (conn.transient_failures or 0) + 1
        if conn.transient_failures >= TRANSIENT_LIMIT and conn.status != "failing":
            _mark_failing(session, conn, t("lifecycle.health.transient_cause", count=TRANSIENT_LIMIT),
                          t("lifecycle.health.transient_next_step"), now, report)
        else:
            if conn.status != "failing":
                # Look again sooner than usual: three misses in a row should not take three days.
                conn.next_health_check_at = min(
                    conn.next_health_check_at or now + TRANSIENT_RETRY, now + TRANSIENT_RETRY
                )
            conn.updated_at = now
            session.add(conn)
            session.commit()
    else:
        conn.transient_failures = 0
        if conn.status != "failing":
            _mark_failing(session, conn, outcome.cause, outcome.next_step, now, report)
        else:
            conn.last_error = outcome.cause
            conn.updated_at = now
            session.add(conn)
            session.commit()
    _ensure_health_alerts(session, outbox, conn, outcome, now, report)


def _probe(services: Services, session: Session, conn: Connection) -> Outcome:
    try:
        secrets = repo.load_secrets(session, services.crypto, conn)
    except DecryptionError as exc:
        return Outcome(state="failing", cause=t("lifecycle.health.decrypt_cause", problem=redact(exc)),
                       next_step=t("lifecycle.health.decrypt_next_step"), verdict="decryption_error")
    creds = stored_credentials(conn, client_secret=secrets.client_secret, refresh_token=secrets.refresh_token)
    session.rollback()  # no transaction (and no SQLite lock) is held while Amazon answers
    verdict: Verdict = services.amazon.check_token(creds)
    if verdict.ok:
        return Outcome(state="ok", verdict=verdict.kind.value)
    cause, next_step = explain(verdict)
    if verdict.kind in FAILING_VERDICTS:
        return Outcome(state="failing", cause=cause, next_step=next_step, verdict=verdict.kind.value)
    return Outcome(state="transient", cause=cause, next_step=next_step, verdict=verdict.kind.value)


def _mark_failing(
    session: Session, conn: Connection, cause: str, next_step: str, now: datetime, report: SweepReport
) -> None:
    conn.status = "failing"
    conn.last_error = f"{cause} {next_step}".strip()
    conn.updated_at = now
    session.add(conn)
    repo.add_audit(session, team_id=conn.team_id, actor="system", action="health_failing", connection=conn,
                   detail=cause, now=now)
    session.commit()
    report.health_failing += 1


def _ensure_health_alerts(
    session: Session, outbox: Outbox, conn: Connection, outcome: Outcome, now: datetime, report: SweepReport
) -> None:
    """Level-triggered: make sure the messages the connection's current state calls for went out once."""
    assert conn.id is not None
    episode = repo.count_audit_actions(session, conn.id, "health_failing")
    if episode == 0:
        session.rollback()
        return
    facts = connection_facts(conn)
    if conn.status == "failing":
        if outcome.state == "failing":
            facts.update(cause=outcome.cause, next_step=outcome.next_step, verdict=outcome.verdict)
        else:
            facts.update(cause=conn.last_error or "", next_step="", verdict=outcome.verdict)
        _send_once(session, outbox, conn.id, f"health_failing:{episode}",
                   Notice("health_failing", Audience.CHANNEL, facts), now, report)
        _send_once(session, outbox, conn.id, f"health_failing_dm:{episode}",
                   Notice("health_failing_dm", Audience.DM, facts, user_id=conn.created_by), now, report)
        return
    alert = repo.ledger_entry(session, conn.id, HEALTH_GENERATION, f"health_failing:{episode}")
    if alert is not None and alert.sent_at is not None:
        _send_once(session, outbox, conn.id, f"health_recovered:{episode}",
                   Notice("health_recovered", Audience.CHANNEL, facts), now, report)
    session.rollback()


def _send_once(
    session: Session, outbox: Outbox, connection_id: int, kind: str, notice: Notice, now: datetime,
    report: SweepReport,
) -> None:
    if repo.ledger_entry(session, connection_id, HEALTH_GENERATION, kind) is not None:
        session.rollback()
        return
    if not repo.claim_reminder(session, connection_id, HEALTH_GENERATION, kind, claimant(), now):
        return
    try:
        outbox.send(notice)
    except DeliveryError:
        repo.release_reminder(session, connection_id, HEALTH_GENERATION, kind)
        raise
    repo.mark_reminder_sent(session, connection_id, HEALTH_GENERATION, kind, now)
    report.alerts_sent += 1


# --- checklist nudges ------------------------------------------------------------------------------


def _nudges(services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport) -> None:
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
