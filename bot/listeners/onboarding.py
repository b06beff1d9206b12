"""The Slack edge of onboarding: /connect-amazon start|status|help, the DM checklist, the credential
modal and its result views.

Each listener acks first (Slack's 3-second rule) and queues its work as a job (``bot.jobs.slack_work``):
a worker turns the payload into plain values, calls ``bot.flows`` and sends Block Kit built by
``bot.views``. Only "Enter credentials" opens its modal in the web tier (``views.open`` needs the
trigger_id). A credential submission is acked with the "verifying" view (``response_action``) and queued
as a job (``bot.jobs.verify``): a worker verifies it with Amazon, saves it and updates the modal.
"""

from __future__ import annotations

import logging
import re
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.flows import checklist as checklist_flow
from bot.flows import onboarding as flow
from bot.flows.ports import Outbox
from bot.i18n import Message
from bot.jobs.slack_work import SlackJob, defer, work
from bot.jobs.verify import enqueue_verification, unexpected
from bot.listeners.commands import SUBCOMMANDS, CommandRequest, subcommand
from bot.listeners.context import Actor, actor_of, after_ack, form_values
from bot.payload import first_action, get_str, obj, selected_option_values, text
from bot.services import Services
from bot.slack_errors import slack_error
from bot.views.blocks import Words
from bot.views.checklist import OPEN_CREDENTIALS, PATH_ACTION_PREFIX, STEP_ACTION, checklist_message
from bot.views.connections import status_message
from bot.views.credentials import (
    CALLBACK_ID,
    CANCEL_ACTION,
    CONFIRM_ACTION,
    RETRY_ACTION,
    credentials_modal,
    field_errors,
    form_locale,
    outcome_view,
    refused_view,
    verifying_view,
)
from bot.views.help import help_message

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- the checklist DM


def send_checklist(services: Services, client: WebClient, team_id: str, user_id: str, words: Words,
                   once: AbstractContextManager[bool] | None = None) -> None:
    """Post the user's checklist (with saved progress) as a new DM and remember where it is. ``once``
    claims the DM first (a job that runs again sends none)."""
    with services.db.session() as session:
        state = checklist_flow.load_state(session, team_id, user_id)
    text, blocks = checklist_message(words, state)
    channel = client.conversations_open(users=user_id)["channel"]["id"]
    with once if once is not None else nullcontext(True) as first:
        if not first:
            log.info("the checklist DM to %s was sent by an earlier run of this job", user_id)
            return
        posted = client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
    with services.db.session(write=True) as session:
        checklist_flow.remember_dm(session, team_id, user_id, posted["channel"], posted["ts"], services.clock())


def _update_checklist(services: Services, client: WebClient, state: checklist_flow.ChecklistState,
                      body: dict[str, Any], words: Words) -> None:
    channel = get_str(body, "container", "channel_id") or get_str(body, "channel", "id") or state.dm_channel
    ts = get_str(body, "container", "message_ts") or state.dm_ts
    text, blocks = checklist_message(words, state)
    if not channel or not ts:
        return
    client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
    if (channel, ts) != (state.dm_channel, state.dm_ts):
        with services.db.session(write=True) as session:
            checklist_flow.remember_dm(session, state.team_id, state.user_id, channel, ts, services.clock())


# --------------------------------------------------------------------------- subcommands


def _start_ack(request: CommandRequest) -> str:
    return request.actor.words.md("onboarding.start.ack")


@subcommand("start", ack_text=_start_ack)
def start(services: Services, request: CommandRequest, client: WebClient, respond: Any) -> None:
    words = request.actor.words
    if not request.actor.may_connect(services.settings.connect_allowed):
        respond(text=words.md("onboarding.start.refused"), response_type="ephemeral")
        return
    request.send_note(respond, _start_ack(request))  # when the ack could not carry it
    try:
        send_checklist(services, client, request.team_id, request.user_id, words,
                       once=request.once(services, "checklist-dm"))
    except SlackClientError as exc:
        log.warning("could not DM the checklist to %s: %s", request.user_id, slack_error(exc))
        respond(text=words.md("onboarding.start.dm_failed", error=slack_error(exc)), response_type="ephemeral")


@subcommand("status")
def status(services: Services, request: CommandRequest, client: WebClient, respond: Any) -> None:
    with services.db.session() as session:
        summaries = flow.list_summaries(session, request.team_id)
    text, blocks = status_message(summaries, request.actor.words, services.clock().date())
    respond(text=text, blocks=blocks, response_type="ephemeral")


@subcommand("help")
def help_(services: Services, request: CommandRequest, client: WebClient, respond: Any) -> None:
    text, blocks = help_message(request.actor.words, SUBCOMMANDS.keys())
    respond(text=text, blocks=blocks, response_type="ephemeral")


# --------------------------------------------------------------------------- the modal


