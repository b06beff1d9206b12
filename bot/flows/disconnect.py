"""Disconnect: delete both secrets (the columns become NULL), mark the connection disconnected,
announce it and audit it. The audit trail stays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.flows.authz import Actor, refusal_for
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox
from bot.flows.sweep import connection_facts
from bot.i18n import t
from bot.redaction import redact
from bot.services import Services
from bot.views.blocks import bold, md
from storage import repo


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
            return DisconnectResult(ok=False, message=refusal or t("lifecycle.not_found_any"))
        name = conn.name
        # A double click must erase, audit and announce once, even across processes.
        version = conn.updated_at.isoformat() if conn.updated_at else ""
        if not repo.claim_idempotency_key(session, f"disconnect:{connection_id}:{version}", now):
            return DisconnectResult(ok=False, message=md("lifecycle.already_disconnected", name=bold(name)))
        conn = repo.get_team_connection(session, team_id, connection_id)
        if conn is None or conn.status == "disconnected":
            return DisconnectResult(ok=False, message=md("lifecycle.already_disconnected", name=bold(name)))
        repo.erase_secrets(session, conn, actor.user_id, now)
        session.commit()
        facts = connection_facts(conn)
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
