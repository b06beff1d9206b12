"""Health checks: each due connection's stored credentials verified with Amazon, its status and the
alerts it calls for (failing, in the channel and to the owner; recovered) recorded and posted."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlmodel import Session

from bot.amazon.client import AmazonClient, Credentials
from bot.amazon.verdicts import Verdict, VerdictKind
from bot.flows.credentials import stored_credentials
from bot.flows.lifecycle_notices import AboutConnection
from bot.flows.ports import Audience, Notice, Outbox
from bot.flows.problems import Problem, explain_problem
from bot.flows.summary import ConnectionSummary
from bot.flows.sweep import batches
from bot.flows.sweep.batches import ACTIVE_STATUSES, Network, Posted, chunks, pipelined, post, raise_first_error
from bot.flows.sweep.report import SweepReport
from bot.redaction import redact
from bot.services import Services
from storage import repo
from storage.crypto import DecryptionError
from storage.models import Connection

log = logging.getLogger(__name__)

HEALTH_BATCH = 500
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


def next_check_at(connection_id: int, now: datetime, hours: int) -> datetime:
    """``now + hours``, spread by a deterministic per-connection jitter so checks do not bunch up."""
    return repo.schedule_next_health_check(connection_id, now, timedelta(hours=hours))


@dataclass(frozen=True)
class CheckResult:
    """What one check found: ``ok``, ``failing``, ``transient`` (each with Amazon's ``verdict``), or
    ``skipped`` (the secrets could not be decrypted: the connection is left as it was, no verdict)."""

    state: str
    verdict: Verdict | None = None

    @property
    def problem(self) -> Problem | None:
        """The failed verification as a problem (``failing`` and ``transient``)."""
        return Problem.of(self.verdict) if self.verdict is not None and not self.verdict.ok else None


# --- the notices ---------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class HealthRecovered(AboutConnection):
    """A failing connection works again (team channel). Facts only: the views say it."""

    KIND: ClassVar[str] = "health_recovered"


@dataclass(frozen=True, kw_only=True)
class HealthFailing(HealthRecovered):
    """A connection stopped working (team channel): the connection's facts and what went wrong."""

    KIND: ClassVar[str] = "health_failing"
    problem: Problem | None = None


@dataclass(frozen=True, kw_only=True)
class HealthFailingDm(HealthFailing):
    """The same, to the connection's owner."""

    KIND: ClassVar[str] = "health_failing_dm"


@dataclass(frozen=True)
class Probe:
    """One claimed connection about to be checked: what it was when its secrets were read."""

    connection_id: int
    generation: int
    refresh_fp: str | None
    creds: Credentials | None  # None when the secrets could not be decrypted
    outcome: CheckResult | None  # known without asking Amazon (decryption failed)


@dataclass
class Alert:
    """A health message one connection's state calls for, claimed in the ledger before posting."""

    connection_id: int
    kind: str
    notice: Notice
    ledger_id: int = 0


def run_health_checks(
    services: Services, outbox: Outbox, now: datetime, who: str, report: SweepReport, network: Network
) -> None:
    hours = services.settings.health_check_hours
    with services.db.session() as session:
        due = repo.due_health_check_ids(session, now, HEALTH_BATCH)
    pipelined(
        chunks(due, batches.CLAIM_BATCH),
        lambda batch: _start_checks(services, batch, now, hours, report, network),
        lambda started: _finish_checks(services, outbox, started, now, who, report, network),
    )


@dataclass
class _ChecksUnderWay:
    probes: list[Probe]
    outcomes: Callable[[], list[CheckResult]]


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
        probes, network.start(lambda p: _check(amazon, p), probes))


def _check(amazon: AmazonClient, probe: Probe) -> CheckResult:
    """The outcome already known (decryption failed), else what Amazon says of the credentials."""
    if probe.outcome is not None:
        return probe.outcome
    assert probe.creds is not None  # _prepare gives every probe either credentials or an outcome
    return _result_of(amazon.verify(probe.creds))


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
    raise_first_error(errors)


