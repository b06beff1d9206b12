"""The meanings flows return: a :class:`Message` (a catalog key and its parameters) and the typed references
its parameters may be, with their one JSON form for the database (a connection's last problem, an audit
detail, a stored outcome, a job's notice).

No catalogs here, so storage can write meanings without importing the bot's words; ``bot.i18n``
re-exports every name and holds the catalogs that turn meanings into words.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Union


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
