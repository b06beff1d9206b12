"""The one escaping path for everything the bot sends to Slack, and the small Block Kit builders on top of it.

Slack reads ``&``, ``<`` and ``>`` as control characters in every text object and in a message's
``text`` (https://api.slack.com/reference/surfaces/formatting#escaping): ``<!channel>`` notifies a
whole channel, ``<https://evil.example|click>`` shows a disguised link. Every string the bot did
not write itself (connection names, the store name Amazon returns, anything typed, error texts)
therefore reaches Slack with those three characters replaced by ``&amp;``, ``&lt;`` and ``&gt;``,
exactly once. Catalog templates and the markup built here (mentions, channel links) are trusted.

- ``Words(locale)``: the reader's language. ``words.md(key, **params)`` is a catalog sentence for a
  mrkdwn field, every parameter escaped unless it is already ``Markup``; ``words.render(message)``
  turns a flow's ``Message`` (and its typed parameters: users, channels, names, marketplaces,
  regions, dates, lists) into mrkdwn; ``words.text(...)`` gives the unescaped words for plain_text
  fields (``plain()`` escapes them). Views receive a ``Words`` and never pick a language themselves.
- ``plain(text)``: a plain_text object; its whole text is escaped (Slack decodes the three entities
  there too, and a plain field then never carries live markup).
- ``mrkdwn(text)``, ``section(text)``, ``context(...)``: mrkdwn objects and blocks. Their text is
  trusted markup: build it with ``Words.md()``, ``escape()`` and the helpers, never from raw input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bot.amazon.marketplaces import marketplace_by_id
from bot.i18n import (
    DEFAULT_LOCALE,
    Channel,
    Items,
    Marketplace,
    Message,
    Region,
    Strong,
    User,
    supported,
    t,
)

Block = dict[str, Any]
SECTION_LIMIT = 3000  # Slack's limit for a section's text
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,20}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")


class Markup(str):
    """mrkdwn that is safe to send as it is: the bot's own markup, or text already escaped.

    Only this module's functions make it; ``escape`` and ``md`` leave it alone, so nothing is
    escaped twice. Slicing or concatenating gives a plain ``str`` again (which is then escaped if
    passed to ``md`` or ``escape``)."""

    __slots__ = ()


def escape(text: object) -> Markup:
    """``text`` with ``&``, ``<`` and ``>`` replaced by entities, so it shows as typed and cannot
    mention anyone or link anywhere. ``Markup`` is returned unchanged."""
    if isinstance(text, Markup):
        return text
    value = "" if text is None else str(text)
    return Markup(value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def mention(user_id: object) -> Markup:
    """``<@U…>`` for a Slack user id; anything that is not one is shown escaped, never as markup."""
    if isinstance(user_id, str) and _USER_ID.fullmatch(user_id):
        return Markup(f"<@{user_id}>")
    return escape(user_id or "")


def channel_link(channel_id: object) -> Markup:
    """``<#C…>`` for a Slack conversation id; anything else is shown escaped."""
    if isinstance(channel_id, str) and _CHANNEL_ID.fullmatch(channel_id):
        return Markup(f"<#{channel_id}>")
    return escape(channel_id or "")


def bold(text: object) -> Markup:
    """``*text*``, the text escaped."""
    return Markup(f"*{escape(text)}*")


def join(parts: Iterable[object], separator: str = " ") -> Markup:
    """Escaped parts (``Markup`` kept) joined by a trusted separator."""
    return Markup(separator.join(escape(p) for p in parts))


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, never ending inside an entity such as ``&amp;``."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    amp = head.rfind("&")
    if amp != -1 and ";" not in head[amp:] and amp >= limit - 5:
        head = head[:amp]
    return head


