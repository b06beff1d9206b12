"""/connect-amazon and its subcommands.

The command is acknowledged at once (Slack's 3-second rule) with the subcommand's short note;
its work then runs as a Bolt lazy listener. Routing is one dict on the first word (``SUBCOMMANDS``):
adding a subcommand is one ``@subcommand("name")`` entry, in whichever listeners module owns the
feature. Handlers answer in the reader's language: ``request.actor.words``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.ports import Outbox
from bot.listeners.context import Actor, actor_of, team_id_of, user_id_of
from bot.payload import get_str
from bot.services import Services

log = logging.getLogger(__name__)

COMMAND = "/connect-amazon"


@dataclass(frozen=True)
class CommandRequest:
    """The parts of a slash command payload a subcommand needs, as plain values."""

    team_id: str
    user_id: str
    channel_id: str
    trigger_id: str
    response_url: str
    args: str  # the text after the subcommand name, trimmed; never echoed to a channel
    actor: Actor  # who sent it (team_id and user_id above are its ids)


# handler(services, request, client, respond) -> None; runs after the ack.
Handler = Callable[[Services, CommandRequest, Any, Any], None]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: Handler
    ack_text: Callable[[CommandRequest], str | None]  # ephemeral note sent with the ack, or None


# The dispatch point: first word of the command text (lowercased) -> its entry; filled by @subcommand.
SUBCOMMANDS: dict[str, Subcommand] = {}
DEFAULT_SUBCOMMAND = "start"
HELP_SUBCOMMAND = "help"


def subcommand(name: str, *, aliases: tuple[str, ...] = (), ack_text: Callable[[CommandRequest], str | None]
               = lambda _r: None) -> Callable[[Handler], Handler]:
    def decorator(fn: Handler) -> Handler:
        entry = Subcommand(name=name, handler=fn, ack_text=ack_text)
        for key in (name, *aliases):
            SUBCOMMANDS[key] = entry
        return fn

    return decorator


def parse(text: str | None) -> tuple[Subcommand | None, str]:
    """Split the command text into its subcommand and arguments; unknown words give (None, '')."""
    words = (text if isinstance(text, str) else "").strip().split(None, 1)
    name = words[0].lower() if words else DEFAULT_SUBCOMMAND
    rest = words[1].strip() if len(words) > 1 else ""
    entry = SUBCOMMANDS.get(name)
    if entry is None:
        return None, ""
    return entry, rest


def to_request(body: dict[str, Any], args: str, actor: Actor | None = None) -> CommandRequest:
    """The command as plain values; ``actor`` is the request's (``context["actor"]``)."""
    if actor is None:
        actor = Actor(user_id=user_id_of(body), team_id=team_id_of(body), client=None, admin_user_ids=())
    return CommandRequest(
        team_id=actor.team_id,
        user_id=actor.user_id,
        channel_id=get_str(body, "channel_id"),
        trigger_id=get_str(body, "trigger_id"),
        response_url=get_str(body, "response_url"),
        args=args,
        actor=actor,
    )


def register(app: App, services: Services, outbox: Outbox) -> None:
    def resolve(body: dict[str, Any], context: BoltContext) -> tuple[Subcommand, CommandRequest]:
        entry, args = parse(body.get("text"))
        if entry is None:
            entry, args = SUBCOMMANDS[HELP_SUBCOMMAND], ""
        return entry, to_request(body, args, actor_of(context))

    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        entry, request = resolve(body, context)
        note = entry.ack_text(request)
        if note:
            ack(text=note, response_type="ephemeral")
        else:
            ack()

    def work(body: dict[str, Any], client: Any, respond: Any, context: BoltContext) -> None:
        entry, request = resolve(body, context)
        entry.handler(services, request, client, respond)

    app.command(COMMAND)(ack=acknowledge, lazy=[work])
