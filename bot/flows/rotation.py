"""Rotation (a new LWA client secret) and re-authorization (a new refresh token).

The new value is checked with Amazon together with the stored other secret before anything is
stored; then it replaces the old one in one transaction (new generation and expiry clock for a
client secret), is audited by the repository and announced in the team channel. A failed check
changes nothing stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import Session

from bot.amazon import validators
from bot.amazon.verdicts import REFUSED, explain
from bot.flows.authz import NOT_FOUND_ANY, Actor, refusal_for
from bot.flows.credentials import stored_credentials
from bot.flows.leak_guard import still_exposed
from bot.flows.lifecycle_notices import AboutConnection, ConnectionReauthorized, ConnectionRotated
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox, Payload
from bot.flows.summary import ConnectionSummary
from bot.flows.sweep import HEALTH_GENERATION
from bot.i18n import Message, User
from bot.redaction import redact
from bot.services import Services
from storage import repo
from storage.crypto import DecryptionError
from storage.models import SECRET_LIFETIME_DAYS

log = logging.getLogger(__name__)



class RenewKind(StrEnum):
    rotate = "rotate"  # new LWA client secret
    reauthorize = "reauthorize"  # new refresh token

    @property
    def field(self) -> str:
        """The action_id (and block_id) of the modal input, and the validator's field key."""
        return "client_secret" if self is RenewKind.rotate else "refresh_token"

    @property
    def what(self) -> Message:
        """The secret this path replaces, for a sentence (``lifecycle.what.<kind>``)."""
        return Message(f"lifecycle.what.{self.value}")

    @property
    def other(self) -> RenewKind:
        """The path for the other stored secret."""
        return RenewKind.reauthorize if self is RenewKind.rotate else RenewKind.rotate


def exposure_note(which: str, name: str) -> Message | None:
    """Why the connection stays exposed after this fix: the other secret was seen in Slack."""
    if which in ("client_secret", "refresh_token"):
        return Message(f"lifecycle.still_exposed.{which}", name=name)
    return None


def validate_new_value(kind: RenewKind, raw: object) -> tuple[str | None, Message | None]:
    """(cleaned value, None) or (None, one sentence naming the field; never the value)."""
    result = validators.check_client_secret(raw) if kind is RenewKind.rotate else validators.check_refresh_token(raw)
    if result.error or not result.value:
        return None, result.error or Message("general.unexpected_error")
    return result.value, None


def parse_created_on(raw: str | None, today: date) -> tuple[date | None, Message | None]:
    """The secret's creation day from the datepicker (empty means today), or why it cannot be used."""
    if not raw:
        return today, None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None, Message("lifecycle.modal.created_on_invalid")
    if value > today:
        return None, Message("lifecycle.modal.created_on_future")
    if value + timedelta(days=SECRET_LIFETIME_DAYS) <= today:
        return None, Message("lifecycle.modal.created_on_expired")
    return value, None


@dataclass(frozen=True)
class RenewResult:
    """What the person sees in the modal afterwards: a headline and, on failure, cause and next step;
    on success, ``notes`` on what stays to do (a leaked other secret)."""

    ok: bool
    headline: Message
    cause: Message | None = None
    next_step: Message | None = None
    notes: tuple[Message, ...] = ()
    announce_problem: str | None = None  # the Slack error (redacted), shown escaped
    duplicate: bool = False  # the same submission is already being handled: show nothing new


def renew(
    services: Services,
    outbox: Outbox,
    *,
    kind: RenewKind,
    team_id: str,
    connection_id: int,
    actor: Actor,
    new_value: str,
    created_on: date | None,
    now: datetime,
    lookup_error: str | None = None,
    idempotency_key: str | None = None,
) -> RenewResult:
    """Verify ``new_value`` with Amazon, then store it; nothing changes unless Amazon accepts it.

    ``idempotency_key`` (e.g. the modal's view id) makes a double submission act once, across processes;
    it is released again when the attempt fails so the person can correct and resubmit.
    """
    if idempotency_key is not None:
        with services.db.session() as session:
            if not repo.claim_idempotency_key(session, f"renew:{idempotency_key}", now):
                return RenewResult(ok=False, headline=Message("lifecycle.result.busy"), duplicate=True)
    result = _renew(services, outbox, kind=kind, team_id=team_id, connection_id=connection_id, actor=actor,
                    new_value=new_value, created_on=created_on, now=now, lookup_error=lookup_error)
    if idempotency_key is not None and not result.ok:
        with services.db.session() as session:
            repo.release_idempotency_key(session, f"renew:{idempotency_key}")
    return result


