"""The leak guard's Slack edge: ``message`` events (new and edited) in channels the bot is in.

Bolt acknowledges the event at once; the web tier parses it (a message that is not a person's is dropped
there, so the bot's own posts queue nothing) and queues the scan as a job (``leak_guard``, one per
``event_id``; the message's text travels only in the job's encrypted secrets). The parsing below turns
an Events API body into a plain :class:`PostedMessage` and never raises, whatever the body holds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.flows.leak_guard import MAX_SCAN_CHARS, LeakWarning, PostedMessage, handle_message
from bot.flows.ports import Outbox
from bot.jobs.slack_work import SlackJob, queue_from_listener, work
from bot.listeners.context import actor_of, after_ack
from bot.services import Services
from bot.views.leak_guard import warning_message

log = logging.getLogger(__name__)

# Subtypes that carry no new text from a person (or remove text).
_SKIPPED_SUBTYPES = frozenset(
    {"message_deleted", "message_replied", "channel_join", "channel_leave", "group_join", "group_leave",
     "assistant_app_thread", "ekm_access_denied"}
)
_MAX_DEPTH = 24
_MAX_LEAVES = 5_000


def _string_leaves(value: Any, depth: int = 0) -> Iterator[str]:
    """Every string inside a blocks/attachments/files structure (rich text, fields, fallbacks, urls)."""
    if depth > _MAX_DEPTH:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _string_leaves(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _string_leaves(item, depth + 1)


def message_texts(message: dict[str, Any]) -> tuple[str, ...]:
    """The texts a person can read in one message: text, blocks, attachments, file titles; capped in size."""
    texts: list[str] = []
    budget = MAX_SCAN_CHARS
    leaves = 0
    text = message.get("text")
    sources: list[Any] = [text] if isinstance(text, str) else []
    sources += [message.get(key) for key in ("blocks", "attachments", "files")]
    for source in sources:
        for leaf in _string_leaves(source):
            leaves += 1
            if budget <= 0 or leaves > _MAX_LEAVES:
                return tuple(texts)
            if leaf:
                texts.append(leaf[:budget])
                budget -= len(texts[-1])
    return tuple(texts)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def parse_message_event(
    body: Any, *, bot_user_id: str | None = None, bot_id: str | None = None
) -> PostedMessage | None:
    """A message event as plain values, or None when it is not a person's (or another app's) channel message."""
    if not isinstance(body, dict):
        return None
    event = body.get("event")
    if not isinstance(event, dict) or event.get("type") != "message":
        return None
    subtype = _str(event.get("subtype"))
    if subtype in _SKIPPED_SUBTYPES:
        return None
    previous: dict[str, Any] = {}
    message: Any = event
    if subtype == "message_changed":
        message = event.get("message")
        prev = event.get("previous_message")
        previous = prev if isinstance(prev, dict) else {}
    if not isinstance(message, dict):
        return None
    user = _str(message.get("user")) or _str(event.get("user"))
    message_bot = _str(message.get("bot_id")) or _str(event.get("bot_id"))
    if (bot_user_id and user == bot_user_id) or (bot_id and message_bot == bot_id):
        return None  # our own posts and edits
    channel = _str(event.get("channel"))
    if channel is None:
        return None
    texts = message_texts(message)
    if not texts:
        return None
    team = _str(body.get("team_id")) or _str(event.get("team")) or _str(message.get("team")) or ""
    ts = _str(message.get("ts")) or _str(event.get("ts")) or _str(event.get("event_ts")) or ""
    thread_ts = _str(message.get("thread_ts"))
    return PostedMessage(
        team_id=team,
        channel_id=channel,
        user_id=user,
        ts=ts,
        event_id=_str(body.get("event_id")) or "",
        texts=texts,
        previous_texts=message_texts(previous) if previous else (),
        thread_ts=thread_ts if thread_ts and thread_ts != ts else None,
        edited=subtype == "message_changed",
    )


def register(app: App, services: Services, outbox: Outbox) -> None:
    def acknowledge(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        message = parse_message_event(body, bot_user_id=context.bot_user_id, bot_id=context.bot_id)
        if message is None:
            log.debug("leak guard: event %s is not a person's channel message; skipped", body.get("event_id"))
            return
        extra = {"bot_user_id": context.bot_user_id, "bot_id": context.bot_id}
        after_ack(services.after_ack, context, body,
                  lambda: queue_from_listener(services, "leak_guard", body, actor_of(context), extra=extra))

    app.event("message")(acknowledge)


@work("leak_guard")
def guard(services: Services, job: SlackJob) -> None:
    """The scan. Idempotent: ``handle_message`` records the event before it warns (a rerun is a
    duplicate: no second warning, no second alert)."""
    body, client = job.body, job.client
    event_id = body.get("event_id")
    bot_user_id, bot_id = job.extra.get("bot_user_id"), job.extra.get("bot_id")
    message = parse_message_event(body, bot_user_id=bot_user_id if isinstance(bot_user_id, str) else None,
                                  bot_id=bot_id if isinstance(bot_id, str) else None)
    if message is None:
        return
    words = job.actor.words  # the poster's language (the channel alert is worded by the outbox)

    def warn(warning: LeakWarning) -> None:
        text, blocks = warning_message(warning, words)
        kwargs: dict[str, Any] = {"thread_ts": warning.thread_ts} if warning.thread_ts else {}
        client.chat_postEphemeral(
            channel=warning.channel_id, user=warning.user_id, text=text, blocks=blocks, **kwargs
        )

    outcome = handle_message(services.db, services.crypto, job.outbox, message, now=services.clock(), warn=warn)
    log.debug(
        "leak guard: event %s done: found=%s duplicate=%s warned=%s exposed=%d",
        event_id, ",".join(outcome.found) or "nothing", outcome.duplicate, outcome.warned, len(outcome.exposed),
    )
