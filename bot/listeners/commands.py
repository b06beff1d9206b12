"""/connect-amazon and its subcommands.

The command is acknowledged at once (Slack's 3-second rule) with the subcommand's short note
(``ack_text``) in the person's language when it is known without asking Slack (their choice, or their
Slack locale as a process found it in the last 10 minutes, ``bot.locales``); otherwise the ack goes
without it and the handler, in the worker, which asks Slack, sends it (``request.send_note(respond,
note)``, ephemeral on the response_url) once it knows the note holds (not before a refusal). No Slack
call is made before an ack. Its work then runs in a worker process as a durable job
(``bot.jobs.slack_work``, work ``command``). Routing is one dict on the first word (``SUBCOMMANDS``):
adding a subcommand is one ``@subcommand("name")`` entry, in whichever listeners
module owns the feature::

    @subcommand("status")
    def status(services, request, client, respond) -> None: ...

The handler runs in the worker, with the same signature as ever: ``request`` is rebuilt from the job
(its ``actor`` speaks the person's language: ``request.actor.words``), ``client`` is the worker's Web API
client and ``respond`` answers on the command's response_url (each answer sent once, even when the job
runs again after a crash). A handler must be idempotent in its other effects (``request.once(services, what)``
claims a send first). An exception is retried; a job that keeps failing tells the person.

A subcommand that opens a modal needs Slack's ``trigger_id``, which expires 3 s after the command: give
it ``modal=fn``. ``fn(services, request, client) -> bool`` runs in the web tier right after the ack, with
the trigger_id; it makes the quick look-up that decides which modal and calls ``views.open``, and returns
True when it did. It returns False when there is nothing to open (a refusal, a usage note): the handler
then runs in a worker as usual and explains. Nothing else slow belongs in ``modal``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.ports import Outbox
from bot.jobs.slack_work import SlackJob, claimed, queue_from_listener, work
from bot.listeners.context import Actor, actor_of, after_ack, team_id_of, user_id_of
from bot.payload import get_str
from bot.services import Services

log = logging.getLogger(__name__)

COMMAND = "/connect-amazon"
NOTE_LATER = "note_later"  # in a command job's extra: the ack went without its note; the worker sends it


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
    job_id: int | None = None  # the job it runs in (None in the web tier)
    # The ack went without its note (the person's language was not known in the web tier): the handler
    # sends it (``send_note``) once it knows the note is true, e.g. not before a refusal.
    note_later: bool = False

    def send_note(self, respond: Any, note: str | None) -> None:
        if self.note_later and note:
            respond(text=note, response_type="ephemeral")

    def once(self, services: Services, what: str) -> AbstractContextManager[bool]:
        """``with request.once(services, "dm") as first:`` claims ``what`` for this command before a send
        that a rerun of its job could repeat (``first`` is False when an earlier run claimed it; the claim
        is released when the block raises, so the retry sends it)."""
        key = f"slack:{self.job_id}:{what}" if self.job_id is not None else f"slack:{self.trigger_id}:{what}"
        return claimed(services, key)


# handler(services, request, client, respond) -> None; runs in a worker after the ack.
Handler = Callable[[Services, CommandRequest, Any, Any], None]
# modal(services, request, client) -> True when it opened a modal (web tier, right after the ack).
ModalHook = Callable[[Services, CommandRequest, Any], bool]


@dataclass(frozen=True)
class Subcommand:
    name: str
    handler: Handler
    ack_text: Callable[[CommandRequest], str | None]  # ephemeral note sent with the ack, or None
    modal: ModalHook | None = None  # opens a modal with the trigger_id, in the web tier


# The dispatch point: first word of the command text (lowercased) -> its entry; filled by @subcommand.
SUBCOMMANDS: dict[str, Subcommand] = {}
DEFAULT_SUBCOMMAND = "start"
HELP_SUBCOMMAND = "help"


def no_note(_request: CommandRequest) -> str | None:
    """The ``ack_text`` of a subcommand whose ack says nothing."""
    return None


def subcommand(name: str, *, aliases: tuple[str, ...] = (), ack_text: Callable[[CommandRequest], str | None]
               = no_note, modal: ModalHook | None = None) -> Callable[[Handler], Handler]:
    def decorator(fn: Handler) -> Handler:
        entry = Subcommand(name=name, handler=fn, ack_text=ack_text, modal=modal)
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


def to_request(body: dict[str, Any], args: str, actor: Actor | None = None, job_id: int | None = None
               ) -> CommandRequest:
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
        job_id=job_id,
    )


def resolve(body: dict[str, Any], actor: Actor | None, job_id: int | None = None) -> tuple[Subcommand, CommandRequest]:
    """The subcommand the body names (the help for an unknown word) and its request."""
    entry, args = parse(body.get("text"))
    if entry is None:
        entry, args = SUBCOMMANDS[HELP_SUBCOMMAND], ""
    return entry, to_request(body, args, actor, job_id)


@work("command")
def run_command(services: Services, job: SlackJob) -> None:
    """The worker side: the subcommand's handler, as it ran after the ack before jobs."""
    entry, request = resolve(job.body, job.actor, job.job.id)
    if job.extra.get(NOTE_LATER):
        request = replace(request, note_later=True)
    entry.handler(services, request, job.client, job.respond)


def register(app: App, services: Services, outbox: Outbox) -> None:
    @app.command(COMMAND)
    def on_command(ack: Ack, body: dict[str, Any], client: Any, context: BoltContext) -> None:
        actor = actor_of(context)
        entry, request = resolve(body, actor)
        # The note speaks the person's language. Known without Slack (their choice, or Slack's locale as a
        # process found it lately): it goes with the ack. Not known: the ack goes bare at once, and the handler, in the
        # worker, which asks Slack (users.info), sends it (``request.send_note``); no Slack call before an ack.
        later = entry.ack_text is not no_note and actor.known_locale() is None
        note = None if later else entry.ack_text(request)
        if note:
            ack(text=note, response_type="ephemeral")
        else:
            ack()

        def then() -> None:
            if entry.modal is not None and entry.modal(services, request, client):
                return  # the modal is open: nothing left for a worker
            queue_from_listener(services, "command", body, actor, extra={NOTE_LATER: True} if later else None)

        after_ack(services.after_ack, context, body, then)
