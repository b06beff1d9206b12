"""Automatic client-secret rotation: the per-connection ``autorotate`` flag, the connections on one LWA
client id, Amazon's expiry time, a verified new secret from Amazon, and the processed notification ids that
make a redelivered queue message change nothing."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.crypto import Crypto
from storage.models import Connection, ProcessedNotification
from storage.repo._shared import LIVE_STATUSES, SYSTEM_ACTOR, _aware
from storage.repo.audit import add_audit, meaning
from storage.repo.credentials import replace_client_secret
from storage.repo.health import HEALTH_CHECK_INTERVAL

AMAZON_ACTOR = SYSTEM_ACTOR  # who changed a connection for a notification from Amazon


def connections_for_client(session: Session, client_id: str) -> list[Connection]:
    """Every live connection (any workspace) using the LWA app ``client_id``, oldest first."""
    stmt = (select(Connection)
            .where(Connection.client_id == client_id, col(Connection.status).in_(LIVE_STATUSES))
            .order_by(col(Connection.id)))
    return list(session.exec(stmt).all())


def set_autorotate(session: Session, connection: Connection, on: bool, actor: str, now: datetime) -> bool:
    """Turn automatic rotation on or off (audited); False, and nothing written, when it already was so."""
    now = _aware(now)
    if connection.autorotate == on:
        return False
    connection.autorotate = on
    connection.updated_at = now
    session.add(connection)
    add_audit(session, team_id=connection.team_id, actor=actor, action="autorotate_on" if on else "autorotate_off",
              connection=connection, detail=None, now=now)
    return True


def is_processed(session: Session, notification_id: str) -> bool:
    return session.get(ProcessedNotification, notification_id) is not None


def record_processed(session: Session, notification_id: str, kind: str, client_id: str, now: datetime) -> bool:
    """Record the notification as handled in the caller's transaction (a savepoint); False when it was
    recorded before (a redelivery, or another worker handled it meanwhile): the caller then changes nothing."""
    try:
        with session.begin_nested():
            session.add(ProcessedNotification(notification_id=notification_id, kind=kind, client_id=client_id,
                                              processed_at=_aware(now)))
    except IntegrityError:
        return False
    return True


def new_secret_since(session: Session, client_id: str, since: datetime) -> bool:
    """Did the bot store a new secret Amazon sent for ``client_id`` after ``since``?"""
    stmt = (select(ProcessedNotification.notification_id)
            .where(ProcessedNotification.client_id == client_id,
                   ProcessedNotification.kind == "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
                   col(ProcessedNotification.processed_at) > _aware(since))
            .limit(1))
    return session.exec(stmt).first() is not None


def set_amazon_expiry(session: Session, connection: Connection, expires_on: date, now: datetime) -> bool:
    """Amazon says when the client secret expires: the typed "created on" date was a guess. The reminders
    follow ``secret_expires_on``. False when it already said so."""
    now = _aware(now)
    if connection.secret_expires_on == expires_on:
        return False
    before = connection.secret_expires_on
    connection.secret_expires_on = expires_on
    connection.updated_at = now
    session.add(connection)
    add_audit(session, team_id=connection.team_id, actor=AMAZON_ACTOR, action="secret_expiry_from_amazon",
              connection=connection, detail=meaning("lifecycle.autorotate.audit.detail.expiry", before=before,
                                                    expires=expires_on), now=now)
    return True


def store_rotated_secret(
    session: Session, crypto: Crypto, connection: Connection, new_secret: str, expires_on: date, now: datetime,
    health_check_interval: timedelta = HEALTH_CHECK_INTERVAL,
) -> bool:
    """Store a verified new client secret Amazon rotated: a new generation (the reminders start again), the
    expiry Amazon gave. False, and only the expiry set, when the connection holds that secret already (a
    person pasted it with ``rotate`` first)."""
    now = _aware(now)
    if connection.client_secret_fp is not None and connection.client_secret_fp in crypto.fingerprints(new_secret):
        set_amazon_expiry(session, connection, expires_on, now)
        return False
    replace_client_secret(session, crypto, connection, new_secret, now.date(), AMAZON_ACTOR, now,
                          health_check_interval)
    connection.secret_expires_on = expires_on
    session.add(connection)
    return True


__all__ = [
    "AMAZON_ACTOR",
    "connections_for_client",
    "is_processed",
    "record_processed",
    "new_secret_since",
    "set_amazon_expiry",
    "set_autorotate",
    "store_rotated_secret",
]
