"""``/connect-amazon language [zh-CN|en|auto]``: the person's own language (bot.flows.language).

The answer is ephemeral, in the language just chosen (after ``auto``: the person's Slack language again).
"""

from __future__ import annotations

from typing import Any

from bot.flows import language as flow
from bot.listeners.commands import CommandRequest, subcommand
from bot.services import Services
from bot.views.blocks import Words


@subcommand("language", aliases=("lang",))
def language_command(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
    actor = request.actor
    if not request.args:
        result = flow.describe_language(services, team_id=request.team_id, user_id=request.user_id,
                                        locale=actor.locale)
    else:
        result = flow.choose_language(services, team_id=request.team_id, user_id=request.user_id,
                                      value=request.args, now=services.clock())
        if result.outcome in (flow.LanguageOutcome.CHOSEN, flow.LanguageOutcome.FOLLOW_SLACK):
            actor.forget_locale()  # the rest of this request speaks the new language
    words = Words(result.locale) if result.locale is not None else actor.words
    respond(text=words.render(result.message), response_type="ephemeral")