def _renew(
    services: Services,
    outbox: Outbox,
    *,
    kind: RenewKind,
    team_id: str,
    connection_id: int,
    actor: Actor,
    new_value: str,
    created_on: date | None,
    now: datetime,
    lookup_error: str | None,
) -> RenewResult:
    what = kind.what
    with services.db.session() as session:
        conn = repo.get_team_connection(session, team_id, connection_id)
        refusal = refusal_for(conn, actor, services.settings.admin_user_ids, lookup_error)
        if refusal is not None or conn is None:
            return RenewResult(ok=False, headline=refusal or Message(NOT_FOUND_ANY))
        name = conn.name
        try:
            secrets = repo.load_secrets(session, services.crypto, conn)
        except DecryptionError as exc:
            return RenewResult(ok=False, headline=Message("lifecycle.result.unreadable", other=kind.other.what,
                                                         name=name, problem=redact(exc), what=what))
        creds = stored_credentials(
            conn,
            client_secret=new_value if kind is RenewKind.rotate else secrets.client_secret,
            refresh_token=new_value if kind is RenewKind.reauthorize else secrets.refresh_token,
        )
        session.rollback()  # hold no transaction while Amazon answers

    verdict = services.amazon.verify(creds)
    if not verdict.ok:
        cause, next_step = explain(verdict)
        log.info("%s of connection %s refused by Amazon: %s", kind.value, connection_id, verdict.kind.value)
        headline = "lifecycle.result.failed" if verdict.kind in REFUSED else "lifecycle.result.unfinished"
        return RenewResult(ok=False, headline=Message(headline, what=what, name=name), cause=cause,
                           next_step=next_step)

    with services.db.session(write=True) as session:
        conn = repo.get_team_connection(session, team_id, connection_id)
        if conn is None or conn.status == "disconnected":
            return RenewResult(ok=False, headline=Message("lifecycle.result.disconnected_meanwhile", name=name))
        was_failing = conn.status == "failing"
        interval = timedelta(hours=services.settings.health_check_hours)
        if kind is RenewKind.rotate:
            repo.replace_client_secret(session, services.crypto, conn, new_value, created_on or now.date(),
                                       actor.user_id, now, interval)
        else:
            repo.replace_refresh_token(session, services.crypto, conn, new_value, actor.user_id, now, interval)
        if verdict.store_name and not conn.store_name:
            conn.store_name = verdict.store_name
        # Replacing one secret does not clear an exposure of the other one (seen in Slack by the leak guard):
        # it stays derived from the leaked fingerprints, beside the status, and the result says so.
        leaked = still_exposed(session, conn)
        notes = tuple(note for which in leaked if (note := exposure_note(which, name)))
        session.commit()
        summary = ConnectionSummary.of(conn)
        facts = AboutConnection.facts(summary)
        if was_failing:
            _recovery_told(session, connection_id, now)
    payload: Payload = (ConnectionRotated(**facts, actor=User(actor.user_id)) if kind is RenewKind.rotate
                        else ConnectionReauthorized(**facts, actor=User(actor.user_id)))
    announce_problem: str | None = None
    try:
        outbox.send(Notice.of(Audience.CHANNEL, payload))
    except DeliveryError as exc:
        announce_problem = redact(exc)
    done = (Message("lifecycle.result.rotated", name=name, expires_on=summary.secret_expires_on)
            if kind is RenewKind.rotate else Message("lifecycle.result.reauthorized", name=name))
    return RenewResult(ok=True, headline=done, notes=notes, announce_problem=announce_problem)


def _recovery_told(session: Session, connection_id: int, now: datetime) -> None:
    """The announcement of this fix tells the channel the connection works again: record the health
    episode's "recovered" message as done so the next health check does not post it a second time."""
    episode = repo.count_audit_actions(session, connection_id, "health_failing")
    kind = f"health_recovered:{episode}"
    if episode and repo.claim_reminder(session, connection_id, HEALTH_GENERATION, kind, "announced by the fix", now):
        repo.mark_reminder_sent(session, connection_id, HEALTH_GENERATION, kind, now)
