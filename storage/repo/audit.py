"""The audit trail: entries (details redacted when written), the trail newest first, counts per action.

A detail is a meaning, not a sentence: the JSON form of a ``bot.i18n.Message`` (the flows pass
``bot.flows.audit.audit_detail(Message(...))``; storage's own writers build the same JSON with
``meaning(key, **params)``, as storage does not import the bot's i18n). The trail's view words it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from bot.redaction import redact
from storage.models import AuditEntry, Connection
from storage.repo._shared import _aware

StoredParam = str | int | date | dict[str, Any] | None


def _stored(value: StoredParam) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    return value


def meaning_part(key: str, /, **params: StoredParam) -> dict[str, Any]:
    """A nested meaning (``Message(key, **params)``) for a parameter of ``meaning``."""
    return {"$m": key, "p": {name: _stored(value) for name, value in params.items()}}


def region_ref(code: str) -> dict[str, str]:
    """``bot.i18n.Region(code)``, as a parameter of ``meaning``."""
    return {"$region": code}


def marketplace_ref(marketplace_id: str) -> dict[str, str]:
    """``bot.i18n.Marketplace(id)``, as a parameter of ``meaning``."""
    return {"$mkt": marketplace_id}


def meaning(key: str, /, **params: StoredParam) -> str:
    """The JSON ``bot.i18n.Message(key, **params).to_json()`` gives (plain values, dates, the refs above)."""
    return json.dumps(meaning_part(key, **params), ensure_ascii=False, sort_keys=True)


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
