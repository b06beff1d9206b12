"""The /connect-amazon help answer."""

from __future__ import annotations

from collections.abc import Iterable

from bot.i18n import catalog, t
from bot.views.notices import Blocks

CORE = ("start", "status", "help")


def help_message(subcommands: Iterable[str] = ()) -> tuple[str, Blocks]:
    """The help. Other features' subcommands appear when the catalog has ``onboarding.help.extra.<name>``."""
    lines = [t("onboarding.help.intro")] + [t(f"onboarding.help.command.{name}") for name in CORE]
    messages = catalog()
    for name in sorted(set(subcommands) - set(CORE)):
        key = f"onboarding.help.extra.{name}"
        if key in messages:
            lines.append(messages[key])
    lines.append(t("onboarding.help.outro"))
    return t("onboarding.help.fallback"), [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}}]
