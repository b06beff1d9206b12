"""The /connect-amazon help answer."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import catalog
from bot.views.blocks import md, section
from bot.views.notices import Blocks

CORE = ("start", "status", "help")


def help_message(subcommands: Iterable[str] = ()) -> tuple[str, Blocks]:
    """The help. Other features' subcommands appear when the catalog has ``onboarding.help.extra.<name>``."""
    lines: list[str] = [md("onboarding.help.intro"), *(md(f"onboarding.help.command.{name}") for name in CORE)]
    messages = catalog()
    for name in sorted(set(subcommands) - set(CORE)):
        key = f"onboarding.help.extra.{name}"
        if key in messages:
            lines.append(messages[key])
    lines.append(md("onboarding.help.outro"))
    return md("onboarding.help.fallback"), [section("\n".join(lines))]
