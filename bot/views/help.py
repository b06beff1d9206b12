"""The /connect-amazon help answer."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import catalog
from bot.views.blocks import Words, section
from bot.views.notices import Blocks

CORE = ("start", "status", "help")


def help_message(words: Words, subcommands: Iterable[str] = ()) -> tuple[str, Blocks]:
    """The help. Other features' subcommands appear when the catalog has ``onboarding.help.extra.<name>``."""
    lines: list[str] = [words.md("onboarding.help.intro"), *(words.md(f"onboarding.help.command.{name}")
                                                              for name in CORE)]
    messages = catalog(words.locale)
    for name in sorted(set(subcommands) - set(CORE)):
        key = f"onboarding.help.extra.{name}"
        if key in messages:
            lines.append(words.md(key))
    lines.append(words.md("onboarding.help.outro"))
    return words.md("onboarding.help.fallback"), [section("\n".join(lines))]
