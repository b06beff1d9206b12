"""Automatic client-secret rotation: what a rotation-queue notification means, and its effect.

Amazon sends two notifications to the app's SQS queue (Amazon's examples are copied in
``tests/fakes/amazon_models/lwa-rotation-notifications.md``):

- ``APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY``: every connection on that client id takes Amazon's expiry time
  (the typed "created on" date was a guess), so the reminders follow it; when a connection on it has
  auto-rotation on and the expiry is within ROTATE_BEFORE_DAYS, the rotation is requested (a durable job,
  once per expiry time).
- ``APPLICATION_OAUTH_CLIENT_NEW_SECRET``: the new secret is verified with each connection's refresh token
  (LWA + SP-API, as a manual rotation); a verified one is stored encrypted as a new generation (the
  reminders start again), its expiry Amazon's; each such connection is announced once. A secret that Amazon
  refuses changes nothing stored and raises one alert per connection. When Amazon could not be asked (an
  outage), nothing is stored and the message stays on the queue to come back.

The notification id is recorded in the same transaction as the effect: a redelivered message changes nothing
and posts nothing. Results are meanings (``Handled``), never words; nothing here logs a message body or a
secret.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlmodel import Session

from bot.amazon.verdicts import REFUSED, Verdict, VerdictKind, explain
from bot.flows.autorotate_notices import AutoRotated, AutoRotationUnverified
from bot.flows.credentials import stored_credentials
from bot.flows.lifecycle_notices import AboutConnection
from bot.flows.ports import Audience, Notice
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message
from bot.redaction import mask
from bot.services import Services
from storage import repo
from storage.crypto import DecryptionError
from storage.models import Connection
from storage.repo import autorotate as store

log = logging.getLogger(__name__)

SECRET_EXPIRY = "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"
NEW_SECRET = "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
MAX_ID = 200  # longest notificationId / clientId kept (Amazon's are UUIDs and amzn1.application-oa2-client.…)


class Malformed(ValueError):
    """The message is not a rotation notification we can read; ``reason`` names what is wrong, never a value."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SecretExpiry:
    notification_id: str
    client_id: str
    expires_at: datetime
    reason: str
    event_time: datetime | None = None  # when Amazon produced it (eventTime), if it says


@dataclass(frozen=True)
class NewSecret:
    notification_id: str
    client_id: str
    new_secret: str = field(repr=False)
    new_expires_at: datetime
    old_expires_at: datetime

    def __repr__(self) -> str:
        return (f"NewSecret(notification_id={self.notification_id!r}, client_id={self.client_id!r}, "
                f"new_secret={mask(self.new_secret)!r}, new_expires_at={self.new_expires_at!r})")

    __str__ = __repr__


Notification = SecretExpiry | NewSecret


class Disposition(StrEnum):
    applied = "applied"  # the effect is committed
    duplicate = "duplicate"  # handled before (a redelivery): nothing changed
    unknown_client = "unknown_client"  # no live connection uses the client id
    malformed = "malformed"  # not a notification we can read
    retry_later = "retry_later"  # Amazon could not be asked: nothing changed, the message comes back


@dataclass(frozen=True)
class Handled:
    disposition: Disposition
    kind: str = ""
    connections: int = 0  # connections changed
    rotation_requested: bool = False
    unverified: int = 0

    @property
    def delete(self) -> bool:
        """Remove the message from the queue: everything but ``retry_later``."""
        return self.disposition is not Disposition.retry_later


# (session, connection, reason, now) -> queue the rotation request in that session, once per reason
# (bot.jobs.rotation_queue.request_rotation)
RequestRotation = Callable[[Session, Connection, str, datetime], bool]
# queue an Announcement in the session (the caller commits); bot.jobs.rotation_queue.announce
Announce = Callable[[Session, "Announcement", datetime], None]


