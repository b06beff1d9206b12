"""The one escaping path for everything the bot sends to Slack, and the small Block Kit builders on top of it.

Slack reads ``&``, ``<`` and ``>`` as control characters in every text object and in a message's
``text`` (https://api.slack.com/reference/surfaces/formatting#escaping): ``<!channel>`` notifies a
whole channel, ``<https://evil.example|click>`` shows a disguised link. Every string the bot did
not write itself (connection names, the store name Amazon returns, anything typed, error texts)
therefore reaches Slack with those three characters replaced by ``&amp;``, ``&lt;`` and ``&gt;``,
exactly once. Catalog templates and the markup built here (mentions, channel links) are trusted.

- ``md(key, **params)``: a catalog sentence for a mrkdwn field; every parameter is escaped unless
  it is already ``Markup`` (an ``md()`` result, ``escape()``, ``mention()``, ``channel_link()``).
- ``plain(text)``: a plain_text object; its whole text is escaped (Slack decodes the three entities
  there too, and a plain field then never carries live markup).
- ``mrkdwn(text)``, ``section(text)``, ``context(...)``: mrkdwn objects and blocks. Their text is
  trusted markup: build it with ``md()``, ``escape()`` and the helpers, never from raw input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bot.i18n import t

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


def md(key: str, /, **params: object) -> Markup:
    """The catalog sentence ``key`` for a mrkdwn field, each parameter escaped (``Markup`` kept as it is)."""
    return Markup(t(key, **{name: escape(value) for name, value in params.items()}))


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
