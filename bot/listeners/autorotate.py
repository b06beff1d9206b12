"""``/connect-amazon autorotate NAME on|off`` and the "Rotate now via Amazon" button (bot.flows.autorotate_request).

Both answer privately; only the connection's owner or an admin may change it (bot.flows.authz decides).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from slack_bolt import App

from bot.flows import autorotate_request as flow
from bot.flows.ports import Outbox
from bot.i18n import Message
from bot.jobs.rotation_queue import request_rotation
from bot.jobs.slack_work import SlackJob, defer, work
from bot.listeners.commands import CommandRequest, subcommand
from bot.payload import first_action
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
    app.action(ROTATE_VIA_AMAZON_ACTION)(defer(services, "rotate_via_amazon"))


def _click_time(body: dict[str, Any], fallback: datetime) -> datetime:
    """When the person clicked (Slack's ``action_ts``): the same on every run of the job, so a rerun after a
    crash asks Amazon once (the rotation request is queued once per minute of the click)."""
    action_ts = first_action(body).get("action_ts")
    try:
        clicked = datetime.fromtimestamp(float(action_ts), tz=UTC) if isinstance(action_ts, str) else None
    except (ValueError, OverflowError):
        clicked = None
    return clicked if clicked is not None and abs(clicked - fallback) < timedelta(hours=1) else fallback


@work("rotate_via_amazon")
def rotate_via_amazon(services: Services, job: SlackJob) -> None:
    who, body = job.actor, job.body
    value = first_action(body).get("value")
    connection_id = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() and \
        int(value) <= MAX_ROW_ID else None
    if connection_id is None or not who.user_id:
        message = Message("lifecycle.not_found_any")
    else:
        actor, lookup_error = who.lookup()
        try:
            message = flow.rotate_now(services, team_id=who.team_id, actor=actor, connection_id=connection_id,
                                      now=_click_time(body, services.clock()), enqueue=request_rotation,
                                      lookup_error=lookup_error)
        except Exception:
            log.exception("rotate via Amazon for team %s failed", who.team_id)
            message = Message("lifecycle.autorotate.command.failed")
    job.respond(text=who.words.render(message), response_type="ephemeral", replace_original=False)