def _post_in_order(outbox: Outbox, group: Sequence[Alert]) -> list[Posted]:
    """Post a connection's alerts in order; after one that did not go out, the rest are not tried."""
    results: list[Posted] = []
    for alert in group:
        if results and not results[-1].sent:
            results.append(Posted())
            continue
        results.append(post(outbox, alert.notice))
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
        return Probe(conn.id, generation, refresh_fp, None, CheckResult(state="skipped"))
    creds = stored_credentials(conn, client_secret=secrets.client_secret, refresh_token=secrets.refresh_token)
    return Probe(conn.id, generation, refresh_fp, creds, None)


def _result_of(verdict: Verdict) -> CheckResult:
    if verdict.ok:
        return CheckResult(state="ok", verdict=verdict)
    return CheckResult(state="failing" if verdict.kind in FAILING_VERDICTS else "transient", verdict=verdict)


def _record(
    session: Session, probes: Sequence[Probe], outcomes: Sequence[CheckResult], now: datetime, who: str,
    report: SweepReport,
) -> list[Alert]:
    """Apply the batch's outcomes to the connections, then claim (committed) the alerts they call for."""
    conns = repo.connections_by_ids(session, [p.connection_id for p in probes])
    checked: list[tuple[Connection, CheckResult]] = []
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


def _apply(session: Session, conn: Connection, outcome: CheckResult, now: datetime, report: SweepReport) -> None:
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
            conn.last_problem_kind = conn.last_problem_params = None
            repo.add_audit(session, team_id=conn.team_id, actor="system", action="health_recovered",
                           connection=conn, detail=None, now=now)
            report.health_recovered += 1
        conn.updated_at = now
        session.add(conn)
    elif outcome.state == "transient":
        report.health_transient += 1
        conn.transient_failures = (conn.transient_failures or 0) + 1
        if conn.transient_failures >= TRANSIENT_LIMIT and conn.status != "failing" and outcome.verdict is not None:
            # The last answer goes with it: its cause names Amazon's request id when there is one.
            _mark_failing(session, conn, Problem.transient_limit(TRANSIENT_LIMIT, outcome.verdict), now, report)
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
        problem = outcome.problem
        assert problem is not None  # a failing outcome carries Amazon's verdict
        if conn.status != "failing":
            _mark_failing(session, conn, problem, now, report)
        else:
            conn.last_problem_kind, conn.last_problem_params = problem.columns()
            conn.updated_at = now
            session.add(conn)


def _mark_failing(session: Session, conn: Connection, problem: Problem, now: datetime, report: SweepReport) -> None:
    conn.status = "failing"
    conn.last_problem_kind, conn.last_problem_params = problem.columns()
    conn.updated_at = now
    session.add(conn)
    meaning = explain_problem(problem)
    # The audit detail is the cause as a stored meaning (Message JSON): the audit view says it in the reader's words.
    repo.add_audit(session, team_id=conn.team_id, actor="system", action="health_failing", connection=conn,
                   detail=meaning[0].to_json() if meaning is not None else None, now=now)
    report.health_failing += 1


def _alerts_due(session: Session, checked: Sequence[tuple[Connection, CheckResult]]) -> list[Alert]:
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
        summary = ConnectionSummary.of(conn)
        facts = AboutConnection.facts(summary)
        if conn.status == "failing":
            # What this check found when it failed, else what was stored when the connection started failing.
            problem = (outcome.problem if outcome.state == "failing" else None) or summary.last_problem
            for kind, notice in (
                (f"health_failing:{episode}", Notice.of(Audience.CHANNEL, HealthFailing(**facts, problem=problem))),
                (f"health_failing_dm:{episode}",
                 Notice.of(Audience.DM, HealthFailingDm(**facts, problem=problem), user_id=conn.created_by)),
            ):
                if (conn.id, kind) not in ledger:
                    alerts.append(Alert(conn.id, kind, notice))
            continue
        told = (conn.id, f"health_failing:{episode}")
        kind = f"health_recovered:{episode}"
        if ledger.get(told) is not None and (conn.id, kind) not in ledger:
            alerts.append(Alert(conn.id, kind, Notice.of(Audience.CHANNEL, HealthRecovered(**facts))))
    return alerts
