"""One pass of everything due: expiry reminders, health checks and checklist nudges.

Safe to run in several processes at once: every message is claimed in the database before it is
posted (``reminder_ledger``'s unique constraint, or a conditional UPDATE), and a claim whose post
failed is released so a later pass retries it. Each phase asks the database only for due work, by
indexed queries, so a pass costs in proportion to what is due rather than to the number of
connections.

Due work goes in batches of ``CLAIM_BATCH``: one statement claims the whole batch (and commits),
one query loads its rows, the batch's network calls (Slack posts, LWA checks) run on a few threads
at once, and one transaction records the results (sent, released, new status). Database work stays
on the sweeping thread and no transaction waits for a network call; the threads only talk to Slack
and Amazon. The next batch is claimed while the current one's calls are under way (``_pipelined``).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from sqlmodel import Session

from bot.amazon.client import Credentials
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
from storage.models import Connection, exposed_kinds

log = logging.getLogger(__name__)

ACTIVE_STATUSES = ("connected", "failing", "exposed")
HEALTH_BATCH = 500
REMINDER_BATCH = 2000
# Due items are claimed, posted and settled in batches of this many: one claiming statement and one
# commit per batch. Small enough that a process dying mid-batch leaves little for the stale-claim
# release to retry (the claims it had already posted would go out twice), large enough that the
# per-batch statements cost little per item.
CLAIM_BATCH = 100
NETWORK_WORKERS = 8  # Slack posts and LWA checks of a batch under way at once
NUDGE_BATCH = 500
STALE_CLAIM = timedelta(minutes=15)
# Idempotency keys guard against repeats that come within minutes (Slack's event retries, a double
# click or double submit, a reconnect waiting 15 minutes for its confirmation); a week later they only
# take space, and the sweep deletes them.
IDEMPOTENCY_RETENTION = timedelta(days=7)
TRANSIENT_LIMIT = 3
TRANSIENT_RETRY = timedelta(hours=1)
HEALTH_GENERATION = 0  # health alerts are numbered by episode, not by secret generation
# What Amazon says when the stored credentials stopped working (not a passing outage). The check is a full
# verification (LWA token exchange plus the SP-API call): an expired or superseded client secret still gets
# an LWA token and is refused only by SP-API, and a removed role shows only there too.
# Anything else (rate_limited, amazon_unavailable, amazon_error — e.g. a gateway 403 that hit every seller at
# once —, network_error, timeout, unexpected) is transient: no alert until it happens TRANSIENT_LIMIT times in a row.
FAILING_VERDICTS = frozenset({
    VerdictKind.invalid_grant, VerdictKind.invalid_client, VerdictKind.secret_expired,
    VerdictKind.missing_role, VerdictKind.marketplace_not_authorized, VerdictKind.unauthorized_client,
})

T = TypeVar("T")
R = TypeVar("R")


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
    health_skipped: int = 0  # secrets that could not be decrypted: left as they were, see the log
    alerts_sent: int = 0
    nudges_sent: int = 0
    delivery_failures: int = 0
    keys_purged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every phase ran to the end and no check was skipped for want of a key (a failed
        Slack post is retried next pass, not a failure)."""
        return not self.problems and not self.health_skipped

    def summary(self) -> str:
        lines = [
            f"sweep at {self.now.isoformat()}:",
            f"  expiry reminders sent: {self.reminders_sent} (expired alerts: {self.expired_alerts_sent}, "
            f"older reminders superseded: {self.reminders_superseded})",
            f"  health checks: {self.health_checked} (ok {self.health_ok}, newly failing {self.health_failing}, "
            f"recovered {self.health_recovered}, transient {self.health_transient}); alerts sent: {self.alerts_sent}",
            f"  checklist nudges sent: {self.nudges_sent}",
            f"  posts that failed and will be retried next pass: {self.delivery_failures}",
            f"  old idempotency keys deleted: {self.keys_purged}",
        ]
        if self.health_skipped:
            lines.append(f"  health checks skipped because the stored secrets could not be decrypted: "
                         f"{self.health_skipped} (nothing changed; see the log for the key to restore)")
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
    phases: list[tuple[str, Callable[[Services, Outbox, datetime, str, SweepReport, Network], None]]] = [
        ("stale claims", _release_stale_claims),
        ("expiry reminders", _reminders),
        ("health checks", _health_checks),
        ("checklist nudges", _nudges),
        ("idempotency keys", _purge_old_keys),
    ]
    with Network(NETWORK_WORKERS) as network:
        for name, phase in phases:
            try:
                phase(services, outbox, now, who, report, network)
            except Exception as exc:  # one phase must never stop the others
                log.exception("sweep phase %s failed", name)
                report.problems.append(f"{name} stopped early: {redact(type(exc).__name__)}: {redact(exc)}"[:300])
    log.info("sweep done: %s", report.summary().replace("\n", " "))
    return report


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


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _pipelined(batches: Iterable[T], start: Callable[[T], R], finish: Callable[[R], None]) -> None:
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


