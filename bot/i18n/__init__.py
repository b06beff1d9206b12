"""Message catalogs and the meanings flows return.

Every user-facing sentence lives in one module per language: ``en.py`` (English) and ``zh_CN.py``
(Simplified Chinese), with the same keys and the same ``{placeholders}`` per key (a test checks).

- Flows and the Amazon layer never produce words. They return a :class:`Message` (a catalog key and
  its parameters); parameters are plain values or the typed references below, which the views turn
  into words and Slack markup in the reader's language.
- ``t(key, locale, **values)`` is the plain lookup (no escaping): operator-facing console text and
  the views' own renderer (``bot.views.blocks.Words``) use it.
- ``resolve_locale(slack_locale)`` maps a Slack locale (``users.info`` with ``include_locale``) to a
  catalog: ``zh-CN``, ``zh-Hans*`` and ``zh-SG`` read Simplified Chinese, everyone else English.

A third language is one more module with the same keys, named in ``LOCALES``.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

# The meanings (``Message`` and the references its parameters may be) live in ``bot.meanings``, which
# storage imports too; they are re-exported here for the flows and views.
from bot.meanings import Channel, Items, Marketplace, Message, Param, Region, Strong, User

DEFAULT_LOCALE = "en"
DEFAULT_LANGUAGE = DEFAULT_LOCALE  # the older name, kept for console-facing callers
# Supported locales -> catalog module. The order is the order choices are listed to people.
LOCALES: dict[str, str] = {"en": "en", "zh-CN": "zh_CN"}
_catalogs: dict[str, dict[str, str]] = {}


def resolve_locale(slack_locale: str | None) -> str:
    """The catalog for a Slack locale: ``zh-CN``/``zh-Hans…``/``zh-SG`` → ``zh-CN``; anything else → ``en``."""
    value = (slack_locale or "").strip().replace("_", "-").lower()
    if value in ("zh-cn", "zh-sg", "zh-hans") or value.startswith("zh-hans-") or value.startswith("zh-cn-"):
        return "zh-CN"
    return DEFAULT_LOCALE


def supported(locale: str | None) -> str:
    """``locale`` if a catalog exists for it (exact name, e.g. ``zh-CN``), else the default."""
    return locale if locale in LOCALES else DEFAULT_LOCALE


def catalog(locale: str = DEFAULT_LOCALE) -> dict[str, str]:
    if locale not in _catalogs:
        module: ModuleType = importlib.import_module(f"bot.i18n.{LOCALES.get(locale, locale)}")
        _catalogs[locale] = dict(module.MESSAGES)
    return _catalogs[locale]


def t(key: str, locale: str = DEFAULT_LOCALE, /, **values: Any) -> str:
    """The catalog text ``key`` in ``locale`` with ``values`` filled in (nothing escaped)."""
    messages = catalog(supported(locale))
    template = messages[key]  # a missing key is a programming error: tests check every key used exists
    return template.format(**values) if values else template


__all__ = [
    "DEFAULT_LANGUAGE", "DEFAULT_LOCALE", "LOCALES", "Channel", "Items", "Marketplace", "Message", "Param",
    "Region", "Strong", "User", "catalog", "placeholders", "resolve_locale", "supported", "t",
]


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a catalog template fills (format specs and conversions ignored)."""
    import string

    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}
