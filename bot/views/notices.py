"""Renders flow ``Notice``s into (fallback text, blocks).

Each notice kind has one renderer, registered with ``@renders("kind")`` in the views module of
the feature that owns it; ``render`` looks it up. Renderers are pure functions of ``notice.data``.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

from bot.flows.ports import Notice

Blocks = list[dict[str, Any]]
Renderer = Callable[[dict[str, Any]], tuple[str, Blocks]]

_RENDERERS: dict[str, Renderer] = {}


def renders(kind: str) -> Callable[[Renderer], Renderer]:
    def decorator(fn: Renderer) -> Renderer:
        if kind in _RENDERERS and _RENDERERS[kind] is not fn:
            raise ValueError(f"notice kind {kind!r} already has a renderer")
        _RENDERERS[kind] = fn
        return fn

    return decorator


def render(notice: Notice) -> tuple[str, Blocks]:
    _load_feature_views()
    try:
        renderer = _RENDERERS[notice.kind]
    except KeyError:
        raise LookupError(f"no renderer for notice kind {notice.kind!r}") from None
    return renderer(notice.data)


def known_kinds() -> set[str]:
    _load_feature_views()
    return set(_RENDERERS)


@functools.cache
def _load_feature_views() -> None:
    """Import every views module once, so their ``@renders`` decorators have run."""
    import bot.views as package

    for info in pkgutil.iter_modules(package.__path__):
        if info.name != "notices":
            importlib.import_module(f"bot.views.{info.name}")
