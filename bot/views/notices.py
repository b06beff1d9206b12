"""Renders flow ``Notice``s into (fallback text, blocks) in the reader's language.

Each payload type has one renderer, registered with ``@speaks(PayloadType)`` in the views module of
the feature that owns it; ``render(notice, words)`` looks it up. Renderers are pure functions of the
payload and the reader's ``Words``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from bot.flows.ports import Notice, Payload
from bot.views.blocks import Words

Blocks = list[dict[str, Any]]
Speaker = Callable[[Any, Words], tuple[str, Blocks]]

_SPEAKERS: dict[type[Payload], Speaker] = {}


def speaks(payload_type: type[Payload]) -> Callable[[Speaker], Speaker]:
    def decorator(fn: Speaker) -> Speaker:
        if payload_type in _SPEAKERS and _SPEAKERS[payload_type] is not fn:
            raise ValueError(f"payload {payload_type.__name__} already has a renderer")
        _SPEAKERS[payload_type] = fn
        return fn

    return decorator


def render(notice: Notice, words: Words) -> tuple[str, Blocks]:
    """The notice in the reader's language: (fallback text, blocks)."""
    _load_feature_views()
    try:
        speaker = _SPEAKERS[type(notice.payload)]
    except KeyError:
        raise LookupError(f"no renderer for payload {type(notice.payload).__name__}") from None
    return speaker(notice.payload, words)


def known_kinds() -> set[str]:
    _load_feature_views()
    return {t.KIND for t in _SPEAKERS}


@functools.cache
def _load_feature_views() -> None:
    """Import every views module once, so their ``@speaks`` decorators have run."""
    import bot.views as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "notices":
            importlib.import_module(f"bot.views.{info.name}")
