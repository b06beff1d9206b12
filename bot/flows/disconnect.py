"""Disconnect: delete both secrets (the columns become NULL), mark the connection disconnected,
announce it and audit it. The audit trail stays."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.flows.authz import NOT_FOUND_ANY, Actor, quoted_name, refusal_for
from bot.flows.lifecycle_notices import AboutConnection, ConnectionDisconnected
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message, User
from bot.redaction import redact
from bot.services import Services
from storage import repo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DisconnectResult:
    ok: bool
    message: Message


def disconnect(
    services: Services,
    outbox: Outbox,
    *,
    team_id: str,
    connection_id: int,
    actor: Actor,
    now: datetime,
    lookup_error: str | None = None,
) -> DisconnectResult:
    """Erase the connection's secrets if ``actor`` may; one sentence for the person either way."""
    with services.db.session(write=True) as session:
        conn = repo.get_team_connection(session, team_id, connection_id)
        refusal = refusal_for(conn, actor, services.settings.admin_user_ids, lookup_error)
        if refusal is not None or conn is None:
            return DisconnectResult(ok=False, message=refusal or Message(NOT_FOUND_ANY))
        name = conn.name
        gone = Message("lifecycle.already_disconnected", name=quoted_name(name))
        if conn.status == "disconnected":
            return DisconnectResult(ok=False, message=gone)
        # A double click must erase, audit and announce once, even across processes: the claim is part of
        # the erase's own transaction, so it exists only once the secrets are really gone.
        version = conn.updated_at.isoformat() if conn.updated_at else ""
        try:
            erased = repo.erase_secrets(session, conn, actor.user_id, now,
                                        claim_key=f"disconnect:{connection_id}:{version}")
            if erased:
                session.commit()
        except SQLAlchemyError as exc:
            session.rollback()
            first_line = (str(exc).splitlines() or [""])[0]
            log.warning("disconnecting connection %s failed, its secrets are still stored: %s", connection_id,
                        redact(f"{type(exc).__name__}: {first_line}")[:300])
            return DisconnectResult(ok=False, message=Message("lifecycle.disconnect.failed", name=name))
        if not erased:  # another click's erase was committed first: read what it left
            session.rollback()
            conn = repo.get_team_connection(session, team_id, connection_id)
            if conn is not None and conn.status == "disconnected":
                return DisconnectResult(ok=False, message=gone)
            return DisconnectResult(ok=False, message=Message("lifecycle.disconnect.failed", name=name))
        facts = AboutConnection.facts(ConnectionSummary.of(conn))
    try:
        outbox.send(Notice.of(Audience.CHANNEL, ConnectionDisconnected(**facts, actor=User(actor.user_id))))
    except DeliveryError as exc:
        return DisconnectResult(ok=True, message=Message("lifecycle.disconnect.done_announce_failed", name=name,
                                                        problem=redact(exc)))
    return DisconnectResult(ok=True, message=Message("lifecycle.disconnect.done", name=name))


def connection_name(services: Services, team_id: str, connection_id: int) -> str | None:
    """The name of a team's connection, for the 'nothing was changed' answer."""
    with services.db.session() as session:
        conn = repo.get_team_connection(session, team_id, connection_id)
        return conn.name if conn is not None else None
