"""The Slack edge: each module parses Slack payloads for one kind of listener and has register(app, services)."""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt import App

from bot.services import Services


def register(app: App, services: Services) -> None:
    """Register every listener module in this package (each defines ``register(app, services)``)."""
    import bot.listeners as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"bot.listeners.{info.name}")
        hook = getattr(module, "register", None)
        if callable(hook):
            hook(app, services)
