"""Which language each person reads: their own choice (``/connect-amazon language``), else their Slack
locale (``users.info`` with ``include_locale=true``, mapped by ``bot.i18n.resolve_locale``), else English.

One :class:`Locales` per running bot, shared by the request context (``bot.listeners.context.Actor``) and
the outbox (a DM speaks its reader's language: ``Locales.locale_of``). Slack's answer is trusted for ``ttl``
seconds (10 minutes): kept in process per (team, user), at most ``max_entries`` people (the least recently
used go first), behind one lock, and stored beside the person's choice (``user_preferences.slack_locale``)
so the other processes need not ask again (a worker that looked a person up for their DM spares the web
tier a ``users.info`` when they click in it). The person's own choice and that stored locale are read
from the database every time (one primary-key read), so a choice made through another process counts at
once.

Nothing here raises: a database or Slack failure is logged (ids and Slack's error code only) and the
person reads their stored choice, else English.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import DEFAULT_LOCALE, LOCALES, resolve_locale
from bot.slack_errors import slack_error
from storage import repo
from storage.db import Database

log = logging.getLogger(__name__)

SLACK_LOCALE_TTL = 600.0  # seconds a person's Slack locale is trusted before users.info is asked again
MAX_CACHED = 10_000


def users_info(client: Any, user_id: str) -> tuple[dict[str, Any] | None, str | None]:
    """One ``users.info`` call with ``include_locale=true``: (the user object, None), or (None, Slack's
    error code) when it failed (logged, without the request)."""
    try:
        response = client.users_info(user=user_id, include_locale=True)
        user = response.get("user")
    except (SlackApiError, SlackClientError) as exc:
        error = slack_error(exc)
        log.warning("users.info failed for %s: %s", user_id, error)
        return None, error
    return (user if isinstance(user, dict) else {}), None


class Locales:
    """The language each person reads (see the module docstring)."""

    def __init__(self, db: Database | None, client: Any = None, *, ttl: float = SLACK_LOCALE_TTL,
                 max_entries: int = MAX_CACHED, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self._wall = wall  # for the Slack locale stored in the database (shared by processes)
        self.client = client  # for look-ups outside a request (the outbox's DMs)
        self.ttl = ttl
        self.max_entries = max(1, max_entries)
        self._clock = clock
        self._lock = threading.Lock()
        self._slack: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()  # -> (locale, expires)
        self._team_of: dict[str, str] = {}  # user id -> the team it was last seen in

    def __repr__(self) -> str:
        return f"Locales(cached={len(self._slack)})"

    # --- the person's own choice ----------------------------------------------------------------

    def choice(self, team_id: str | None, user_id: str) -> str | None:
        """The language the person chose (a ``LOCALES`` key), or None to follow Slack. Without ``team_id``,
        their most recent choice in any workspace."""
        if self.db is None or not user_id:
            return None
        try:
            with self.db.session() as session:
                if team_id:
                    chosen = repo.get_language(session, team_id, user_id)
                else:
                    chosen = repo.get_language_any_team(session, user_id)
        except SQLAlchemyError as exc:
            log.warning("could not read the language %s chose: %s", user_id, type(exc).__name__)
            return None
        return chosen if chosen in LOCALES else None

    def known(self, team_id: str | None, user_id: str) -> str | None:
        """The person's language when it is known without asking Slack: their choice, else their Slack
        locale as any process found it within ``ttl`` (the same database row as the choice: one read),
        else as this process cached it; None when only Slack can say."""
        if not user_id:
            return None
        if not team_id or self.db is None:
            return self.choice(team_id, user_id) or self.cached(team_id, user_id)
        try:
            reader = repo.get_reader(self.db.plain_reads(), team_id, user_id)  # most requests read it before their ack
        except SQLAlchemyError as exc:
            log.warning("could not read the language %s reads: %s", user_id, type(exc).__name__)
            return self.cached(team_id, user_id)
        if reader.language in LOCALES:
            return reader.language
        if reader.slack_locale_at is not None:
            age = (self._wall() - reader.slack_locale_at).total_seconds()
            if -self.ttl < age < self.ttl:  # a little ahead is another machine's clock, not a stale answer
                return self._keep(team_id, user_id, reader.slack_locale, min(self.ttl, self.ttl - age))
        return self.cached(team_id, user_id)

    # --- Slack's locale, cached ------------------------------------------------------------------

    def cached(self, team_id: str | None, user_id: str) -> str | None:
        """The catalog for the person's Slack locale if Slack said it within ``ttl``, else None."""
        with self._lock:
            team = team_id or self._team_of.get(user_id)
            if team is None:
                return None
            key = (team, user_id)
            entry = self._slack.get(key)
            if entry is None:
                return None
            locale, expires = entry
            if self._clock() >= expires:
                del self._slack[key]
                return None
            self._slack.move_to_end(key)
            return locale

    def remember(self, team_id: str, user_id: str, slack_locale: object) -> str:
        """Keep Slack's locale for the person (the raw ``user.locale``), here and in the database for the
        other processes; returns its catalog."""
        raw = slack_locale if isinstance(slack_locale, str) else None
        if self.db is not None and team_id and user_id:
            try:
                with self.db.session(write=True) as session:
                    repo.remember_slack_locale(session, team_id, user_id, raw, self._wall())
                    session.commit()
            except SQLAlchemyError as exc:  # this process still remembers it
                log.warning("could not store the Slack locale of %s: %s", user_id, type(exc).__name__)
        return self._keep(team_id, user_id, raw, self.ttl)

    def _keep(self, team_id: str, user_id: str, slack_locale: str | None, ttl: float) -> str:
        locale = resolve_locale(slack_locale)
        with self._lock:
            key = (team_id, user_id)
            self._slack[key] = (locale, self._clock() + ttl)
            self._slack.move_to_end(key)
            self._team_of[user_id] = team_id
            while len(self._slack) > self.max_entries:
                (_team, old_user), _entry = self._slack.popitem(last=False)
                if self._team_of.get(old_user) == _team:
                    del self._team_of[old_user]
        return locale

    def forget(self, team_id: str, user_id: str) -> None:
        """Drop the Slack locale kept here and in the database (the next look-up asks Slack)."""
        with self._lock:
            self._slack.pop((team_id, user_id), None)
        if self.db is not None:
            try:
                with self.db.session(write=True) as session:
                    repo.forget_slack_locale(session, team_id, user_id)
                    session.commit()
            except SQLAlchemyError as exc:
                log.warning("could not forget the Slack locale of %s: %s", user_id, type(exc).__name__)

    # --- one person, outside a request --------------------------------------------------------

    def locale_of(self, user_id: str, team_id: str | None = None) -> str:
        """The language a DM to ``user_id`` speaks: their choice, else their (cached) Slack locale, else
        English. At most one ``users.info`` call, on ``self.client``, when nothing is cached."""
        if not user_id:
            return DEFAULT_LOCALE
        known = self.known(team_id, user_id)
        if known is not None:
            return known
        if self.client is None:
            return DEFAULT_LOCALE
        user, _error = users_info(self.client, user_id)
        if user is None:
            return DEFAULT_LOCALE
        team = team_id or (user.get("team_id") if isinstance(user.get("team_id"), str) else "") or ""
        return self.remember(team, user_id, user.get("locale"))
