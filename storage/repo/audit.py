"""The audit trail: entries (details redacted when written), the trail newest first, counts per action.

A detail is a meaning, not a sentence: the JSON form of a ``bot.i18n.Message`` (the flows pass
``bot.flows.audit.audit_detail(Message(...))``; storage's own writers call ``meaning(key, **params)``,
the same ``bot.meanings.Message`` codec without the catalogs). The trail's view words it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.meanings import Message, Param
from bot.redaction import redact
from storage.models import AuditEntry, Connection
from storage.repo._shared import _aware


def meaning(key: str, /, **params: Param) -> str:
    """The stored form of ``Message(key, **params)`` (its one JSON codec, ``bot.meanings``)."""
    return Message(key, **params).to_json()


def add_audit(
    session: Session,
    *,
    team_id: str,
    actor: str,
    action: str,
    connection: Connection | None = None,
    detail: str | None = None,
    now: datetime,
) -> AuditEntry:
    entry = AuditEntry(
        team_id=team_id,
        connection_id=connection.id if connection is not None else None,
        connection_name=connection.name if connection is not None else None,
        actor=actor,
        action=action,
        detail=redact(detail) if detail is not None else None,
        created_at=_aware(now),
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    session: Session, team_id: str, connection_name: str | None = None, limit: int = 50
) -> list[AuditEntry]:
    """Newest first."""
    stmt = select(AuditEntry).where(AuditEntry.team_id == team_id)
    if connection_name is not None:
        stmt = stmt.where(AuditEntry.connection_name == connection_name)
    stmt = stmt.order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


def count_audit_actions_statement(connection_id: int, action: str) -> sa.Select[int]:
    """Served by ``ix_audit_log_connection_id_action``: cost ∝ the connection's own entries."""
    return (
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(col(AuditEntry.connection_id) == connection_id, col(AuditEntry.action) == action)
    )


def count_audit_actions(session: Session, connection_id: int, action: str) -> int:
    """How many audit entries with ``action`` a connection has (health episodes are numbered by it)."""
    return int(session.execute(count_audit_actions_statement(connection_id, action)).scalar_one())


def count_audit_actions_by_connection(session: Session, connection_ids: Sequence[int], action: str) -> dict[int, int]:
    """``count_audit_actions`` for many connections in one grouped query (served by
    ``ix_audit_log_connection_id_action``); connections with none are left out."""
    if not connection_ids:
        return {}
    stmt = (
        sa.select(col(AuditEntry.connection_id), sa.func.count())
        .where(col(AuditEntry.connection_id).in_(list(connection_ids)), col(AuditEntry.action) == action)
        .group_by(col(AuditEntry.connection_id))
    )
    return {int(cid): int(n) for cid, n in session.execute(stmt).all()}
