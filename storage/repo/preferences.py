"""Each person's own choices (``user_preferences``): today their language; and, beside it, their Slack
locale as the last process that asked Slack found it (``remember_slack_locale``).

Without a row, or with ``language`` NULL, the bot follows the person's Slack locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from storage.models import UserPreference
from storage.repo._shared import Reads, _aware

NO_CHOICE_AT = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Reader:
    """What the database knows of the language a person reads (one primary-key read)."""

    language: str | None  # their own choice, or None to follow Slack
    slack_locale: str | None  # Slack's locale as users.info last said it, raw
    slack_locale_at: datetime | None  # when


_READER = (sa.select(col(UserPreference.language), col(UserPreference.slack_locale),
                     col(UserPreference.slack_locale_at))
           .where(col(UserPreference.team_id) == sa.bindparam("team_id"),
                  col(UserPreference.user_id) == sa.bindparam("user_id")))


def get_reader(reads: Reads, team_id: str, user_id: str) -> Reader:
    """One primary-key read of three columns, the statement built once (every request reads it: on a plain
    connection, ``Database.reading``, it costs a quarter of an ORM read or less)."""
    row = reads.execute(_READER, {"team_id": team_id, "user_id": user_id}).first()
    if row is None:
        return Reader(None, None, None)
    return Reader(row[0], row[1], row[2])


def remember_slack_locale(session: Session, team_id: str, user_id: str, slack_locale: str | None,
                          now: datetime) -> None:
    """Record what users.info said of the person's locale (their own choice, if any, stays as it is), in
    one ``INSERT … ON CONFLICT DO UPDATE``. Flushes; the caller commits."""
    # A row made here records no choice: its ``updated_at`` is the epoch, so it never counts as the most
    # recent choice (``get_language_any_team``); an existing row keeps its choice and its ``updated_at``.
    values: dict[str, Any] = {"team_id": team_id, "user_id": user_id, "language": None,
                              "updated_at": NO_CHOICE_AT, "slack_locale": slack_locale,
                              "slack_locale_at": _aware(now)}
    stmt = _insert(session).values(**values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["team_id", "user_id"],
        set_={"slack_locale": stmt.excluded.slack_locale, "slack_locale_at": stmt.excluded.slack_locale_at},
    ))
    session.flush()


def forget_slack_locale(session: Session, team_id: str, user_id: str) -> None:
    """Clear the stored Slack locale (the next look-up asks Slack). Flushes; the caller commits."""
    row = session.get(UserPreference, (team_id, user_id))
    if row is not None:
        row.slack_locale, row.slack_locale_at = None, None
        session.add(row)
        session.flush()


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    table = UserPreference.__table__  # type: ignore[attr-defined]  # set by SQLModel on table models
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {dialect!r}")  # pragma: no cover - make_engine refuses others


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
    stmt = _insert(session).values(**values)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["team_id", "user_id"],
        set_={"language": stmt.excluded.language, "updated_at": stmt.excluded.updated_at},
    ))
    session.flush()
    session.expire_all()  # a UserPreference already loaded in this session reads the new row