# --- the reader's language ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Words:
    """Catalog words in one reader's language, rendered for Slack (mrkdwn escaped once, or plain)."""

    locale: str = DEFAULT_LOCALE

    def __post_init__(self) -> None:
        object.__setattr__(self, "locale", supported(self.locale))

    def md(self, key: str, /, **params: object) -> Markup:
        """The catalog sentence ``key`` as mrkdwn, each parameter rendered and escaped (``Markup`` kept)."""
        return Markup(t(key, self.locale, **{name: self._markup(value) for name, value in params.items()}))

    def render(self, message: Message) -> Markup:
        """A flow's meaning as mrkdwn in this language."""
        return self.md(message.key, **message.params)

    def text(self, what: str | Message, /, **params: object) -> str:
        """Unescaped words for a plain_text field or a console (a key with params, or a ``Message``)."""
        if isinstance(what, Message):
            return self.text(what.key, **what.params)
        return t(what, self.locale, **{name: self._plain(value) for name, value in params.items()})

    def date(self, value: date) -> str:
        """A calendar date the way this language writes it (``2026-12-01`` / ``2026年12月1日``)."""
        if isinstance(value, datetime):
            value = value.astimezone(UTC).date() if value.tzinfo else value.date()
        return t("general.date", self.locale, year=value.year, month=value.month, day=value.day)

    def datetime(self, value: datetime) -> str:
        """A moment in UTC the way this language writes it."""
        moment = value.astimezone(UTC) if value.tzinfo else value
        return t("general.datetime", self.locale, date=self.date(moment.date()), hour=moment.hour,
                 minute=moment.minute)

    def marketplace(self, marketplace_id: str) -> str:
        m = marketplace_by_id(marketplace_id)
        if not m:
            return marketplace_id
        return t("amazon.marketplace.name", self.locale, name=t(f"amazon.marketplace.{m.country_code}", self.locale),
                 country=m.country_code)

    def region(self, code: str) -> str:
        key = f"amazon.region.{code}"
        return t(key, self.locale) if code in ("NA", "EU", "FE") else code

    def listing(self, values: Iterable[str]) -> str:
        return t("general.list_separator", self.locale).join(values)

    def _plain(self, value: object) -> str:
        if isinstance(value, Message):
            return self.text(value)
        if isinstance(value, Strong):
            return value.text
        if isinstance(value, User):
            return f"@{value.id}"
        if isinstance(value, Channel):
            return f"#{value.id}"
        if isinstance(value, Items):
            return self.listing(self._plain(v) for v in value.values)
        return self._word(value)

    def _markup(self, value: object) -> Markup:
        if isinstance(value, Markup):
            return value
        if isinstance(value, Message):
            return self.render(value)
        if isinstance(value, Strong):
            return bold(value.text)
        if isinstance(value, User):
            return mention(value.id)
        if isinstance(value, Channel):
            return channel_link(value.id)
        if isinstance(value, Items):
            return Markup(escape(t("general.list_separator", self.locale)).join(self._markup(v) for v in value.values))
        return escape(self._word(value))

    def _word(self, value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            return self.datetime(value)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, Marketplace):
            return self.marketplace(value.id)
        if isinstance(value, Region):
            return self.region(value.code)
        return str(value)


# --- Block Kit ---------------------------------------------------------------------------------------


def mrkdwn(text: str, limit: int = SECTION_LIMIT) -> Block:
    """A mrkdwn text object; ``text`` is trusted markup (built with ``md``/``escape``)."""
    return {"type": "mrkdwn", "text": cut(text, limit)}


def plain(text: object, limit: int = SECTION_LIMIT, *, emoji: bool = True) -> Block:
    """A plain_text object; ``text`` is escaped here (``Markup`` kept as it is)."""
    return {"type": "plain_text", "text": cut(escape(text), limit), "emoji": emoji}


def section(text: str, limit: int = SECTION_LIMIT, **extra: Any) -> Block:
    """A section block with trusted mrkdwn ``text``; ``extra`` adds e.g. ``block_id`` or ``accessory``."""
    return {"type": "section", "text": mrkdwn(text, limit), **extra}


def fields(pairs: Iterable[tuple[str, str]]) -> Block:
    """A section of two-column fields: each pair is (trusted label, trusted mrkdwn value), shown as *label*\\nvalue."""
    return {"type": "section", "fields": [mrkdwn(f"*{label}*\n{value}", 2000) for label, value in pairs]}


def context(*texts: str) -> Block:
    """A context block of trusted mrkdwn texts."""
    return {"type": "context", "elements": [mrkdwn(text, 2000) for text in texts]}


def header(text: object) -> Block:
    """A header block (plain text, escaped, at most 150 characters)."""
    return {"type": "header", "text": plain(text, 150)}


def button(text: object, action_id: str, value: str | None = None, style: str | None = None) -> Block:
    """A button with a plain-text (escaped) label."""
    element: Block = {"type": "button", "text": plain(text, 75), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element
