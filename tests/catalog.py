"""Assert what people are told by catalog key (bot/i18n), never by English typed into a test.

``says(message, key, **known)`` is true when some text in ``message`` (a string, or a Slack message /
view / call parameters: every string inside is looked at) contains a rendering of the catalog sentence
``key``. Placeholders given in ``known`` must appear as given (the view's own markup around them, e.g.
``*bold*``, is part of the template; a compiled ``re.Pattern`` value matches as that regex); the others
match any text, the empty text too. When the catalog's wording changes,
the tests follow it; when the bot sends another sentence, they fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from bot.i18n import catalog

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)((?:![rsa])?(?::[^{}]*)?)\}")  # name, conversion/spec


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _texts(v)
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _texts(v)


@cache
def _pieces(key: str, locale: str = "en") -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """The template's literal runs, and the placeholder names (and their ``!r``/``:spec``) between them."""
    template = catalog(locale)[key]  # a KeyError here is a test naming a key the catalog does not have
    found = _PLACEHOLDER.findall(template)
    names, formats = tuple(n for n, _f in found), tuple(f for _n, f in found)
    return tuple(_PLACEHOLDER.split(template)[::3]), names, formats


def pattern(key: str, locale: str = "en", **known: object) -> re.Pattern[str]:
    """A regex matching any rendering of ``key`` in ``locale`` (placeholders in ``known`` fixed to their
    value). Around a placeholder left open, blanks are optional: it may be empty and the view may have
    trimmed them."""
    literals, names, formats = _pieces(key, locale)
    unknown = set(known) - set(names)
    if unknown:
        raise KeyError(f"{key} has no placeholder {sorted(unknown)}")
    open_after = [False] + [name not in known for name in names]  # literal i follows an open placeholder
    open_before = [name not in known for name in names] + [False]  # literal i precedes one
    parts: list[str] = []
    for i, literal in enumerate(literals):
        if i > 0:
            value = known.get(names[i - 1])
            if isinstance(value, re.Pattern):
                parts.append(f"(?:{value.pattern})")
            elif names[i - 1] in known:
                parts.append(re.escape(("{0" + formats[i - 1] + "}").format(value)))
            else:
                parts.append(".*?")
        head = r"\s*" if open_after[i] and literal[:1].isspace() else ""
        tail = r"\s*" if open_before[i] and literal[-1:].isspace() else ""
        core = literal.lstrip() if head else literal
        core = core.rstrip() if tail else core
        parts.append(head + re.escape(core) + tail)
    return re.compile("".join(parts), re.S)


def says(message: Any, key: str, locale: str = "en", **known: object) -> bool:
    """True when some text in ``message`` contains catalog sentence ``key`` in ``locale`` (see the module
    docstring)."""
    regex = pattern(key, locale, **known)
    return any(regex.search(text) for text in _texts(message))


def all_say(messages: list[Any], key: str, locale: str = "en", **known: object) -> list[Any]:
    """The messages that say ``key`` (in ``locale``)."""
    return [m for m in messages if says(m, key, locale, **known)]
