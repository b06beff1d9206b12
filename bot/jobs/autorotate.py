"""The rotation request as a durable job (``rotate_client_secret``): ask Amazon's Application Management API
to rotate an app's client secret (``bot.flows.autorotate_request.ask_amazon``).

- Accepted: done; the new secret arrives on the rotation queue (``bot.jobs.rotation_queue``).
- 429 (about one call a minute is allowed): the same request is queued again after the limit
  (``RATE_LIMIT_WAIT``), up to ``RATE_LIMIT_TRIES`` times; no second rotation is ever asked by a retry.
- Amazon did not answer: retried with backoff; after the last try, one channel alert.
- Refused (not enrolled, the stored secret refused, the call not allowed): one channel alert with the next
  step, and a DM to the person who clicked "Rotate now via Amazon".
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.amazon import application
from bot.amazon.application import RotationOutcome
from bot.flows import autorotate_request as flow
from bot.flows.autorotate_notices import RotationRequestFailed
from bot.flows.lifecycle_notices import AboutConnection
from bot.flows.ports import Audience, DeliveryError, Notice
from bot.i18n import Message
from bot.jobs import JobContext, JobKind, JobProblem, Outcome, done, give_up, handler, retry
from bot.jobs.rotation_queue import ANNOUNCE_MAX_ATTEMPTS
from bot.services import Services
from storage import repo

log = logging.getLogger(__name__)

ROTATION_MAX_ATTEMPTS = 5
RATE_LIMIT_TRIES = 10
EXHAUSTED = Message("lifecycle.autorotate.request.unavailable", name="", request="-")


def tell(services: Services, job: JobContext, message: Message) -> None:
    """A rotation request that stopped: one alert in the team channel (and a DM to who clicked)."""
    connection_id = job.payload.get("connection_id")
    summary = None
    if isinstance(connection_id, int):
        with services.db.session() as session:
            conn = repo.get_connection_by_id(session, connection_id)
            if conn is not None:
                from bot.flows.summary import ConnectionSummary

                summary = ConnectionSummary.of(conn)
    if summary is not None:
        if message.key == EXHAUSTED.key:
            message = Message(EXHAUSTED.key, name=summary.name, request="-")
        job.outbox.send(Notice.of(Audience.CHANNEL, RotationRequestFailed(**AboutConnection.facts(summary),
                                                                          cause=message)))
    if job.user_id:
        job.outbox.send(Notice.of(Audience.DM, JobProblem(message=message), user_id=job.user_id))


@handler(JobKind.ROTATE_CLIENT_SECRET, max_attempts=ROTATION_MAX_ATTEMPTS, lease=timedelta(seconds=90),
         exhausted=EXHAUSTED, tell=tell)
def rotate_client_secret(services: Services, job: JobContext) -> Outcome:
    p = job.payload
    connection_id, client_id = p.get("connection_id"), p.get("client_id")
    if not isinstance(connection_id, int) or not isinstance(client_id, str):
        log.warning("rotation job %s has no connection; dropped", job.id)
        return done()
    asked = flow.ask_amazon(services, connection_id, client_id, services.clock())
    result = asked.result
    if result is None or result.ok:
        return done()
    name = asked.summary.name if asked.summary is not None else ""
    if result.outcome is RotationOutcome.rate_limited:
        tries = int(p.get("rate_limited") or 0) + 1
        if tries >= RATE_LIMIT_TRIES:
            return give_up(flow.cause_of(result, name), "rate_limited")
        wait = timedelta(seconds=application.RATE_LIMIT_WAIT)
        log.info("rotation job %s: Amazon's rate limit (429); asking again in %.0fs", job.id, wait.total_seconds())
        with services.db.session(write=True) as session:
            repo.enqueue(session, JobKind.ROTATE_CLIENT_SECRET, {**p, "rate_limited": tries}, now=services.clock(),
                         dedupe_key=f"rotate:{client_id}:{p.get('reason', '')}:429:{tries}",
                         max_attempts=ROTATION_MAX_ATTEMPTS, run_after=services.clock() + wait)
            session.commit()
        return done()
    if result.outcome is RotationOutcome.unavailable:
        return retry("amazon_unavailable")
    return give_up(flow.cause_of(result, name), result.outcome.value)


@handler(JobKind.ANNOUNCE_AUTOROTATION, max_attempts=ANNOUNCE_MAX_ATTEMPTS, lease=timedelta(seconds=60),
         tell=lambda services, job, message: None)
def announce_autorotation(services: Services, job: JobContext) -> Outcome:
    """Post a new secret's outcome for one connection to the team channel, once (the post is claimed first; a
    Slack failure releases the claim and the job is retried with backoff)."""
    from bot.flows.autorotate import Announcement
    from bot.flows.summary import ConnectionSummary
    from bot.jobs.slack_work import claimed

    announcement = Announcement.from_payload(job.payload)
    if announcement is None:
        log.warning("announcement job %s has no readable payload; dropped", job.id)
        return done()
    with services.db.session() as session:
        conn = repo.get_connection_by_id(session, announcement.connection_id)
        summary = ConnectionSummary.of(conn) if conn is not None else None
    if summary is None:
        return done()  # the connection was erased since
    try:
        with claimed(services, f"announce:{job.id}") as first:
            if first:
                job.outbox.send(announcement.notice(summary))
    except DeliveryError as exc:
        log.warning("announcement job %s: the team channel post failed (%s); it is tried again",
                    job.id, type(exc).__name__)
        return retry("slack_unavailable")
    return done()
