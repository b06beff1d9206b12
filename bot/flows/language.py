"""``/connect-amazon language zh-CN|en|auto``: each person chooses the language the bot speaks to them.

A choice (a ``bot.i18n.LOCALES`` key, matched without regard to case) is stored per (team, user) and wins
over the person's Slack locale; ``auto`` clears it, and the bot follows Slack again. Without a value the
person is told which language they read and why. Channel posts keep TEAM_LANGUAGE: they have many readers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import SQLAlchemyError

from bot.i18n import LOCALES, Items, Message, Strong
from bot.services import Services
from storage import repo

log = logging.getLogger(__name__)

AUTO = "auto"  # the value that clears the choice
MAX_SHOWN_VALUE = 40  # an unknown value is quoted back at most this long


class LanguageOutcome(StrEnum):
    CHOSEN = "chosen"  # a language was stored
    FOLLOW_SLACK = "follow_slack"  # the choice was cleared (auto)
    SHOWN = "shown"  # no value: the current language was described
    UNKNOWN = "unknown"  # not one of the choices: nothing changed
    FAILED = "failed"  # the database did not answer: nothing changed


@dataclass(frozen=True)
class LanguageResult:
    outcome: LanguageOutcome
    message: Message
    locale: str | None = None  # the language to answer in when the person just chose one; None: theirs


def language_name(locale: str) -> Message:
    """A language by its catalog name (``general.language.name.<its LOCALES module, lower case>``)."""
    return Message(f"general.language.name.{LOCALES[locale].lower()}")


def choices() -> Items:
    """Every value the command accepts, in ``LOCALES`` order, then ``auto``."""
    listed = [Message("general.language.choice", code=code, name=language_name(code)) for code in LOCALES]
    listed.append(Message("general.language.choice.auto", code=AUTO))
    return Items(tuple(listed))


def parse_language(value: str) -> str | None:
    """The ``LOCALES`` key or ``auto`` that ``value`` names (case does not matter), else None."""
    wanted = value.strip().lower()
    if wanted == AUTO:
        return AUTO
    return next((code for code in LOCALES if code.lower() == wanted), None)


def choose_language(services: Services, *, team_id: str, user_id: str, value: str,
                    now: datetime) -> LanguageResult:
    """Store (or, for ``auto``, clear) the person's language; an unknown value changes nothing."""
    chosen = parse_language(value)
    if chosen is None:
        shown = value.strip()[:MAX_SHOWN_VALUE]
        return LanguageResult(LanguageOutcome.UNKNOWN, Message("general.language.unknown", value=Strong(shown),
                                                               choices=choices()))
    language = None if chosen == AUTO else chosen
    try:
        with services.db.session(write=True) as session:
            repo.set_language(session, team_id, user_id, language, now)
            session.commit()
    except SQLAlchemyError as exc:
        log.warning("could not store the language %s chose: %s", user_id, type(exc).__name__)
        return LanguageResult(LanguageOutcome.FAILED, Message("general.language.failed"))
    if language is None:
        return LanguageResult(LanguageOutcome.FOLLOW_SLACK, Message("general.language.auto"))
    return LanguageResult(LanguageOutcome.CHOSEN, Message("general.language.set", language=language_name(language)),
                          locale=language)


def describe_language(services: Services, *, team_id: str, user_id: str, locale: str) -> LanguageResult:
    """Which language the person reads (``locale``, as the request worked it out) and whether it is their
    own choice or their Slack language's, with the choices."""
    try:
        with services.db.session() as session:
            chosen = repo.get_language(session, team_id, user_id)
    except SQLAlchemyError as exc:
        log.warning("could not read the language %s chose: %s", user_id, type(exc).__name__)
        chosen = None
    key = "general.language.current.chosen" if chosen in LOCALES else "general.language.current.slack"
    return LanguageResult(LanguageOutcome.SHOWN, Message(key, language=language_name(locale), choices=choices()))
