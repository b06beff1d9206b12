"""The Slack edge: each module handles one kind of listener and has register(app, services, outbox).

``context`` (installed by ``bot.app.build_app``) puts the actor on every request's context and is the
one error handler; the listeners read who and which team from ``context["actor"]``.
"""

from __future__ import annotations

import importlib
import pkgutil

from slack_bolt import App

from bot.flows.ports import Outbox
from bot.services import Services


def import_all() -> None:
    """Import every listener module (their ``@subcommand`` and ``@work`` entries register on import)."""
    import bot.listeners as package

    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        importlib.import_module(f"bot.listeners.{info.name}")


# Registered first, in this order: Bolt tries each request against the listeners in registration order
# until one matches (building the matcher's arguments for each), so the requests that come most often and
# in bursts (the command, the credential form's submission and its button) are matched first. No two
# listeners here match the same request, so the order changes nothing else.
FIRST = ("commands", "onboarding")


def register(app: App, services: Services, outbox: Outbox) -> None:
    """Register every listener module in this package (each defines ``register(app, services, outbox)``),
    ``FIRST`` first, then the rest by name; ``outbox`` is the one the app posts notices through."""
    import bot.listeners as package

    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    for name in [*FIRST, *(n for n in names if n not in FIRST)]:
        module = importlib.import_module(f"bot.listeners.{name}")
        hook = getattr(module, "register", None)
        if callable(hook):
            hook(app, services, outbox)
