"""The audit trail of a workspace, or of one of its connections, newest first (``/connect-amazon audit``).
Who may see it is decided before this is called; this only reads.

Audit details are meanings: writers store ``audit_detail(Message(...))`` (the JSON of a ``Message``), the
trail reads them back as ``Message``s and the view words them in the reader's language. A detail written
by an earlier version is a sentence (a plain ``str``), shown as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, overload

from bot.i18n import Message
from storage import repo

if TYPE_CHECKING:
    from bot.services import Services

PAGE = 50


@dataclass(frozen=True)
class AuditRow:
    when: datetime
    actor: str  # a Slack user id or "system"
    action: str
    connection_name: str | None
    detail: Message | str | None  # str: a sentence stored by an earlier version


@overload
def audit_detail(message: Message) -> str: ...
@overload
def audit_detail(message: None) -> None: ...
def audit_detail(message: Message | None) -> str | None:
    """What ``repo.add_audit(detail=...)`` stores for a meaning: its JSON (storage redacts it once more)."""
    return message.to_json() if message is not None else None


def read_detail(stored: str | None) -> Message | str | None:
    """A stored detail as the meaning it was written as, or the sentence an earlier version stored."""
    if not stored:
        return None
    if stored.startswith("{"):
        try:
            return Message.from_json(stored)
        except (ValueError, TypeError, KeyError, AttributeError):
            pass
    return stored


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
                     detail=read_detail(e.detail))
            for e in entries[:PAGE]
        ]
    return rows, name, len(entries) > PAGE
