"""Slack edge of the lifecycle: /connect-amazon rotate|reauthorize|disconnect NAME, the "Rotate now" and
"Re-authorize" buttons, the rotation modal's submission and the disconnect confirmation buttons.

Every handler acknowledges at once; Slack calls (users.info, views.open/update) and Amazon run in
Bolt lazy listeners. The flows get plain values only.
"""

from __future__ import annotations

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
from bot.services import Services
from bot.views import lifecycle as views

log = logging.getLogger(__name__)


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
                 is_workspace_owner=bool(user.get("is_owner"))), None


def _target_dict(target: Target) -> dict[str, Any]:
    return {"connection_id": target.connection_id, "name": target.name, "marketplace": target.marketplace,
            "region": target.region}


def _say(respond: Any, client: Any, body: dict[str, Any], text: str, **extra: Any) -> None:
    """An ephemeral answer: via response_url when Slack gave one, else chat.postEphemeral, else a DM."""
    user_id = (body.get("user") or {}).get("id") or body.get("user_id") or ""
    try:
        if body.get("response_url") or (respond is not None and getattr(respond, "response_url", None)):
            respond(text=text, response_type="ephemeral", **extra)
            return
    except Exception as exc:  # noqa: BLE001 - fall back to the Web API
        log.warning("response_url answer failed: %s", type(exc).__name__)
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    try:
        if channel:
            client.chat_postEphemeral(channel=channel, user=user_id, text=text)
        else:
            dm = client.conversations_open(users=user_id)["channel"]["id"]
            client.chat_postMessage(channel=dm, text=text)
    except SlackClientError as exc:
        log.warning("could not answer %s: %s", user_id, type(exc).__name__)


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
    return str((body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id") or "")


def _action_connection_id(body: dict[str, Any]) -> int | None:
    actions = body.get("actions") or [{}]
    value = str(actions[0].get("value") or "")
    return int(value) if value.isdigit() else None


# --- registration -------------------------------------------------------------------------------------


def register(app: App, services: Services) -> None:
    outbox = SlackOutbox(app.client, services.settings.notify_channel)

    def ack_only(ack: Ack) -> None:
        ack()

    def renew_button(kind: RenewKind) -> Callable[..., None]:
        def work(body: dict[str, Any], client: Any, respond: Any) -> None:
            user_id = str((body.get("user") or {}).get("id") or "")
            connection_id = _action_connection_id(body)

            def say(text: str) -> None:
                _say(respond, client, body, text, replace_original=False)

            if connection_id is None:
                say(t("lifecycle.not_found_any"))
                return
            actor, lookup_error = resolve_actor(client, user_id)
            lookup = find_target(services, team_id=_team_id(body), actor=actor, connection_id=connection_id,
                                 lookup_error=lookup_error)
            _open_renew(services, client, str(body.get("trigger_id") or ""), kind, lookup, say)

        return work

    app.action(views.ROTATE_NOW_ACTION)(ack=ack_only, lazy=[renew_button(RenewKind.rotate)])
    app.action(views.REAUTHORIZE_NOW_ACTION)(ack=ack_only, lazy=[renew_button(RenewKind.reauthorize)])

    def parse_submission(body: dict[str, Any]) -> tuple[RenewKind, int, str, str | None]:
        view = body.get("view") or {}
        meta = json.loads(view.get("private_metadata") or "{}")
        kind = RenewKind(meta.get("kind", "rotate"))
        values = (view.get("state") or {}).get("values") or {}
        raw = ((values.get(kind.field) or {}).get(kind.field) or {}).get("value") or ""
        picked = ((values.get(views.CREATED_ON) or {}).get(views.CREATED_ON) or {}).get("selected_date")
        return kind, int(meta.get("connection_id", 0)), raw, picked

    def renew_ack(ack: Ack, body: dict[str, Any]) -> None:
        try:
            kind, connection_id, raw, picked = parse_submission(body)
        except (ValueError, TypeError):
            ack(response_action="errors", errors={"client_secret": t("general.unexpected_error")})
            return
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
        kind, connection_id, raw, picked = parse_submission(body)
        value, error = rotation.validate_new_value(kind, raw)
        created_on, date_error = rotation.parse_created_on(picked, services.clock().date())
        if error or value is None or date_error:
            return  # already answered in the ack
        view = body.get("view") or {}
        user_id = str((body.get("user") or {}).get("id") or "")
        actor, lookup_error = resolve_actor(client, user_id)
        result = rotation.renew(
            services, outbox, kind=kind, team_id=_team_id(body), connection_id=connection_id, actor=actor,
            new_value=value, created_on=created_on, now=services.clock(), lookup_error=lookup_error,
            idempotency_key=f"{view.get('id')}:{view.get('hash')}",
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
        user_id = str((body.get("user") or {}).get("id") or "")
        if connection_id is None:
            _say(respond, client, body, t("lifecycle.not_found_any"), replace_original=True)
            return
        actor, lookup_error = resolve_actor(client, user_id)
        result = disconnect_flow.disconnect(services, outbox, team_id=_team_id(body), connection_id=connection_id,
                                            actor=actor, now=services.clock(), lookup_error=lookup_error)
        _say(respond, client, body, result.message, replace_original=result.ok)

    def disconnect_cancel(body: dict[str, Any], client: Any, respond: Any) -> None:
        connection_id = _action_connection_id(body)
        name = disconnect_flow.connection_name(services, _team_id(body), connection_id) if connection_id else None
        _say(respond, client, body, t("lifecycle.disconnect.kept", name=name or "?"), replace_original=True)

    app.action(views.DISCONNECT_CONFIRM_ACTION)(ack=ack_only, lazy=[disconnect_confirm])
    app.action(views.DISCONNECT_CANCEL_ACTION)(ack=ack_only, lazy=[disconnect_cancel])
