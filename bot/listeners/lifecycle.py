"""Slack edge of the lifecycle: /connect-amazon rotate|reauthorize|disconnect NAME, the "Rotate now" and
"Re-authorize" buttons, the rotation modal's submission and the disconnect confirmation buttons.

Every handler acknowledges at once; Slack calls (users.info, views.open/update) and Amazon run in
Bolt lazy listeners. The flows get plain values only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows import disconnect as disconnect_flow
from bot.flows import rotation
from bot.flows.authz import Actor, Lookup, Target, find_target
from bot.flows.rotation import RenewKind
from bot.i18n import t
from bot.listeners.commands import CommandRequest, subcommand
from bot.outbox import SlackOutbox
from bot.response_url import GuardedRespond
from bot.services import Services
from bot.views import lifecycle as views
from bot.views.blocks import md

log = logging.getLogger(__name__)
MAX_ROW_ID = 2_147_483_647  # ids from payloads beyond a database integer are nobody's


# --- helpers ------------------------------------------------------------------------------------------


def resolve_actor(client: Any, user_id: str) -> tuple[Actor, str | None]:
    """The actor's workspace admin/owner flags from users.info, and the Slack error if that failed."""
    try:
        user = client.users_info(user=user_id).get("user") or {}
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
        log.warning("users.info failed for %s: %s", user_id, error)
        return Actor(user_id=user_id), str(error)
    except SlackClientError as exc:
        log.warning("users.info failed for %s: %s", user_id, type(exc).__name__)
        return Actor(user_id=user_id), type(exc).__name__
    return Actor(user_id=user_id, is_workspace_admin=bool(user.get("is_admin")),
                 is_workspace_owner=bool(user.get("is_owner") or user.get("is_primary_owner"))), None


def _obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: payload parts are never trusted to have a shape."""
    return value if isinstance(value, dict) else {}


def _user_id(body: dict[str, Any]) -> str:
    user = body.get("user")
    value = _obj(user).get("id") if isinstance(user, dict) else body.get("user_id")
    return value if isinstance(value, str) else ""


def _target_dict(target: Target) -> dict[str, Any]:
    return target.facts()


def _say(respond: Any, client: Any, body: dict[str, Any], text: str, **extra: Any) -> None:
    """An ephemeral answer through ``respond``: Bolt's is a GuardedRespond (bot.response_url), which uses the
    response_url only when it is Slack's own, else chat.postEphemeral, else a DM."""
    if not isinstance(respond, GuardedRespond):  # not built by Bolt's middleware: answer with the Web API
        channel = _obj(body.get("channel")).get("id") or body.get("channel_id")
        respond = GuardedRespond(response_url=None, client=client, user_id=_user_id(body) or None,
                                 channel_id=channel if isinstance(channel, str) else None)
    respond(text=text, response_type="ephemeral", **extra)


def _open_renew(services: Services, client: Any, trigger_id: str, kind: RenewKind, lookup: Lookup,
                say: Callable[[str], None]) -> None:
    if lookup.target is None:
        say(lookup.refusal or t("general.unexpected_error"))
        return
    today = services.clock().date().isoformat()
    try:
        client.views_open(trigger_id=trigger_id, view=views.renew_modal(kind.value, _target_dict(lookup.target),
                                                                        today))
    except SlackApiError as exc:
        error = exc.response.get("error", "unknown_error") if exc.response is not None else "unknown_error"
        log.warning("views.open failed: %s", error)
        say(t("general.unexpected_error"))
    except SlackClientError as exc:
        log.warning("views.open failed: %s", type(exc).__name__)
        say(t("general.unexpected_error"))


