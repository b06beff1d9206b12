"""Each person's own choices (``user_preferences``): today their language.

Without a row, or with ``language`` NULL, the bot follows the person's Slack locale.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import UserPreference
from storage.repo._shared import _aware


def get_language(session: Session, team_id: str, user_id: str) -> str | None:
    """The language ``user_id`` of ``team_id`` chose (a ``bot.i18n.LOCALES`` key), or None to follow Slack."""
    row = session.get(UserPreference, (team_id, user_id))
    return row.language if row is not None else None


def get_language_any_team(session: Session, user_id: str) -> str | None:
    """The language ``user_id`` chose in whichever workspace they chose it most recently (for a DM sent
    without knowing the team), or None."""
    stmt = (
        select(UserPreference)
        .where(UserPreference.user_id == user_id)
        .order_by(col(UserPreference.updated_at).desc())
    )
    row = session.exec(stmt).first()
    return row.language if row is not None else None


def set_language(session: Session, team_id: str, user_id: str, language: str | None,
                 now: datetime | None = None) -> None:
    """Record the person's choice (``None``: follow Slack again) in one ``INSERT … ON CONFLICT DO UPDATE``,
    so two requests at once cannot collide. Flushes; the caller commits."""
    values: dict[str, Any] = {
        "team_id": team_id, "user_id": user_id, "language": language,
        "updated_at": _aware(now) if now is not None else datetime.now(UTC),
    }
    table = UserPreference.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(**values)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(**values)
    else:  # pragma: no cover - make_engine accepts only these two
        raise ValueError(f"unsupported database dialect {dialect!r}")
    session.execute(stmt.on_conflict_do_update(
        index_elements=["team_id", "user_id"],
        set_={"language": stmt.excluded.language, "updated_at": stmt.excluded.updated_at},
    ))
    session.flush()
    session.expire_all()  # a UserPreference already loaded in this session reads the new row