def _post(outbox: Outbox, notice: Notice) -> Posted:
    try:
        outbox.send(notice)
    except DeliveryError:
        return Posted(refused=True)
    except Exception as exc:  # reported by the phase after the batch's bookkeeping is done
        return Posted(error=exc)
    return Posted(sent=True)


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


class ConnectionFacts(Protocol):
    """The secret-free columns of a connection a notice needs (a ``Connection`` or a summary row)."""

    id: int | None
    name: str
    account_type: str
    marketplace_id: str
    region: str
    created_by: str
    secret_expires_on: date
    client_secret_fp: str | None
    refresh_token_fp: str | None
    exposed_secrets: str | None


def connection_facts(conn: ConnectionFacts) -> dict[str, Any]:
    """Plain, secret-free facts about a connection that every notice about it carries (``exposed``: the
    secrets in use that were seen in Slack, so every alert keeps saying so until they are replaced)."""
    market = marketplace_by_id(conn.marketplace_id)
    return {
        "connection_id": conn.id,
        "name": conn.name,
        "account_type": conn.account_type,
        "marketplace": f"{market.name} ({market.country_code})" if market else conn.marketplace_id,
        "region": REGION_NAMES.get(conn.region, conn.region),
        "owner": conn.created_by,
        "expires_on": conn.secret_expires_on.isoformat(),
        "exposed": list(exposed_kinds(conn)),
    }