def _renew_command(kind: RenewKind) -> Callable[[Services, CommandRequest, Any, Any], None]:
    def handler(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
        def say(text: str) -> None:
            respond(text=text, response_type="ephemeral")

        if not request.args:
            say(t(f"lifecycle.usage.{kind.value}"))
            return
        actor, lookup_error = resolve_actor(client, request.user_id)
        lookup = find_target(services, team_id=request.team_id, actor=actor, name=request.args,
                             lookup_error=lookup_error)
        _open_renew(services, client, request.trigger_id, kind, lookup, say)

    return handler


subcommand("rotate")(_renew_command(RenewKind.rotate))
subcommand("reauthorize", aliases=("reauth", "re-authorize", "reauthorise"))(_renew_command(RenewKind.reauthorize))


@subcommand("disconnect")
def disconnect_command(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
    if not request.args:
        respond(text=t("lifecycle.usage.disconnect"), response_type="ephemeral")
        return
    actor, lookup_error = resolve_actor(client, request.user_id)
    lookup = find_target(services, team_id=request.team_id, actor=actor, name=request.args,
                         lookup_error=lookup_error)
    if lookup.target is None:
        respond(text=lookup.refusal or t("general.unexpected_error"), response_type="ephemeral")
        return
    text, blocks = views.disconnect_question(_target_dict(lookup.target))
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _team_id(body: dict[str, Any]) -> str:
    value = _obj(body.get("team")).get("id") or _obj(body.get("user")).get("team_id")
    return value if isinstance(value, str) else ""


def _action_connection_id(body: dict[str, Any]) -> int | None:
    actions = body.get("actions")
    first = _obj(actions[0]) if isinstance(actions, list) and actions else {}
    value = first.get("value")
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ROW_ID:
        return int(value)
    return None


# --- registration -------------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    outbox = SlackOutbox(app.client, services.settings.notify_channel)

    def ack_only(ack: Ack) -> None:
        ack()

    def renew_button(kind: RenewKind) -> Callable[..., None]:
        def work(body: dict[str, Any], client: Any, respond: Any) -> None:
            user_id = _user_id(body)
            connection_id = _action_connection_id(body)

            def say(text: str) -> None:
                _say(respond, client, body, text, replace_original=False)

            if connection_id is None or not user_id:
                say(t("lifecycle.not_found_any"))
                return
            actor, lookup_error = resolve_actor(client, user_id)
            lookup = find_target(services, team_id=_team_id(body), actor=actor, connection_id=connection_id,
                                 lookup_error=lookup_error)
            trigger_id = body.get("trigger_id")
            _open_renew(services, client, trigger_id if isinstance(trigger_id, str) else "", kind, lookup, say)

        return work

    app.action(views.ROTATE_NOW_ACTION)(ack=ack_only, lazy=[renew_button(RenewKind.rotate)])
    app.action(views.REAUTHORIZE_NOW_ACTION)(ack=ack_only, lazy=[renew_button(RenewKind.reauthorize)])

    def parse_submission(body: dict[str, Any]) -> tuple[RenewKind, int, object, str | None] | None:
        """(kind, connection id, typed value, picked date) from a submission, or None if it is not ours."""
        view = _obj(body.get("view"))
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
        except (TypeError, ValueError, RecursionError):
            return None
        meta = _obj(meta)
        try:
            kind = RenewKind(meta.get("kind"))
        except ValueError:
            return None
        connection_id = meta.get("connection_id")
        if not isinstance(connection_id, int) or isinstance(connection_id, bool) or not 0 < connection_id <= MAX_ROW_ID:
            return None
        values = _obj(_obj(view.get("state")).get("values"))
        raw = _obj(_obj(values.get(kind.field)).get(kind.field)).get("value") or ""
        picked = _obj(_obj(values.get(views.CREATED_ON)).get(views.CREATED_ON)).get("selected_date")
        return kind, connection_id, raw, picked if isinstance(picked, str) else None

    def renew_ack(ack: Ack, body: dict[str, Any]) -> None:
        parsed = parse_submission(body)
        if parsed is None:
            ack(response_action="update", view=views.result_modal("rotate", t("general.unexpected_error")))
            return
        kind, connection_id, raw, picked = parsed
        errors: dict[str, str] = {}
        _value, error = rotation.validate_new_value(kind, raw)
        if error:
            errors[kind.field] = error
        if kind is RenewKind.rotate:
            _created, date_error = rotation.parse_created_on(picked, services.clock().date())
            if date_error:
                errors[views.CREATED_ON] = date_error
        if errors:
            ack(response_action="errors", errors=errors)
            return
        name = disconnect_flow.connection_name(services, _team_id(body), connection_id) or ""
        ack(response_action="update", view=views.verifying_modal(kind.value, name))

    def renew_work(body: dict[str, Any], client: Any) -> None:
        parsed = parse_submission(body)
        if parsed is None:
            return
        kind, connection_id, raw, picked = parsed
        value, error = rotation.validate_new_value(kind, raw)
        created_on, date_error = rotation.parse_created_on(picked, services.clock().date())
        if error or value is None or date_error:
            return  # already answered in the ack
        view = _obj(body.get("view"))
        user_id = _user_id(body)
        if not user_id:
            return
        actor, lookup_error = resolve_actor(client, user_id)
        result = rotation.renew(
            services, outbox, kind=kind, team_id=_team_id(body), connection_id=connection_id, actor=actor,
            new_value=value, created_on=created_on, now=services.clock(), lookup_error=lookup_error,
            idempotency_key=hashlib.sha256(f"{view.get('id')}:{view.get('hash')}".encode()).hexdigest(),
        )
        if result.duplicate:
            return
        try:
            client.views_update(view_id=view.get("id"), view=views.result_modal(
                kind.value, result.headline, result.cause, result.next_step, result.announce_problem))
        except SlackClientError as exc:
            log.warning("views.update after %s failed: %s", kind.value, type(exc).__name__)

    app.view(views.RENEW_CALLBACK)(ack=renew_ack, lazy=[renew_work])

    def disconnect_confirm(body: dict[str, Any], client: Any, respond: Any) -> None:
        connection_id = _action_connection_id(body)
        user_id = _user_id(body)
        if connection_id is None or not user_id:
            _say(respond, client, body, t("lifecycle.not_found_any"), replace_original=True)
            return
        actor, lookup_error = resolve_actor(client, user_id)
        result = disconnect_flow.disconnect(services, outbox, team_id=_team_id(body), connection_id=connection_id,
                                            actor=actor, now=services.clock(), lookup_error=lookup_error)
        _say(respond, client, body, result.message, replace_original=result.ok)

    def disconnect_cancel(body: dict[str, Any], client: Any, respond: Any) -> None:
        connection_id = _action_connection_id(body)
        name = disconnect_flow.connection_name(services, _team_id(body), connection_id) if connection_id else None
        _say(respond, client, body, md("lifecycle.disconnect.kept", name=name or "?"), replace_original=True)

    app.action(views.DISCONNECT_CONFIRM_ACTION)(ack=ack_only, lazy=[disconnect_confirm])
    app.action(views.DISCONNECT_CANCEL_ACTION)(ack=ack_only, lazy=[disconnect_cancel])
