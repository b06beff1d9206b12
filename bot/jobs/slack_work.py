"""Slack work after the ack, as durable jobs (``slack_work``): the web tier acks and queues, a worker works.

Every listener whose work is more than the ack (a Slack Web API call, the database beyond a quick read,
Amazon) hands that work to a worker through this module:

- **Web tier.** ``defer(services, name)`` is a Bolt listener that acks at once and queues one
  ``slack_work`` job naming the registered work ``name`` (``enqueue_work``). Slack's request body
  travels in the job's encrypted ``secret_blob`` (it can hold what people typed: a new client secret in a
  view's state, a leaked token in a message, a response_url), never in its payload; the payload holds
  the work's name, who sent it (``user_id``, ``team_id``), their language when the web tier knows it
  without asking Slack (``locale``; else the worker works it out) and any small non-secret ``extra``.
  The dedupe key is Slack's own id for the request (the command's ``trigger_id``, the click's
  ``action_ts``, the view's id and hash, the event's ``event_id``): Slack retrying a request, or a person
  double-clicking the same click, is one job.
- **Worker.** ``slack_work`` rebuilds what a listener had: the body, an ``Actor`` (its Web API client is
  the worker's, its language the payload's), a ``respond`` on the body's response_url (Slack's own only,
  else the Web API: ``bot.response_url.GuardedRespond``) and calls the work: ``fn(services, SlackJob)``.
- **Once.** A job may run twice (its worker died after the work and before recording it). Each
  ``respond`` of a job is claimed before it is sent (``slack:<job id>:respond:<n>``; released when the
  send fails so the retry sends it), so a rerun answers once; other sends claim ``SlackJob.once(what)``
  first (the checklist DM does). Channel posts and DMs made by the flows are claimed by the flows.
- **Failure.** An exception is a retry (up to ``MAX_ATTEMPTS`` tries, with the queue's backoff); a job
  that still fails DMs the person ``general.job_failed`` (``JobProblem``): what happened and what to do.
  A Slack error that another try cannot fix (``message_not_found``, ``channel_not_found`` …) gives up at
  once and DMs ``general.listener_failed``.

What stays in the web tier: calls bound to a ``trigger_id`` (``views.open``, ``views.push``, with the
quick look-up that decides which modal), and ``response_action`` answers. See the README, "Jobs and
workers", for the list.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.i18n import Message
from bot.jobs import (
    EXHAUSTED,
    JobContext,
    JobKind,
    Outcome,
    done,
    enqueue_job,
    give_up,
    handler,
    retry,
    slack_client,
)
from bot.payload import get_str
from bot.services import Services
from bot.slack_errors import slack_error
from storage import repo

if TYPE_CHECKING:
    from bot.listeners.context import Actor
    from bot.locales import Locales

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
LEASE = timedelta(seconds=30)
# Slack errors worth another try (429s, 5xx and dropped connections are already retried by the client;
# these are what is left of them); any other Slack error is final: the job gives up and says so.
TRANSIENT_SLACK_ERRORS = frozenset({"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                                    "request_timeout", "unknown_error", "team_added_to_org"})
MAX_BODY_CHARS = 400_000  # Slack's payloads are far smaller; a body past this is not queued

# name -> fn(services, job); filled by @work in the listener modules (bot.listeners.*)
Work = Callable[[Services, "SlackJob"], None]
_WORK: dict[str, Work] = {}


def work(name: str) -> Callable[[Work], Work]:
    """Register ``fn`` as the worker side of the Slack work ``name`` (one function per name)."""

    def decorator(fn: Work) -> Work:
        known = _WORK.get(name)
        if known is not None and known is not fn and known.__qualname__ != fn.__qualname__:
            raise ValueError(f"Slack work {name!r} is already registered")
        _WORK[name] = fn
        return fn

    return decorator


_IMPORTED = threading.Event()


def registered_work() -> dict[str, Work]:
    """Every registered Slack work (importing the listener modules that register it, once)."""
    if not _IMPORTED.is_set():
        import bot.listeners as package

        package.import_all()
        _IMPORTED.set()
    return _WORK


# --------------------------------------------------------------------------- the web tier


def dedupe_key_of(name: str, body: Mapping[str, Any]) -> str | None:
    """Slack's own id for this request, to queue it once however often Slack (or a double click) sends it."""
    event_id = get_str(body, "event_id")
    if event_id:
        return f"slack:{name}:event:{event_id}"
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        action_ts = actions[0].get("action_ts")
        if isinstance(action_ts, str) and action_ts:
            return f"slack:{name}:action:{get_str(body, 'user', 'id')}:{action_ts}"
    view_id, view_hash = get_str(body, "view", "id"), get_str(body, "view", "hash")
    if get_str(body, "type") == "view_submission" and view_id:
        return f"slack:{name}:view:{view_id}:{view_hash}"
    trigger_id = get_str(body, "trigger_id")
    if trigger_id:
        return f"slack:{name}:trigger:{trigger_id}"
    return None


