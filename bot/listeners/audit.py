"""``/connect-amazon audit [NAME]``: the audit trail, ephemerally, for admins only.

Who may see it is ``bot.flows.authz.may_administer``: the people in ADMIN_USER_IDS and the workspace's
admins and owners (``users.info`` ``is_admin`` / ``is_owner`` / ``is_primary_owner``). Everyone else gets a
clear refusal and sees nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from bot.flows.audit import load_trail
from bot.flows.authz import clean_name, may_administer
from bot.i18n import Message
from bot.listeners.commands import CommandRequest, subcommand
from bot.services import Services
from bot.views.audit import audit_trail, refusal

log = logging.getLogger(__name__)

MAX_NAME = 80


@dataclass(frozen=True)
class AuditQuery:
    """What the person asked for, as plain values."""

    team_id: str
    user_id: str
    name: str | None  # None: every connection of the workspace


def parse_audit_args(team_id: str, user_id: str, args: str) -> AuditQuery | Message:
    """The query, or the meaning of the sentence that says what is wrong with the text."""
    name = clean_name(args or "")
    if len(name) > MAX_NAME:
        return Message("guard.audit.name_too_long")
    return AuditQuery(team_id=team_id, user_id=user_id, name=name or None)


@subcommand("audit")
def audit_command(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
    def say(text: str, blocks: list[dict[str, Any]] | None = None) -> None:
        respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)

    words = request.actor.words
    query = parse_audit_args(request.team_id, request.user_id, request.args)
    if isinstance(query, Message):
        say(refusal(query, words))
        return
    actor, lookup_error = request.actor.lookup()  # no Slack call for ADMIN_USER_IDS
    if not may_administer(actor, services.settings.admin_user_ids):
        if lookup_error is not None:
            say(refusal(Message("guard.audit.lookup_failed", error=lookup_error), words))
            return
        log.info("audit trail refused to %s (not an admin)", request.user_id)
        say(refusal(Message("guard.audit.refused"), words))
        return
    rows, name, truncated = load_trail(services, query.team_id, query.name)
    text, blocks = audit_trail(rows, name, words, truncated=truncated)
    say(text, blocks)