def _text(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > 4096:
        raise Malformed(f"{where}.{key} is missing or not a string")
    return value.strip()


def _time(obj: dict[str, Any], key: str, where: str) -> datetime:
    raw = _text(obj, key, where)
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise Malformed(f"{where}.{key} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise Malformed(f"{where}.{key} has no time zone")
    return when.astimezone(UTC)


def _short(value: str, what: str) -> str:
    if len(value) > MAX_ID or not value.isprintable():
        raise Malformed(f"{what} is not a plausible id")
    return value


def parse_notification(body: str) -> Notification:
    """The notification in an SQS message body, or ``Malformed``."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError):
        raise Malformed("the body is not JSON") from None
    if not isinstance(doc, dict):
        raise Malformed("the body is not a JSON object")
    kind = doc.get("notificationType")
    meta, payload = doc.get("notificationMetadata"), doc.get("payload")
    if not isinstance(meta, dict) or not isinstance(payload, dict):
        raise Malformed("notificationMetadata or payload is missing")
    notification_id = _short(_text(meta, "notificationId", "notificationMetadata"), "notificationId")
    if kind == SECRET_EXPIRY:
        inner = payload.get("applicationOAuthClientSecretExpiry")
        if not isinstance(inner, dict):
            raise Malformed("payload.applicationOAuthClientSecretExpiry is missing")
        where = "applicationOAuthClientSecretExpiry"
        event_time = _time(doc, "eventTime", "notification") if isinstance(doc.get("eventTime"), str) else None
        return SecretExpiry(notification_id, _short(_text(inner, "clientId", where), "clientId"),
                            _time(inner, "clientSecretExpiryTime", where),
                            str(inner.get("clientSecretExpiryReason") or "")[:40], event_time)
    if kind == NEW_SECRET:
        inner = payload.get("applicationOAuthClientNewSecret")
        if not isinstance(inner, dict):
            raise Malformed("payload.applicationOAuthClientNewSecret is missing")
        where = "applicationOAuthClientNewSecret"
        return NewSecret(notification_id, _short(_text(inner, "clientId", where), "clientId"),
                         _text(inner, "newClientSecret", where), _time(inner, "newClientSecretExpiryTime", where),
                         _time(inner, "oldClientSecretExpiryTime", where))
    raise Malformed("notificationType is not one of the two rotation notifications")


def handle_message(services: Services, body: str, now: datetime, request_rotation: RequestRotation,
                   announce: Announce) -> Handled:
    """The effect of one queue message; never raises for a bad message (``Handled(malformed)``)."""
    try:
        note = parse_notification(body)
    except Malformed as exc:
        log.warning("rotation queue: a message that is not a rotation notification was removed (%s)", exc.reason)
        return Handled(Disposition.malformed)
    if isinstance(note, SecretExpiry):
        return on_secret_expiry(services, note, now, request_rotation)
    return on_new_secret(services, note, now, announce)


def on_secret_expiry(services: Services, note: SecretExpiry, now: datetime,
                     request_rotation: RequestRotation) -> Handled:
    expires_on = note.expires_at.date()
    due = note.expires_at - now <= timedelta(days=services.settings.rotate_before_days)
    with services.db.session(write=True) as session:
        conns = store.connections_for_client(session, note.client_id)
        if not conns:
            log.warning("rotation queue: secret-expiry notification %s names a client id no connection uses; removed",
                        note.notification_id)
            return Handled(Disposition.unknown_client, SECRET_EXPIRY)
        if not store.record_processed(session, note.notification_id, SECRET_EXPIRY, note.client_id, now):
            session.rollback()
            return Handled(Disposition.duplicate, SECRET_EXPIRY)
        if note.event_time is not None and store.new_secret_since(session, note.client_id, note.event_time):
            # Produced before a new secret the bot already stored (a late delivery): it is about the old one.
            session.commit()
            log.info("rotation queue: expiry notification %s predates the new secret; nothing changed",
                     note.notification_id)
            return Handled(Disposition.applied, SECRET_EXPIRY)
        changed = sum(store.set_amazon_expiry(session, c, expires_on, now) for c in conns)
        requested = False
        wanting = [c for c in conns if c.autorotate]
        if wanting and due:
            requested = request_rotation(session, wanting[0], note.expires_at.isoformat(), now)
        session.commit()
    log.info("rotation queue: client id %s expires %s (%d connection(s) updated%s)", note.client_id,
             expires_on.isoformat(), changed, ", rotation requested" if requested else "")
    return Handled(Disposition.applied, SECRET_EXPIRY, changed, requested)


@dataclass(frozen=True)
class _Candidate:
    connection_id: int
    summary: ConnectionSummary
    creds: Any = field(repr=False)


def _candidates(services: Services, session: Session, note: NewSecret) -> list[_Candidate]:
    found = []
    for conn in store.connections_for_client(session, note.client_id):
        assert conn.id is not None
        try:
            secrets = repo.load_secrets(session, services.crypto, conn)
        except DecryptionError as exc:
            log.warning("rotation queue: connection %s cannot be read (%s); it keeps its secret", conn.id,
                        type(exc).__name__)
            continue
        creds = stored_credentials(conn, client_secret=note.new_secret, refresh_token=secrets.refresh_token)
        found.append(_Candidate(conn.id, ConnectionSummary.of(conn), creds))
    return found


def on_new_secret(services: Services, note: NewSecret, now: datetime, announce: Announce) -> Handled:
    with services.db.session() as session:
        if store.is_processed(session, note.notification_id):
            return Handled(Disposition.duplicate, NEW_SECRET)
        candidates = _candidates(services, session, note)
        session.rollback()  # hold no transaction while Amazon answers
    if not candidates:
        log.warning("rotation queue: new-secret notification %s names a client id no connection uses; removed",
                    note.notification_id)
        return Handled(Disposition.unknown_client, NEW_SECRET)
    verdicts: dict[int, Verdict] = {c.connection_id: services.amazon.verify(c.creds) for c in candidates}
    unsure = [cid for cid, v in verdicts.items() if not v.ok and v.kind not in REFUSED]
    if unsure:
        log.warning("rotation queue: the new secret of client id %s could not be checked (%s); the message "
                    "comes back later", note.client_id, ", ".join(sorted({verdicts[c].kind.value for c in unsure})))
        return Handled(Disposition.retry_later, NEW_SECRET)
    stored = refused = 0
    interval = timedelta(hours=services.settings.health_check_hours)
    with services.db.session(write=True) as session:
        if not store.record_processed(session, note.notification_id, NEW_SECRET, note.client_id, now):
            session.rollback()
            return Handled(Disposition.duplicate, NEW_SECRET)
        for c in candidates:
            conn = repo.get_connection_by_id(session, c.connection_id)
            if conn is None or conn.status == "disconnected" or conn.client_id != note.client_id:
                continue
            verdict = verdicts[c.connection_id]
            if verdict.ok:
                if store.store_rotated_secret(session, services.crypto, conn, note.new_secret,
                                              note.new_expires_at.date(), now, interval):
                    announce(session, Announcement(note.notification_id, c.connection_id, note.old_expires_at), now)
                    stored += 1
            else:
                log.warning("rotation queue: Amazon refused the new secret with connection %s (%s); nothing stored",
                            c.connection_id, verdict.kind.value)
                announce(session, Announcement(note.notification_id, c.connection_id, note.old_expires_at,
                                               refused=verdict.kind.value), now)
                refused += 1
        session.commit()  # the effect, the notification id and the announcements: all or nothing
    log.info("rotation queue: new secret of client id %s stored for %d connection(s), refused for %d",
             note.client_id, stored, refused)
    return Handled(Disposition.applied, NEW_SECRET, stored, unverified=refused)


@dataclass(frozen=True)
class Announcement:
    """What the team channel is told about one connection after a new secret (no secret in it): queued in
    the transaction that stores the effect, posted by a worker (``bot.jobs.autorotate``), so neither a crash
    after the commit nor a Slack outage loses it, and a redelivered notification adds none."""

    notification_id: str
    connection_id: int
    old_works_until: datetime
    refused: str | None = None  # the verdict kind when Amazon refused the new secret

    def to_payload(self) -> dict[str, Any]:
        return {"notification_id": self.notification_id, "connection_id": self.connection_id,
                "old_works_until": self.old_works_until.isoformat(), "refused": self.refused}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Announcement | None:
        try:
            return cls(str(payload["notification_id"]), int(payload["connection_id"]),
                       datetime.fromisoformat(str(payload["old_works_until"])),
                       str(payload["refused"]) if payload.get("refused") else None)
        except (KeyError, TypeError, ValueError):
            return None

    def notice(self, summary: ConnectionSummary) -> Notice:
        """The channel post, from the connection as it is now."""
        if self.refused is None:
            return Notice.of(Audience.CHANNEL, AutoRotated(**AboutConnection.facts(summary),
                                                           old_works_until=self.old_works_until))
        try:
            verdict = Verdict(VerdictKind(self.refused))
        except ValueError:
            verdict = Verdict(VerdictKind.unexpected)
        cause, _ = explain(verdict)
        next_step = Message("lifecycle.autorotate.unverified.next", name=summary.name)
        return Notice.of(Audience.CHANNEL, AutoRotationUnverified(
            **AboutConnection.facts(summary), cause=cause, next_step=next_step, old_works_until=self.old_works_until))


