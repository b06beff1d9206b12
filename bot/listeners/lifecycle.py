"""Slack edge of the lifecycle: /connect-amazon rotate|reauthorize|disconnect NAME, the "Rotate now" and
"Re-authorize" buttons, the rotation modal's submission and the disconnect confirmation buttons.

Every handler acknowledges at once. What needs the trigger_id stays in the web tier, right after the ack:
the rotate/re-authorize modal opens there (``views.open``), after the quick look-up that decides whether
the person may open it (the database and, only for someone who is neither the owner nor listed in
ADMIN_USER_IDS, the one ``users.info`` that says whether they are a workspace admin). Everything else is
a job (``bot.jobs.slack_work``): a refusal or usage note, the renew submission's verification with Amazon
(its new secret travels only in the job's encrypted secrets), the disconnect buttons. The flows get plain
values only.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk.errors import SlackClientError

from bot.flows import authz, rotation
from bot.flows import disconnect as disconnect_flow
from bot.flows.authz import NOT_FOUND_ANY, Lookup, find_target
from bot.flows.ports import Outbox
from bot.flows.rotation import RenewKind
from bot.i18n import Message
from bot.jobs.slack_work import SlackJob, defer, queue_from_listener, work
from bot.listeners.commands import CommandRequest, subcommand
from bot.listeners.context import Actor, actor_of, after_ack, form_values
from bot.payload import first_action, get_str, obj, text
from bot.services import Services
from bot.slack_errors import slack_error
from bot.views import lifecycle as views

log = logging.getLogger(__name__)
MAX_ROW_ID = 2_147_483_647  # ids from payloads beyond a database integer are nobody's


# --- helpers ------------------------------------------------------------------------------------------


def _find(services: Services, who: Actor, *, name: str | None = None, connection_id: int | None = None) -> Lookup:
    """The connection and whether ``who`` may change it: the database first; ``users.info`` (the admin
    flags) only when the database alone refuses someone who might be a workspace admin."""
    plain = find_target(services, team_id=who.team_id, actor=authz.Actor(user_id=who.user_id), name=name,
                        connection_id=connection_id)
    admin_might_help = plain.refusal is not None and plain.refusal.key == "lifecycle.refused"
    if plain.target is not None or not admin_might_help or who.listed:
        return plain
    actor, lookup_error = who.lookup()
    return find_target(services, team_id=who.team_id, actor=actor, name=name, connection_id=connection_id,
                       lookup_error=lookup_error)


def _open_renew(services: Services, client: Any, trigger_id: str, kind: RenewKind, lookup: Lookup,
                who: Actor) -> bool:
    """``views.open`` with the renew modal (web tier: the trigger_id expires in 3 s); False when there is
    no modal to open or Slack refused it (a worker then tells the person)."""
    if lookup.target is None or not trigger_id:
        return False
    try:
        client.views_open(trigger_id=trigger_id,
                          view=views.renew_modal(kind, lookup.target, services.clock().date(), who.words))
    except SlackClientError as exc:
        log.warning("views.open failed: %s", slack_error(exc))
        return False
    return True


def _renew_modal(kind: RenewKind) -> Callable[[Services, CommandRequest, Any], bool]:
    def open_modal(services: Services, request: CommandRequest, client: Any) -> bool:
        if not request.args or not request.user_id:
            return False
        lookup = _find(services, request.actor, name=request.args)
        return _open_renew(services, client, request.trigger_id, kind, lookup, request.actor)

    return open_modal


def _renew_command(kind: RenewKind) -> Callable[[Services, CommandRequest, Any, Any], None]:
    """In a worker: why the modal did not open (usage, not found, not allowed, Slack refused it)."""

    def handler(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
        words = request.actor.words
        if not request.args:
            message = Message(f"lifecycle.usage.{kind.value}")
        else:
            message = _find(services, request.actor, name=request.args).refusal or Message("general.unexpected_error")
        respond(text=words.render(message), response_type="ephemeral")

    return handler


subcommand("rotate", modal=_renew_modal(RenewKind.rotate))(_renew_command(RenewKind.rotate))
subcommand("reauthorize", aliases=("reauth", "re-authorize", "reauthorise"),
           modal=_renew_modal(RenewKind.reauthorize))(_renew_command(RenewKind.reauthorize))


@subcommand("disconnect")
def disconnect_command(services: Services, request: CommandRequest, client: Any, respond: Any) -> None:
    words = request.actor.words
    if not request.args:
        respond(text=words.md("lifecycle.usage.disconnect"), response_type="ephemeral")
        return
    actor, lookup_error = request.actor.lookup()
    lookup = find_target(services, team_id=request.team_id, actor=actor, name=request.args,
                         lookup_error=lookup_error)
    if lookup.target is None:
        respond(text=words.render(lookup.refusal or Message("general.unexpected_error")), response_type="ephemeral")
        return
    text, blocks = views.disconnect_question(lookup.target, words)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def _action_connection_id(body: dict[str, Any]) -> int | None:
    value = first_action(body).get("value")
    if isinstance(value, str) and value.isascii() and value.isdigit() and int(value) <= MAX_ROW_ID:
        return int(value)
    return None


# --- registration (the web tier) ---------------------------------------------------------------------


def register(app: App, services: Services, outbox: Outbox) -> None:
    def renew_button(kind: RenewKind) -> Callable[..., None]:
        def on_click(ack: Ack, body: dict[str, Any], client: Any, context: BoltContext) -> None:
            ack()
            who = actor_of(context)

            def then() -> None:
                connection_id = _action_connection_id(body)
                if connection_id is not None and who.user_id:
                    lookup = _find(services, who, connection_id=connection_id)
                    if _open_renew(services, client, get_str(body, "trigger_id"), kind, lookup, who):
                        return
                queue_from_listener(services, "renew_refused", body, who)

            after_ack(services.after_ack, context, body, then)

        return on_click

    app.action(views.ROTATE_NOW_ACTION)(renew_button(RenewKind.rotate))
    app.action(views.REAUTHORIZE_NOW_ACTION)(renew_button(RenewKind.reauthorize))

    def renew_ack(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        who = actor_of(context)
        words = who.offline().words  # the response_action answer costs no Slack call
        parsed = parse_submission(body)
        if parsed is None:
            failed = rotation.RenewResult(ok=False, headline=Message("general.unexpected_error"))
            ack(response_action="update", view=views.result_modal(RenewKind.rotate, failed, words))
            return
        kind, connection_id, raw, picked = parsed
        errors: dict[str, str] = {}
        _value, error = rotation.validate_new_value(kind, raw)
        if error:
            errors[kind.field] = views.field_error(error, words)
        if kind is RenewKind.rotate:
            _created, date_error = rotation.parse_created_on(picked, services.clock().date())
            if date_error:
                errors[views.CREATED_ON] = views.field_error(date_error, words)
        if errors:
            ack(response_action="errors", errors=errors)
            return
        name = disconnect_flow.connection_name(services, who.team_id, connection_id) or ""
        ack(response_action="update", view=views.verifying_modal(kind, name, words))
        if who.user_id:
            after_ack(services.after_ack, context, body,
                      lambda: queue_from_listener(services, "renew_submit", body, who))

    app.view(views.RENEW_CALLBACK)(renew_ack)
    app.action(views.DISCONNECT_CONFIRM_ACTION)(defer(services, "disconnect_confirm"))
    app.action(views.DISCONNECT_CANCEL_ACTION)(defer(services, "disconnect_cancel"))


def parse_submission(body: dict[str, Any]) -> tuple[RenewKind, int, object, str | None] | None:
    """(kind, connection id, typed value, picked date) from a submission, or None if it is not ours."""
    view = obj(body.get("view"))
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        return None
    meta = obj(meta)
    try:
        kind = RenewKind(text(meta.get("kind")))
    except ValueError:
        return None
    connection_id = meta.get("connection_id")
    if not isinstance(connection_id, int) or isinstance(connection_id, bool) or not 0 < connection_id <= MAX_ROW_ID:
        return None
    values = form_values(view)
    return kind, connection_id, values.get(kind.field) or "", values.get(views.CREATED_ON)


# --- in a worker ----------------------------------------------------------------------------------------


@work("renew_refused")
def renew_refused(services: Services, job: SlackJob) -> None:
    """A "Rotate now"/"Re-authorize now" click whose modal did not open: why."""
    who = job.actor
    connection_id = _action_connection_id(job.body)
    if connection_id is None or not who.user_id:
        message = Message(NOT_FOUND_ANY)
    else:
        message = _find(services, who, connection_id=connection_id).refusal or Message("general.unexpected_error")
    job.respond(text=who.words.render(message), response_type="ephemeral", replace_original=False)


@work("renew_submit")
def renew_submit(services: Services, job: SlackJob) -> None:
    """The rotation/re-authorization: verified with Amazon, saved, the modal updated. Idempotent: the
    flow claims the view's id and hash (a rerun is a duplicate and changes nothing twice); the modal is
    updated from the rerun too (the same result: ``views.update`` by view id)."""
    body = job.body
    parsed = parse_submission(body)
    if parsed is None:
        return
    kind, connection_id, raw, picked = parsed
    value, error = rotation.validate_new_value(kind, raw)
    created_on, date_error = rotation.parse_created_on(picked, services.clock().date())
    if error or value is None or date_error:
        return  # already answered in the ack
    view = obj(body.get("view"))
    who = job.actor
    words = who.words
    actor, lookup_error = who.lookup()
    try:
        result = rotation.renew(
            services, job.outbox, kind=kind, team_id=who.team_id, connection_id=connection_id, actor=actor,
            new_value=value, created_on=created_on, now=services.clock(), lookup_error=lookup_error,
            idempotency_key=hashlib.sha256(f"{view.get('id')}:{view.get('hash')}".encode()).hexdigest(),
        )
    except Exception:  # the modal must not stay on "verifying"; what happened is not known for sure
        log.exception("%s of connection %s failed", kind.value, connection_id)
        result = rotation.RenewResult(ok=False, headline=Message("general.listener_failed"))
    if result.duplicate:
        return
    try:
        job.client.views_update(view_id=view.get("id"), view=views.result_modal(kind, result, words))
    except SlackClientError as exc:
        log.warning("views.update after %s failed: %s", kind.value, type(exc).__name__)


@work("disconnect_confirm")
def disconnect_confirm(services: Services, job: SlackJob) -> None:
    """Disconnect: a rerun finds the connection gone, and its answer is the one already sent."""
    who, body = job.actor, job.body
    words = who.words
    connection_id = _action_connection_id(body)
    if connection_id is None or not who.user_id:
        job.respond(text=words.md(NOT_FOUND_ANY), response_type="ephemeral", replace_original=True)
        return
    actor, lookup_error = who.lookup()
    result = disconnect_flow.disconnect(services, job.outbox, team_id=who.team_id, connection_id=connection_id,
                                        actor=actor, now=services.clock(), lookup_error=lookup_error)
    job.respond(text=words.render(result.message), response_type="ephemeral", replace_original=result.ok)


@work("disconnect_cancel")
def disconnect_cancel(services: Services, job: SlackJob) -> None:
    who, body = job.actor, job.body
    connection_id = _action_connection_id(body)
    name = disconnect_flow.connection_name(services, who.team_id, connection_id) if connection_id else None
    kept = Message("lifecycle.disconnect.kept", name=name) if name else Message(NOT_FOUND_ANY)
    job.respond(text=who.words.render(kept), response_type="ephemeral", replace_original=True)
