"""``/connect-amazon keys create TOOL CONNECTION...|* [--export]``, ``keys list``, ``keys revoke TOOL``: the
tools' API keys, for admins only (``bot.flows.tool_keys``). Every answer is ephemeral; a new key is shown
only in that answer, to the person who made it."""

from __future__ import annotations

from typing import Any

from bot.flows.tool_keys import parse_keys_command, run_keys_command
from bot.i18n import Message
from bot.listeners.commands import CommandRequest, subcommand
from bot.services import Services
from bot.views.tool_keys import created_key, key_list, keys_sentence


@subcommand("keys")
def keys_command(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
    words = request.actor.words

    def say(answer: tuple[str, list[dict[str, Any]]]) -> None:
        respond(text=answer[0], blocks=answer[1], response_type="ephemeral", replace_original=False)

    command = parse_keys_command(request.args)
    if isinstance(command, Message):
        say(keys_sentence(command, words))
        return
    actor, lookup_error = request.actor.lookup()
    answer = run_keys_command(services, team_id=request.team_id, actor=actor, lookup_error=lookup_error,
                              command=command)
    if answer.created is not None:
        say(created_key(answer.created, words))
    elif answer.listing is not None:
        say(key_list(answer.listing, words))
    elif answer.message is not None:
        say(keys_sentence(answer.message, words))
