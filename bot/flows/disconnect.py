"""Disconnect: delete both secrets (the columns become NULL), mark the connection disconnected,
announce it and audit it. The audit trail stays."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from bot.flows.authz import Actor, refusal_for
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox
from bot.flows.summary import ConnectionSummary
from bot.redaction import redact
from bot.services import Services
from bot.views.blocks import bold, md
from storage import repo

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DisconnectResult:
    ok: bool
    message: str  # mrkdwn, built with bot.views.blocks.md


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
            return DisconnectResult(ok=False, message=refusal or md("lifecycle.not_found_any"))
        name = conn.name
        if conn.status == "disconnected":
            return DisconnectResult(ok=False, message=md("lifecycle.already_disconnected", name=bold(name)))
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
            return DisconnectResult(ok=False, message=md("lifecycle.disconnect.failed", name=name))
        if not erased:  # another click's erase was committed first: read what it left
            session.rollback()
            conn = repo.get_team_connection(session, team_id, connection_id)
            if conn is not None and conn.status == "disconnected":
                return DisconnectResult(ok=False, message=md("lifecycle.already_disconnected", name=bold(name)))
            return DisconnectResult(ok=False, message=md("lifecycle.disconnect.failed", name=name))
        facts = ConnectionSummary.of(conn).facts()
    facts["actor"] = actor.user_id
    try:
        outbox.send(Notice("connection_disconnected", Audience.CHANNEL, facts))
    except DeliveryError as exc:
        return DisconnectResult(ok=True, message=md("lifecycle.disconnect.done_announce_failed", name=name,
                                                   problem=redact(exc)))
    return DisconnectResult(ok=True, message=md("lifecycle.disconnect.done", name=name))


def connection_name(services: Services, team_id: str, connection_id: int) -> str | None:
    """The name of a team's connection, for the 'nothing was changed' answer."""
    with services.db.session() as session:
        conn = repo.get_team_connection(session, team_id, connection_id)
        return conn.name if conn is not None else None