def enqueue_work(services: Services, name: str, body: Mapping[str, Any], *, user_id: str, team_id: str,
                 locale: str | None, extra: Mapping[str, Any] | None = None,
                 dedupe_key: str | None = None) -> tuple[int, bool]:
    """Queue the Slack work ``name`` for ``body`` (committed: a worker wakes at once). Returns (job id,
    created); the same Slack request queued twice is one job."""
    if name not in _WORK:
        raise LookupError(f"no Slack work named {name!r}")
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if len(raw) > MAX_BODY_CHARS:
        raise ValueError("the Slack payload is too large to queue")
    payload = {"work": name, "user_id": user_id, "team_id": team_id, "locale": locale,
               "channel_id": get_str(body, "channel", "id") or get_str(body, "channel_id") or None,
               "extra": dict(extra or {})}
    key = dedupe_key if dedupe_key is not None else dedupe_key_of(name, body)
    job_id, created = services.db.write_together(
        lambda session: enqueue_job(session, services, JobKind.SLACK_WORK, payload, dedupe_key=key,
                                    secrets={"body": raw}))
    if not created:
        log.info("Slack work %s (%s) is already queued as job %s", name, key, job_id)
    return job_id, created


def defer(services: Services, name: str, *, extra: Callable[[dict[str, Any], Any], Mapping[str, Any]] | None = None
          ) -> Callable[..., None]:
    """A Bolt listener (``ack``, ``body``, ``context``) that acks at once and queues the work ``name``."""
    from bot.listeners.context import actor_of, after_ack

    def listener(ack: Any, body: dict[str, Any], context: Any) -> None:
        ack()
        after_ack(services.after_ack, context, body, lambda: queue_from_listener(
            services, name, body, actor_of(context), extra=extra(body, context) if extra is not None else None))

    listener.__name__ = f"defer_{name}"
    return listener


def queue_from_listener(services: Services, name: str, body: Mapping[str, Any], actor: Actor, *,
                        extra: Mapping[str, Any] | None = None) -> None:
    """Queue ``name`` for a request already acked (an error reaches the app's one error handler)."""
    enqueue_work(services, name, body, user_id=actor.user_id, team_id=actor.team_id,
                 locale=actor.known_locale(), extra=extra)


# --------------------------------------------------------------------------- the worker


@dataclass
class SlackJob:
    """What a listener had, rebuilt in the worker: Slack's body, the actor, a client, ``respond``."""

    services: Services
    job: JobContext
    body: dict[str, Any]
    client: Any
    actor: Actor
    respond: OnceRespond
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def outbox(self) -> Any:
        return self.job.outbox

    def once(self, what: str) -> _Once:
        """Claim ``what`` for this job before a send a rerun could repeat: ``with job.once("dm") as first:``
        (``first`` is False when a run of this job claimed it before; the claim is released when the
        block raises, so the retry sends it)."""
        return _Once(self.services, f"slack:{self.job.id}:{what}")


class _Once:
    def __init__(self, services: Services, key: str) -> None:
        self.services = services
        self.key = key

    def __enter__(self) -> bool:
        return claim(self.services, self.key)

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is not None:
            release(self.services, self.key)


def claim(services: Services, key: str) -> bool:
    with services.db.session(write=True) as session:
        return repo.claim_idempotency_key(session, key, services.clock())


def release(services: Services, key: str) -> None:
    with services.db.session(write=True) as session:
        repo.release_idempotency_key(session, key)


