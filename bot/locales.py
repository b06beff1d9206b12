"""Which language each person reads: their own choice (``/connect-amazon language``), else their Slack
locale (``users.info`` with ``include_locale=true``, mapped by ``bot.i18n.resolve_locale``), else English.

One :class:`Locales` per running bot, shared by the request context (``bot.listeners.context.Actor``) and
the outbox (a DM speaks its reader's language: ``Locales.locale_of``). Slack's answer is kept in process
per (team, user) for ``ttl`` seconds (10 minutes), at most ``max_entries`` people (the least recently used
go first), behind one lock. The person's own choice is read from the database every time (one primary-key
read), so a choice made through another process counts at once.

Nothing here raises: a database or Slack failure is logged (ids and Slack's error code only) and the
person reads their stored choice, else English.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
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
                 max_entries: int = MAX_CACHED, clock: Callable[[], float] = time.monotonic) -> None:
        self.db = db
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
        """Keep Slack's locale for the person (the raw ``user.locale``); returns its catalog."""
        locale = resolve_locale(slack_locale if isinstance(slack_locale, str) else None)
        with self._lock:
            key = (team_id, user_id)
            self._slack[key] = (locale, self._clock() + self.ttl)
            self._slack.move_to_end(key)
            self._team_of[user_id] = team_id
            while len(self._slack) > self.max_entries:
                (_team, old_user), _entry = self._slack.popitem(last=False)
                if self._team_of.get(old_user) == _team:
                    del self._team_of[old_user]
        return locale

    def forget(self, team_id: str, user_id: str) -> None:
        """Drop the cached Slack locale (the next look-up asks Slack)."""
        with self._lock:
            self._slack.pop((team_id, user_id), None)

    # --- one person, outside a request --------------------------------------------------------

    def locale_of(self, user_id: str, team_id: str | None = None) -> str:
        """The language a DM to ``user_id`` speaks: their choice, else their (cached) Slack locale, else
        English. At most one ``users.info`` call, on ``self.client``, when nothing is cached."""
        if not user_id:
            return DEFAULT_LOCALE
        chosen = self.choice(team_id, user_id)
        if chosen is not None:
            return chosen
        cached = self.cached(team_id, user_id)
        if cached is not None:
            return cached
        if self.client is None:
            return DEFAULT_LOCALE
        user, _error = users_info(self.client, user_id)
        if user is None:
            return DEFAULT_LOCALE
        team = team_id or (user.get("team_id") if isinstance(user.get("team_id"), str) else "") or ""
        return self.remember(team, user_id, user.get("locale"))
