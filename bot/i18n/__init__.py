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
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from types import ModuleType
from typing import Any, Union

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


# --- meanings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class User:
    """A Slack user, shown as a mention."""

    id: str


@dataclass(frozen=True)
class Channel:
    """A Slack conversation, shown as a channel link."""

    id: str


@dataclass(frozen=True)
class Strong:
    """Text someone typed or Amazon returned (a connection name, a store name), shown emphasised."""

    text: str


@dataclass(frozen=True)
class Marketplace:
    """An SP-API marketplace id, shown by its name in the reader's language."""

    id: str


@dataclass(frozen=True)
class Region:
    """An SP-API region code (NA, EU, FE), shown by its name in the reader's language."""

    code: str


@dataclass(frozen=True)
class Items:
    """Several values, joined the way the reader's language lists things."""

    values: tuple[Param, ...]


Param = Union[str, int, date, datetime, User, Channel, Strong, Marketplace, Region, Items, "Message", None]


@dataclass(frozen=True, init=False)
class Message:
    """A catalog key and its parameters: what a flow means, before anyone decides its words.

    ``Message("lifecycle.disconnect.done", name=Strong("Main EU"))``. Parameters are plain values or
    the typed references above; a parameter may itself be a ``Message``. Equal when key and parameters
    are equal, so tests assert meanings (``result.message == Message(...)``) without rendering.
    """

    key: str
    params: Mapping[str, Param]

    def __init__(self, key: str, /, **params: Param) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "params", dict(params))

    def __hash__(self) -> int:
        return hash((self.key, tuple(sorted(self.params))))

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {', '.join(f'{k}={v!r}' for k, v in self.params.items())})"

    # JSON form, for the database (a connection's last problem, an audit detail, a stored outcome).
    def to_json(self) -> str:
        return json.dumps(_encode(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Message:
        value = _decode(json.loads(text))
        if not isinstance(value, Message):
            raise ValueError("not a stored Message")
        return value


def _encode(value: Param) -> Any:
    if isinstance(value, Message):
        return {"$m": value.key, "p": {k: _encode(v) for k, v in value.params.items()}}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Items):
        return {"$items": [_encode(v) for v in value.values]}
    for kind, tag, attr in _REFS:
        if isinstance(value, kind):
            return {tag: getattr(value, attr)}
    return value


def _decode(value: Any) -> Param:
    if isinstance(value, dict):
        if "$m" in value:
            return Message(str(value["$m"]), **{k: _decode(v) for k, v in (value.get("p") or {}).items()})
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$items" in value:
            return Items(tuple(_decode(v) for v in value["$items"]))
        for kind, tag, _attr in _REFS:
            if tag in value:
                ref: Param = kind(str(value[tag]))  # every reference type takes one str
                return ref
        raise ValueError("unknown stored parameter")
    if value is None or isinstance(value, (str, int)):
        return value
    raise ValueError("unknown stored parameter")


_REFS: tuple[tuple[Any, str, str], ...] = (
    (User, "$user", "id"), (Channel, "$channel", "id"), (Strong, "$strong", "text"),
    (Marketplace, "$mkt", "id"), (Region, "$region", "code"),
)


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a catalog template fills (format specs and conversions ignored)."""
    import string

    return {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name}
