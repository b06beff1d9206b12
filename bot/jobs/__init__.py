"""Work after Slack's ack, done by worker processes: the handler registry and what handlers return.

A handler is a function of (services, job context) registered for one job kind::

    @handler(JobKind.SWEEP, max_attempts=2, lease=timedelta(seconds=60))
    def sweep(services: Services, job: JobContext) -> Outcome:
        ...
        return done()            # or retry("amazon_timeout") / give_up(Message("..."))

- ``done()``: finished; the job's secrets are erased.
- ``retry(kind)``: a transient failure (``kind`` is a short code, never text with secrets): queued again
  with exponential backoff; after ``max_attempts`` tries the job is dead and the person is told
  ``exhausted`` (a ``Message``).
- ``give_up(message)``: it cannot succeed; the job ends now and the person is told ``message``.

A handler may run twice for one job (a worker can die after the work and before recording it), so it
must be idempotent: claim its effects (an idempotency key, the reminder ledger) before making them.
An exception from a handler counts as ``retry("error:<ExceptionType>")``.

"Telling the person" is ``tell`` (default: a DM with the message to ``payload["user_id"]``, when the
payload names one). ``enqueue_job`` queues a job of a registered kind with its ``max_attempts``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from bot.flows.ports import Audience, Notice, Outbox, Payload
from bot.i18n import Message
from storage import repo
from storage.repo import ClaimedJob

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.services import Services


class JobKind(StrEnum):
    SWEEP = "sweep"  # one pass of bot.flows.sweep (reminders, health checks, nudges)
    VERIFY_SUBMISSION = "verify_submission"  # a credential submission: verify, save, announce (bot.jobs.verify)
    SLACK_WORK = "slack_work"  # a listener's work after the ack (bot.jobs.slack_work)
    ROTATE_CLIENT_SECRET = "rotate_client_secret"  # ask Amazon to rotate an app's secret (bot.jobs.autorotate)
    ANNOUNCE_AUTOROTATION = "announce_autorotation"  # a new secret's outcome, to the team channel (bot.jobs.autorotate)


@dataclass(frozen=True)
class Done:
    pass


@dataclass(frozen=True)
class Retry:
    kind: str  # a short code such as "amazon_timeout", stored as last_error_kind


@dataclass(frozen=True)
class GiveUp:
    message: Message
    kind: str = "gave_up"


Outcome = Done | Retry | GiveUp


def done() -> Done:
    return Done()


def retry(kind: str) -> Retry:
    return Retry(kind)


def give_up(message: Message, kind: str = "gave_up") -> GiveUp:
    return GiveUp(message, kind)


@dataclass(frozen=True)
class JobProblem(Payload):
    """A DM telling a person that work the bot did for them stopped, and what to do."""

    KIND: ClassVar[str] = "job_problem"
    message: Message


@dataclass
class JobContext:
    """What a handler knows about its job. ``secrets()`` decrypts the job's secrets (None when it has none,
    or they were erased: past their 15 minutes, or the job ended)."""

    job: ClaimedJob
    outbox: Outbox
    worker_id: str
    now: datetime
    lease_lost: threading.Event = field(default_factory=threading.Event)
    _secrets: Callable[[], dict[str, str] | None] = field(default=lambda: None, repr=False)

    @property
    def id(self) -> int:
        return self.job.id

    @property
    def kind(self) -> str:
        return self.job.kind

    @property
    def payload(self) -> dict[str, Any]:
        return self.job.payload

    @property
    def attempt(self) -> int:
        """1 on the first try."""
        return self.job.attempts

    @property
    def user_id(self) -> str | None:
        user = self.job.payload.get("user_id")
        return user if isinstance(user, str) and user else None

    def secrets(self) -> dict[str, str] | None:
        return self._secrets()


Handler = Callable[["Services", JobContext], Outcome]
Teller = Callable[["Services", JobContext, Message], None]

DEFAULT_LEASE = timedelta(seconds=30)
DEFAULT_MAX_ATTEMPTS = 5
EXHAUSTED = Message("general.job_failed")


def dm_the_user(services: Services, job: JobContext, message: Message) -> None:
    """The default ``tell``: a DM to the job's ``user_id`` (nothing when the job names nobody)."""
    if job.user_id:
        job.outbox.send(Notice.of(Audience.DM, JobProblem(message=message), user_id=job.user_id))


@dataclass(frozen=True)
class HandlerSpec:
    kind: str
    run: Handler
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    lease: timedelta = DEFAULT_LEASE
    exhausted: Message = EXHAUSTED
    tell: Teller = dm_the_user


_HANDLERS: dict[str, HandlerSpec] = {}


def handler(kind: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS, lease: timedelta = DEFAULT_LEASE,
            exhausted: Message = EXHAUSTED, tell: Teller = dm_the_user) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of ``kind`` (one per kind)."""
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def decorator(fn: Handler) -> Handler:
        known = _HANDLERS.get(kind)
        if known is not None and known.run is not fn:
            raise ValueError(f"job kind {kind!r} already has a handler")
        _HANDLERS[kind] = HandlerSpec(kind, fn, max_attempts, lease, exhausted, tell)
        return fn

    return decorator


def slack_client(job: JobContext, services: Services) -> Any:
    """The Web API client a job answers with: its outbox's (the worker's one client), else a new one."""
    client = getattr(job.outbox, "client", None)
    if client is None:
        from bot.app import build_web_client

        client = build_web_client(services.settings)
    return client


def load_handlers() -> dict[str, HandlerSpec]:
    """Every registered handler (importing the modules that register them)."""
    import bot.jobs.handlers  # noqa: F401 - registers the bot's handlers

    return dict(_HANDLERS)


def enqueue_job(
    session: Session,
    services: Services,
    kind: str,
    payload: Mapping[str, Any] | None = None,
    *,
    dedupe_key: str | None = None,
    secrets: Mapping[str, str] | None = None,
    run_after: datetime | None = None,
) -> tuple[int, bool]:
    """Queue a job of a registered ``kind`` in ``session`` (the caller commits; workers wake at commit).

    ``payload`` is JSON without secrets (name the person as ``user_id`` to have them told when it fails);
    ``secrets`` are encrypted bound to the job id. Returns (job id, created): an existing job with the same
    ``dedupe_key`` is returned unchanged."""
    spec = load_handlers().get(kind)
    if spec is None:
        raise LookupError(f"no handler for job kind {kind!r}")
    return repo.enqueue(session, kind, payload, now=services.clock(), dedupe_key=dedupe_key, secrets=secrets,
                        crypto=services.crypto, max_attempts=spec.max_attempts, run_after=run_after)
