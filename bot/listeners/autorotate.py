"""``/connect-amazon autorotate NAME on|off`` and the "Rotate now via Amazon" button (bot.flows.autorotate_request).

Both answer privately; only the connection's owner or an admin may change it (bot.flows.authz decides).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows import autorotate_request as flow
from bot.flows.ports import Outbox
from bot.i18n import Message
from bot.jobs.rotation_queue import request_rotation
from bot.listeners.commands import CommandRequest, subcommand
from bot.listeners.context import actor_of
from bot.payload import first_action, get_str
from bot.response_url import GuardedRespond
from bot.services import Services
from bot.views.autorotate import ROTATE_VIA_AMAZON_ACTION

log = logging.getLogger(__name__)

MAX_ROW_ID = 2**62
SWITCH = {"on": True, "off": False}


def parse_args(args: str) -> tuple[str, bool] | None:
    """(name, on) from ``NAME on|off`` (the switch is the last word, any case), or None."""
    parts = args.rsplit(None, 1)
    if len(parts) != 2 or parts[1].lower() not in SWITCH:
        return None
    return parts[0], SWITCH[parts[1].lower()]


@subcommand("autorotate")
def autorotate_command(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
    words = request.actor.words
    parsed = parse_args(request.args)
    if parsed is None:
        respond(text=words.render(Message("lifecycle.autorotate.command.usage")), response_type="ephemeral")
        return
    name, on = parsed
    actor, lookup_error = request.actor.lookup()
    try:
        message = flow.set_autorotate(services, team_id=request.team_id, actor=actor, name=name, on=on,
                                      now=services.clock(), lookup_error=lookup_error)
    except Exception:
        log.exception("autorotate for team %s failed", request.team_id)
        message = Message("lifecycle.autorotate.command.failed")
    respond(text=words.render(message), response_type="ephemeral")


def register(app: App, services: Services, outbox: Outbox) -> None:
    def ack_only(ack: Ack) -> None:
        ack()

    def rotate_via_amazon(body: dict[str, Any], client: Any, respond: Any, context: BoltContext) -> None:
        who = actor_of(context)
        value = first_action(body).get("value")
        connection_id = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and \
            int(value) <= MAX_ROW_ID else None
        if connection_id is None or not who.user_id:
            message = Message("lifecycle.not_found_any")
        else:
            actor, lookup_error = who.lookup()
            try:
                message = flow.rotate_now(services, team_id=who.team_id, actor=actor, connection_id=connection_id,
                                          now=services.clock(), enqueue=request_rotation, lookup_error=lookup_error)
            except Exception:
                log.exception("rotate via Amazon for team %s failed", who.team_id)
                message = Message("lifecycle.autorotate.command.failed")
        if not isinstance(respond, GuardedRespond):
            channel = get_str(body, "channel", "id") or get_str(body, "channel_id")
            respond = GuardedRespond(response_url=None, client=client, user_id=who.user_id or None,
                                     channel_id=channel or None)
        respond(text=who.words.render(message), response_type="ephemeral", replace_original=False)

    app.action(ROTATE_VIA_AMAZON_ACTION)(ack=ack_only, lazy=[rotate_via_amazon])