@contextmanager
def claimed(services: Services, key: str) -> Iterator[bool]:
    first = claim(services, key)
    try:
        yield first
    except BaseException:
        if first:
            release(services, key)
        raise


class OnceRespond:
    """``respond`` for a job: each answer claimed before it is sent (the n-th answer of job J is
    ``slack:J:respond:n``), so a job that runs again answers once."""

    def __init__(self, services: Services, job_id: int, respond: Any) -> None:
        self.services = services
        self.job_id = job_id
        self.inner = respond
        self._count = 0
        self._lock = threading.Lock()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            n = self._count
            self._count += 1
        with claimed(self.services, f"slack:{self.job_id}:respond:{n}") as first:
            if not first:
                log.info("job %s: answer %d was sent by an earlier run", self.job_id, n)
                return None
            return self.inner(*args, **kwargs)


_LOCALES: dict[int, Locales] = {}
_LOCALES_LOCK = threading.Lock()


def _locales(services: Services, job: JobContext, client: Any) -> Locales:
    """The worker's one record of who reads which language (Slack locales cached across jobs): its
    outbox's (``bot.app.build_outbox``), else one kept here."""
    from bot.locales import Locales

    book = getattr(getattr(job.outbox, "locale_of", None), "__self__", None)
    if isinstance(book, Locales):
        return book
    with _LOCALES_LOCK:
        book = _LOCALES.get(id(services.db))
        if book is None:
            book = _LOCALES[id(services.db)] = Locales(services.db, client)
        return book


def rebuild(services: Services, job: JobContext, body: dict[str, Any]) -> SlackJob:
    from bot.listeners.context import Actor
    from bot.response_url import GuardedRespond, ResponseUrlPolicy

    p = job.payload
    client = slack_client(job, services)
    locale = p.get("locale")
    actor = Actor(user_id=str(p.get("user_id") or ""), team_id=str(p.get("team_id") or ""), client=client,
                  admin_user_ids=services.settings.admin_user_ids, locale=locale if isinstance(locale, str) else None,
                  locales=_locales(services, job, client))
    url = get_str(body, "response_url")
    if not url:
        urls = body.get("response_urls")
        if isinstance(urls, list) and urls and isinstance(urls[0], dict):
            url = str(urls[0].get("response_url") or "")
    policy = ResponseUrlPolicy(services.settings.slack_api_url)
    channel = p.get("channel_id")
    respond = GuardedRespond(response_url=url if url and policy.allows(url) else None, client=client,
                             user_id=actor.user_id or None, channel_id=channel if isinstance(channel, str) else None)
    extra = p.get("extra")
    return SlackJob(services=services, job=job, body=body, client=client, actor=actor,
                    respond=OnceRespond(services, job.id, respond),
                    extra=dict(extra) if isinstance(extra, dict) else {})


@handler(JobKind.SLACK_WORK, max_attempts=MAX_ATTEMPTS, lease=LEASE)
def slack_work(services: Services, job: JobContext) -> Outcome:
    name = str(job.payload.get("work") or "")
    fn = registered_work().get(name)
    if fn is None:
        log.error("job %s: no Slack work named %r (a newer bot queued it?)", job.id, name)
        return done()
    secrets = job.secrets()
    if secrets is None or "body" not in secrets:  # past its 15 minutes: Slack's request is gone
        log.warning("job %s (%s): Slack's request is gone (queued over 15 minutes ago)", job.id, name)
        return give_up(EXHAUSTED, kind="expired")  # the person is told it was not done, and to try again
    try:
        body = json.loads(secrets["body"])
    except ValueError:
        log.error("job %s (%s): the queued Slack payload is not JSON", job.id, name)
        return done()
    try:
        fn(services, rebuild(services, job, body if isinstance(body, dict) else {}))
    except SlackApiError as exc:
        error = slack_error(exc)
        if error in TRANSIENT_SLACK_ERRORS:
            return retry(f"slack:{error}"[:40])
        # Slack refused the call itself (a message or view gone, a channel the bot cannot post in): trying
        # again would be refused again.
        log.warning("job %s (%s): Slack answered %s; giving up", job.id, name, error)
        return give_up(Message("general.listener_failed"), kind=f"slack:{error}"[:40])
    return done()
