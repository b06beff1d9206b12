"""Expiry reminders: the most urgent reminder due for each connection's client secret, and the
"expired" alert on and after the day; a reminder never goes out after a more urgent one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.flows.lifecycle_notices import AboutConnection, ExpiryReminder, SecretExpired
from bot.flows.ports import Audience, Notice, Outbox, Payload
from bot.flows.summary import ConnectionSummary
from bot.flows.sweep import batches
from bot.flows.sweep.batches import ACTIVE_STATUSES, Network, Posted, chunks, pipelined, post, raise_first_error
from bot.flows.sweep.report import SweepReport
from bot.services import Services
from storage import repo

REMINDER_BATCH = 2000


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


def run_reminders(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    lead_days = tuple(services.settings.reminder_days)
    today = now.date()
    with services.db.session() as session:
        due = repo.due_expiry_reminder_keys(session, today=today, lead_days=lead_days, limit=REMINDER_BATCH)
    pipelined(
        chunks(due, batches.CLAIM_BATCH),
        lambda batch: _start_reminders(services, outbox, batch, today, lead_days, now, who, report, network),
        lambda started: _finish_reminders(services, started, now, report),
    )


@dataclass
class _RemindersUnderWay:
    stale: list[int]  # ledger ids of claims whose connection was rotated or disconnected meanwhile
    to_post: list[tuple[int, str, Notice]]  # (ledger id, kind, notice)
    results: Callable[[], list[Posted]]


def _start_reminders(
    services: Services,
    outbox: Outbox,
    batch: Sequence[repo.LedgerKey],
    today: date,
    lead_days: Sequence[int],
    now: datetime,
    who: str,
    report: SweepReport,
    network: Network,
) -> _RemindersUnderWay:
    # The claims and the "superseded" marks for the less urgent reminders they replace are committed
    # together before anything is posted; superseded ones are recorded as done so nothing revives them.
    with services.db.session(write=True) as session:
        claimed, superseded = repo.claim_reminders_superseding(
            session, [(key, superseded_kinds(key[2], lead_days)) for key in batch], who, now)
        report.reminders_superseded += superseded
    with services.db.session() as session:  # closed (no read snapshot held) before Slack is asked
        facts = repo.connection_summaries(session, [cid for cid, _g, _k in claimed])
        exporters = repo.exporters_of_current_secret(session, list(facts))
    stale: list[int] = []  # rotated or disconnected since the query: the claim stays recorded for that generation
    to_post: list[tuple[int, str, Notice]] = []
    for (connection_id, generation, kind), ledger_id in claimed.items():
        conn = facts.get(connection_id)
        if conn is None or conn.secret_generation != generation or conn.status not in ACTIVE_STATUSES:
            stale.append(ledger_id)
            continue
        about = AboutConnection.facts(ConnectionSummary.of(conn))
        tools = tuple(exporters.get(connection_id, ()))
        via_amazon = bool(services.settings.rotation_queue_url)
        payload: Payload = (SecretExpired(**about, exporters=tools, via_amazon=via_amazon) if kind == "expired"
                            else ExpiryReminder(**about, days_left=(conn.secret_expires_on - today).days,
                                                exporters=tools, via_amazon=via_amazon))
        to_post.append((ledger_id, kind, Notice.of(Audience.CHANNEL, payload)))
    return _RemindersUnderWay(stale, to_post, network.start(lambda item: post(outbox, item[2]), to_post))


def _finish_reminders(services: Services, started: _RemindersUnderWay, now: datetime, report: SweepReport) -> None:
    results = started.results()
    posted = list(zip(started.to_post, results, strict=True))
    sent = started.stale + [ledger_id for (ledger_id, _k, _n), r in posted if r.sent]
    refused = [ledger_id for (ledger_id, _k, _n), r in posted if r.refused]
    with services.db.session(write=True) as session:
        repo.settle_reminder_claims(session, sent, refused, now)
    for (_ledger_id, kind, _notice), result in posted:
        if result.sent:
            if kind == "expired":
                report.expired_alerts_sent += 1
            else:
                report.reminders_sent += 1
        elif result.refused:
            report.delivery_failures += 1
    raise_first_error(results)