def register(app: App, services: Services, outbox: Outbox) -> None:
    connect_allowed = services.settings.connect_allowed

    def open_form(client: WebClient, body: dict[str, Any], actor: Actor) -> None:
        team_id, user_id = actor.team_id, actor.user_id
        trigger_id = text(body.get("trigger_id"))
        if not actor.may_connect(connect_allowed):
            client.views_open(trigger_id=trigger_id, view=refused_view(actor.words))
            return
        with services.db.session() as session:
            state = checklist_flow.load_state(session, team_id, user_id)
        prefill = flow.Prefill(account_type=state.account_type)
        client.views_open(trigger_id=trigger_id, view=credentials_modal(actor.words, prefill, services.clock().date()))

    @app.view(CALLBACK_ID)  # before the actions: a burst of submissions matches it first
    def on_submit(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        view = obj(body.get("view"))
        actor = actor_of(context)
        actor.assume_locale(form_locale(view))  # the form's own language: no read before the ack
        team_id, user_id = actor.team_id, actor.user_id
        raw = form_values(view)
        form = flow.check_form(raw, services.clock().date())
        if form.ok:
            clash = flow.name_clash(services.db.plain_reads(), team_id, form)  # before the ack: the lightest read
            if clash:
                form.errors["connection_name"] = Message("onboarding.form.name_taken_field", name=clash[:80])
        if not form.ok:
            ack(response_action="errors", errors=field_errors(actor.words, form.errors))
            return
        ack(response_action="update", view=verifying_view(actor.words))

        def then() -> None:  # the verification runs in a worker (bot.jobs.verify): it shows the outcome here
            try:
                enqueue_verification(services, team_id=team_id, user_id=user_id, view_id=text(view.get("id")),
                                     view_hash=text(view.get("hash")), raw=raw, today=services.clock().date(),
                                     locale=actor.locale)
            except Exception:  # nothing was queued: the modal must not stay on "verifying"
                log.exception("queueing the verification for team %s failed", team_id)
                failed = outcome_view(actor.words, unexpected(form.prefill()))
                client.views_update(view_id=text(view.get("id")), view=failed)

        after_ack(services.after_ack, context, body, then)

    @app.action(OPEN_CREDENTIALS)
    def on_open_credentials(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        ack()
        after_ack(services.after_ack, context, body, lambda: open_form(client, body, actor_of(context)))

    app.action(re.compile(f"^{PATH_ACTION_PREFIX}(seller|vendor)$"))(defer(services, "checklist_path"))
    app.action(STEP_ACTION)(defer(services, "checklist_step"))

    app.action(RETRY_ACTION)(defer(services, "credentials_retry"))
    app.action(CONFIRM_ACTION)(defer(services, "reconnect_confirm"))
    app.action(CANCEL_ACTION)(defer(services, "reconnect_cancel"))


# --------------------------------------------------------------------------- in a worker


@work("checklist_path")
def choose_path(services: Services, job: SlackJob) -> None:
    actor, body = job.actor, job.body
    path = text(first_action(body).get("action_id"))[len(PATH_ACTION_PREFIX):]
    if path not in ("seller", "vendor"):
        return
    with services.db.session(write=True) as session:
        state = checklist_flow.choose_path(session, actor.team_id, actor.user_id, path, services.clock())
    _update_checklist(services, job.client, state, body, actor.words)


@work("checklist_step")
def tick_step(services: Services, job: SlackJob) -> None:
    actor, body = job.actor, job.body
    action = first_action(body)
    block_id = text(action.get("block_id"))
    if not block_id.startswith("step_"):
        return
    step_id = block_id[len("step_"):]
    done = step_id in selected_option_values(action)
    with services.db.session(write=True) as session:
        state = checklist_flow.set_step(session, actor.team_id, actor.user_id, step_id, done, services.clock())
    _update_checklist(services, job.client, state, body, actor.words)


@work("credentials_retry")
def retry_form(services: Services, job: SlackJob) -> None:
    view = obj(job.body.get("view"))
    prefill = flow.Prefill.from_json(text(view.get("private_metadata")))
    form = credentials_modal(job.actor.words, prefill, services.clock().date())
    job.client.views_update(view_id=text(view.get("id")), view=form)


@work("reconnect_confirm")
def confirm_reconnect(services: Services, job: SlackJob) -> None:
    """The reconnect the person confirmed. A rerun finds the pending row used up (``confirm_pending``
    answers it) and updates the same modal: one connection, one announcement."""
    actor, body = job.actor, job.body
    view_id = get_str(body, "view", "id")
    pending_id = text(first_action(body).get("value"))
    job.client.views_update(view_id=view_id, view=verifying_view(actor.words))
    try:
        outcome = flow.confirm_pending(services, job.outbox, pending_id, actor.team_id, actor.user_id, actor.lookup)
    except Exception:  # the modal must not stay on "verifying"; what happened is not known for sure
        log.exception("confirming a reconnect for team %s failed", actor.team_id)
        outcome = flow.SubmissionOutcome(kind=flow.OutcomeKind.ERROR, cause=Message("general.listener_failed"))
    if outcome is not None:
        job.client.views_update(view_id=view_id, view=outcome_view(actor.words, outcome))


@work("reconnect_cancel")
def cancel_reconnect(services: Services, job: SlackJob) -> None:
    actor, body = job.actor, job.body
    pending_id = text(first_action(body).get("value"))
    outcome = flow.cancel_pending(services.db, pending_id, actor.team_id, actor.user_id)
    job.client.views_update(view_id=get_str(body, "view", "id"), view=outcome_view(actor.words, outcome))