def _reminders(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    lead_days = tuple(services.settings.reminder_days)
    today = now.date()
    with services.db.session() as session:
        due = repo.due_expiry_reminder_keys(session, today=today, lead_days=lead_days, limit=REMINDER_BATCH)
    _pipelined(
        _chunks(due, CLAIM_BATCH),
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
    stale: list[int] = []  # rotated or disconnected since the query: the claim stays recorded for that generation
    to_post: list[tuple[int, str, Notice]] = []
    for (connection_id, generation, kind), ledger_id in claimed.items():
        conn = facts.get(connection_id)
        if conn is None or conn.secret_generation != generation or conn.status not in ACTIVE_STATUSES:
            stale.append(ledger_id)
            continue
        data = connection_facts(conn)
        data["days_left"] = (conn.secret_expires_on - today).days
        to_post.append((ledger_id, kind, Notice(kind="secret_expired" if kind == "expired" else "expiry_reminder",
                                                audience=Audience.CHANNEL, data=data)))
    return _RemindersUnderWay(stale, to_post, network.start(lambda item: _post(outbox, item[2]), to_post))


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
    _raise_first_error(results)


def _raise_first_error(results: Sequence[Posted]) -> None:
    for result in results:
        if result.error is not None:
            raise result.error


# --- health checks ---------------------------------------------------------------------------------


def next_check_at(connection_id: int, now: datetime, hours: int) -> datetime:
    """``now + hours``, spread by a deterministic per-connection jitter so checks do not bunch up."""
    return repo.schedule_next_health_check(connection_id, now, timedelta(hours=hours))


@dataclass(frozen=True)
class Outcome:
    """What one check found: ``ok``, ``failing`` (with cause and next step), ``transient``, or
    ``skipped`` (the secrets could not be decrypted: the connection is left as it was)."""

    state: str
    cause: str = ""
    next_step: str = ""
    verdict: str = ""


@dataclass(frozen=True)
class Probe:
    """One claimed connection about to be checked: what it was when its secrets were read."""

    connection_id: int
    generation: int
    refresh_fp: str | None
    creds: Credentials | None  # None when the secrets could not be decrypted
    outcome: Outcome | None  # known without asking Amazon (decryption failed)


@dataclass
class Alert:
    """A health message one connection's state calls for, claimed in the ledger before posting."""

    connection_id: int
    kind: str
    notice: Notice
    ledger_id: int = 0


def _health_checks(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    hours = services.settings.health_check_hours
    with services.db.session() as session:
        due = repo.due_health_check_ids(session, now, HEALTH_BATCH)
    _pipelined(
        _chunks(due, CLAIM_BATCH),
        lambda batch: _start_checks(services, batch, now, hours, report, network),
        lambda started: _finish_checks(services, outbox, started, now, who, report, network),
    )


@dataclass
class _ChecksUnderWay:
    probes: list[Probe]
    outcomes: Callable[[], list[Outcome]]


def _start_checks(
    services: Services, batch: Sequence[int], now: datetime, hours: int, report: SweepReport, network: Network
) -> _ChecksUnderWay:
    # Claim: move each due check to its next time (one conditional UPDATE, committed), then read the
    # claimed rows and their secrets; no transaction stays open while Amazon answers.
    with services.db.session(write=True) as session:
        claimed = repo.claim_health_checks(session, {cid: next_check_at(cid, now, hours) for cid in batch}, now)
    with services.db.session() as session:
        conns = repo.connections_by_ids(session, claimed)
        probes = [_prepare(services, session, conn) for cid in claimed
                  if (conn := conns.get(cid)) is not None and conn.status in ACTIVE_STATUSES]
    report.health_checked += len(probes)
    # Ask Amazon, several at a time.
    amazon = services.amazon
    return _ChecksUnderWay(
        probes, network.start(lambda p: p.outcome or _verdict_outcome(amazon.verify(p.creds)), probes))


def _finish_checks(
    services: Services,
    outbox: Outbox,
    started: _ChecksUnderWay,
    now: datetime,
    who: str,
    report: SweepReport,
    network: Network,
) -> None:
    outcomes = started.outcomes()
    # Record what was found and claim the messages it calls for, in one transaction.
    with services.db.session(write=True) as session:
        alerts = _record(session, started.probes, outcomes, now, who, report)
    if not alerts:
        return

    # Post them (per connection in order: the channel alert, then the DM), then settle the claims.
    per_connection: dict[int, list[Alert]] = {}
    for alert in alerts:
        per_connection.setdefault(alert.connection_id, []).append(alert)
    groups = list(per_connection.values())
    group_results = network.map(lambda group: _post_in_order(outbox, group), groups)
    sent: list[int] = []
    released: list[int] = []
    retry: list[int] = []
    errors: list[Posted] = []
    for group, results in zip(groups, group_results, strict=True):
        for alert, result in zip(group, results, strict=True):
            if result.sent:
                sent.append(alert.ledger_id)
                report.alerts_sent += 1
            elif result.error is not None:
                errors.append(result)  # left claimed: released as stale later, like a crash
            else:
                released.append(alert.ledger_id)  # refused, or not tried after an earlier refusal
        if any(r.refused for r in results):
            report.delivery_failures += 1
            retry.append(group[0].connection_id)  # look again on the next pass so it goes out then
    with services.db.session(write=True) as session:
        repo.settle_reminder_claims(session, sent, released, now)
        if retry:
            repo.reschedule_health_checks(session, retry, now)
    _raise_first_error(errors)


def _post_in_order(outbox: Outbox, group: Sequence[Alert]) -> list[Posted]:
    """Post a connection's alerts in order; after one that did not go out, the rest are not tried."""
    results: list[Posted] = []
    for alert in group:
        if results and not results[-1].sent:
            results.append(Posted())
            continue
        results.append(_post(outbox, alert.notice))
    return results


def _prepare(services: Services, session: Session, conn: Connection) -> Probe:
    assert conn.id is not None
    generation, refresh_fp = conn.secret_generation, conn.refresh_token_fp
    try:
        secrets = repo.load_secrets(session, services.crypto, conn)
    except DecryptionError as exc:
        # The operator's problem (a key missing from ENCRYPTION_KEYS, or damaged data), not the
        # connection's: nothing is marked failing and nobody in Slack is alerted. `run` and `sweep`
        # refuse to start when a key is missing; this covers a row written meanwhile under a key this
        # process does not hold (another replica already started with a newer ENCRYPTION_KEYS).
        log.error("health check of connection %s skipped, nothing changed: %s; restore the key in "
                  "ENCRYPTION_KEYS (or the key file) and restart", conn.label(), redact(exc))
        return Probe(conn.id, generation, refresh_fp, None, Outcome(state="skipped", verdict="decryption_error"))
    creds = stored_credentials(conn, client_secret=secrets.client_secret, refresh_token=secrets.refresh_token)
    return Probe(conn.id, generation, refresh_fp, creds, None)


def _verdict_outcome(verdict: Verdict) -> Outcome:
    if verdict.ok:
        return Outcome(state="ok", verdict=verdict.kind.value)
    cause, next_step = explain(verdict)
    if verdict.kind in FAILING_VERDICTS:
        return Outcome(state="failing", cause=cause, next_step=next_step, verdict=verdict.kind.value)
    return Outcome(state="transient", cause=cause, next_step=next_step, verdict=verdict.kind.value)


def _record(
    session: Session, probes: Sequence[Probe], outcomes: Sequence[Outcome], now: datetime, who: str,
    report: SweepReport,
) -> list[Alert]:
    """Apply the batch's outcomes to the connections, then claim (committed) the alerts they call for."""
    conns = repo.connections_by_ids(session, [p.connection_id for p in probes])
    checked: list[tuple[Connection, Outcome]] = []
    for probe, outcome in zip(probes, outcomes, strict=True):
        conn = conns.get(probe.connection_id)
        if conn is None or conn.status not in ACTIVE_STATUSES:
            continue
        if conn.secret_generation != probe.generation or conn.refresh_token_fp != probe.refresh_fp:
            continue  # rotated or re-authorized while we were asking Amazon: this answer is about old secrets
        _apply(session, conn, outcome, now, report)
        if outcome.state != "skipped":  # left exactly as it was: no alert is due because of this check
            checked.append((conn, outcome))
    session.flush()
    alerts = _alerts_due(session, checked)
    claimed = repo.claim_reminders(session, [(a.connection_id, HEALTH_GENERATION, a.kind) for a in alerts], who, now)
    result: list[Alert] = []
    for alert in alerts:
        ledger_id = claimed.get((alert.connection_id, HEALTH_GENERATION, alert.kind))
        if ledger_id is not None:  # otherwise another process holds it
            alert.ledger_id = ledger_id
            result.append(alert)
    session.commit()  # claim_reminders committed the connections' changes with the claims; nothing is left
    return result


def _apply(session: Session, conn: Connection, outcome: Outcome, now: datetime, report: SweepReport) -> None:
    if outcome.state == "skipped":
        report.health_skipped += 1
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
    elif outcome.state == "transient":
        report.health_transient += 1
        conn.transient_failures = (conn.transient_failures or 0) + 1
        if conn.transient_failures >= TRANSIENT_LIMIT and conn.status != "failing":
            # The last answer's own cause goes with it: it names Amazon's request id when there is one.
            _mark_failing(session, conn, t("lifecycle.health.transient_cause", count=TRANSIENT_LIMIT,
                                           last=outcome.cause), t("lifecycle.health.transient_next_step"),
                          now, report)
        else:
            if conn.status != "failing":
                # Look again sooner than usual: three misses in a row should not take three days.
                conn.next_health_check_at = min(
                    conn.next_health_check_at or now + TRANSIENT_RETRY, now + TRANSIENT_RETRY
                )
            conn.updated_at = now
            session.add(conn)
    else:
        conn.transient_failures = 0
        if conn.status != "failing":
            _mark_failing(session, conn, outcome.cause, outcome.next_step, now, report)
        else:
            conn.last_error = outcome.cause
            conn.updated_at = now
            session.add(conn)


def _mark_failing(
    session: Session, conn: Connection, cause: str, next_step: str, now: datetime, report: SweepReport
) -> None:
    conn.status = "failing"
    conn.last_error = f"{cause} {next_step}".strip()
    conn.updated_at = now
    session.add(conn)
    repo.add_audit(session, team_id=conn.team_id, actor="system", action="health_failing", connection=conn,
                   detail=cause, now=now)
    report.health_failing += 1


def _alerts_due(session: Session, checked: Sequence[tuple[Connection, Outcome]]) -> list[Alert]:
    """Level-triggered: the messages each connection's current state calls for that have not gone out
    (nor been claimed) yet. Health episodes are numbered by the connection's ``health_failing`` audits."""
    episodes = repo.count_audit_actions_by_connection(
        session, [conn.id for conn, _o in checked if conn.id is not None], "health_failing")
    if not episodes:
        return []
    ledger = repo.ledger_entries(session, list(episodes), HEALTH_GENERATION)
    alerts: list[Alert] = []
    for conn, outcome in checked:
        assert conn.id is not None
        episode = episodes.get(conn.id, 0)
        if episode == 0:
            continue
        facts = connection_facts(conn)
        if conn.status == "failing":
            if outcome.state == "failing":
                facts.update(cause=outcome.cause, next_step=outcome.next_step, verdict=outcome.verdict)
            else:
                facts.update(cause=conn.last_error or "", next_step="", verdict=outcome.verdict)
            for kind, notice in (
                (f"health_failing:{episode}", Notice("health_failing", Audience.CHANNEL, facts)),
                (f"health_failing_dm:{episode}",
                 Notice("health_failing_dm", Audience.DM, facts, user_id=conn.created_by)),
            ):
                if (conn.id, kind) not in ledger:
                    alerts.append(Alert(conn.id, kind, notice))
            continue
        told = (conn.id, f"health_failing:{episode}")
        kind = f"health_recovered:{episode}"
        if ledger.get(told) is not None and (conn.id, kind) not in ledger:
            alerts.append(Alert(conn.id, kind, Notice("health_recovered", Audience.CHANNEL, facts)))
    return alerts


# --- checklist nudges ------------------------------------------------------------------------------


def _nudges(
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
