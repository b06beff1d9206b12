"""The audit trail of a workspace, or of one of its connections, newest first (``/connect-amazon audit``).
Who may see it is decided before this is called; this only reads."""

from __future__ import annotations

from bot.services import Services
from bot.views.audit import AuditRow
from storage import repo

PAGE = 50


def load_trail(services: Services, team_id: str, name: str | None) -> tuple[list[AuditRow], str | None, bool]:
    """(rows newest first, the connection's exact name if one was asked for, whether there are more).

    ``name`` is what the person typed (None: every connection). When no connection has exactly that name
    but exactly one has it in another case, that one's trail is shown under its own name."""
    with services.db.session() as session:
        if name is not None and repo.get_connection(session, team_id, name) is None:
            same = {c.name for c in repo.list_connections(session, team_id, include_disconnected=True)
                    if c.name.casefold() == name.casefold()}
            if len(same) == 1:
                name = same.pop()
        entries = repo.list_audit(session, team_id, connection_name=name, limit=PAGE + 1)
        rows = [
            AuditRow(when=e.created_at, actor=e.actor, action=e.action, connection_name=e.connection_name,
                     detail=e.detail)
            for e in entries[:PAGE]
        ]
    return rows, name, len(entries) > PAGE
