"""Asking Amazon to rotate a client secret, and who may turn automatic rotation on.

- ``ask_amazon``: with a connection's stored client secret, a grantless LWA token and the rotation call
  (``bot.amazon.application``); audited when Amazon accepted. The new secret then arrives on the queue.
- ``set_autorotate``: ``/connect-amazon autorotate NAME on|off`` (the owner or an admin: ``bot.flows.authz``).
- ``rotate_now``: the "Rotate now via Amazon" button on an expiry reminder (owner or admin; the queue must be
  configured): the rotation request as a job.
Results are meanings (``Message``), never words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from bot.amazon.application import ApplicationClient, RotationOutcome, RotationResult
from bot.flows.authz import Actor, find_target, quoted_name, refusal_for
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message
from bot.services import Services
from storage import repo
from storage.crypto import DecryptionError
from storage.models import Connection
from storage.repo import autorotate as store
from storage.repo.audit import meaning

log = logging.getLogger(__name__)

# (session, connection, reason, now, user id) -> the rotation request queued in that session (False: it was)
Enqueue = Callable[[Session, Connection, str, datetime, "str | None"], bool]


def application_client(services: Services) -> ApplicationClient:
    return ApplicationClient(services.settings.lwa_token_url, services.settings.sp_api_endpoint, timeout=15.0,
                             deadline=30.0)


@dataclass(frozen=True)
class Asked:
    """What came of asking Amazon: its answer (None: nothing was asked) and the connection's facts."""

    result: RotationResult | None
    summary: ConnectionSummary | None = None


def ask_amazon(services: Services, connection_id: int, client_id: str, now: datetime) -> Asked:
    """Ask Amazon to rotate the app's client secret, with the stored secret of ``connection_id``."""
    with services.db.session() as session:
        conn = repo.get_connection_by_id(session, connection_id)
        if conn is None or conn.status == "disconnected" or conn.client_id != client_id:
            log.info("rotation request for connection %s dropped: it is gone or uses another app", connection_id)
            return Asked(None)
        try:
            secret = repo.load_secrets(session, services.crypto, conn).client_secret
        except DecryptionError as exc:
            log.warning("rotation request: connection %s cannot be read (%s)", connection_id, type(exc).__name__)
            return Asked(RotationResult(RotationOutcome.unexpected, detail="stored secret unreadable"),
                         ConnectionSummary.of(conn))
        region, summary = conn.region, ConnectionSummary.of(conn)
        session.rollback()
    client = application_client(services)
    try:
        result = client.rotate_client_secret(client_id, secret, region)
    finally:
        client.close()
    if result.ok:
        with services.db.session(write=True) as session:
            conn = repo.get_connection_by_id(session, connection_id)
            if conn is not None:
                repo.add_audit(session, team_id=conn.team_id, actor=store.AMAZON_ACTOR, action="rotation_requested",
                               connection=conn, detail=meaning("lifecycle.autorotate.audit.detail.requested",
                                                               request=result.request_id or "-"), now=now)
                session.commit()
    return Asked(result, summary)


def cause_of(result: RotationResult, name: str) -> Message:
    """Why a rotation request did not go through, and what to do (for the channel alert)."""
    key = {RotationOutcome.not_enrolled: "lifecycle.autorotate.request.not_enrolled",
           RotationOutcome.secret_refused: "lifecycle.autorotate.request.secret_refused",
           RotationOutcome.not_allowed: "lifecycle.autorotate.request.not_allowed",
           RotationOutcome.unavailable: "lifecycle.autorotate.request.unavailable",
           RotationOutcome.rate_limited: "lifecycle.autorotate.request.unavailable"}.get(result.outcome,
                                                                              "lifecycle.autorotate.request.unexpected")
    return Message(key, name=name, request=result.request_id or "-")


def set_autorotate(services: Services, *, team_id: str, actor: Actor, name: str, on: bool, now: datetime,
                   lookup_error: str | None = None) -> Message:
    """Turn automatic rotation on or off for the connection named ``name`` (owner or admin)."""
    lookup = find_target(services, team_id=team_id, actor=actor, name=name, lookup_error=lookup_error)
    if lookup.target is None:
        return lookup.refusal or Message("general.unexpected_error")
    with services.db.session(write=True) as session:
        conn = repo.get_team_connection(session, team_id, lookup.target.id)
        refusal = refusal_for(conn, actor, services.settings.admin_user_ids, lookup_error)
        if refusal is not None or conn is None:
            return refusal or Message("general.unexpected_error")
        store.set_autorotate(session, conn, on, actor.user_id, now)
        session.commit()
        shown = quoted_name(conn.name)
    if not on:
        return Message("lifecycle.autorotate.command.off", name=shown)
    if not services.settings.rotation_queue_url:
        return Message("lifecycle.autorotate.command.on_no_queue", name=shown)
    return Message("lifecycle.autorotate.command.on", name=shown, days=services.settings.rotate_before_days)


def rotate_now(services: Services, *, team_id: str, actor: Actor, connection_id: int, now: datetime,
               enqueue: Enqueue, lookup_error: str | None = None) -> Message:
    """The "Rotate now via Amazon" button: queue the rotation request (owner or admin; queue configured)."""
    if not services.settings.rotation_queue_url:
        return Message("lifecycle.autorotate.now.no_queue")
    lookup = find_target(services, team_id=team_id, actor=actor, connection_id=connection_id,
                         lookup_error=lookup_error)
    if lookup.target is None:
        return lookup.refusal or Message("general.unexpected_error")
    with services.db.session(write=True) as session:
        conn = repo.get_team_connection(session, team_id, connection_id)
        if conn is None or refusal_for(conn, actor, services.settings.admin_user_ids, lookup_error) is not None:
            return Message("general.unexpected_error")
        # One request a minute per app: Amazon allows no more (the usage plan), and a double click is one.
        created = enqueue(session, conn, f"now:{now.strftime('%Y-%m-%dT%H:%M')}", now, actor.user_id)
        session.commit()
        shown = quoted_name(conn.name)
    return Message("lifecycle.autorotate.now.queued" if created else "lifecycle.autorotate.now.already", name=shown)
