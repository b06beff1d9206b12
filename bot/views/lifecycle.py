"""Block Kit for the lifecycle: reminders, health alerts, announcements, the rotation modal and the
disconnect confirmation. Pure functions of typed facts and the reader's ``Words``; every sentence comes
from the catalog."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.amazon.validators import INPUT_MAX_LENGTH
from bot.flows.leak_guard import exposure_label
from bot.flows.lifecycle_notices import (
    AboutConnection,
    ConnectionDisconnected,
    ConnectionReauthorized,
    ConnectionRotated,
    ExpiryReminder,
    SecretExpired,
)
from bot.flows.rotation import RenewKind, RenewResult
from bot.flows.summary import ConnectionSummary
from bot.i18n import Items, Marketplace, Message, Region, Strong
from bot.views.blocks import Markup, Words, button, context, plain, section
from bot.views.notices import Blocks, speaks
from storage.models import SECRET_KINDS

RENEW_CALLBACK = "lifecycle_renew"
ROTATE_NOW_ACTION = "rotate_now"
REAUTHORIZE_NOW_ACTION = "reauthorize_now"
DISCONNECT_CONFIRM_ACTION = "disconnect_confirm"
DISCONNECT_CANCEL_ACTION = "disconnect_cancel"
CREATED_ON = "secret_created_on"

View = dict[str, Any]


# --- notices -----------------------------------------------------------------------------------------


@speaks(ExpiryReminder)
def expiry_reminder(p: ExpiryReminder, words: Words) -> tuple[str, Blocks]:
    facts = _said(p)
    blocks: Blocks = [
        section(words.md("lifecycle.reminder.headline", days=p.days_left, **facts)),
        *_rotate_blocks(p, words),
    ]
    return words.md("lifecycle.reminder.text", days=p.days_left, **facts), blocks


@speaks(SecretExpired)
def secret_expired(p: SecretExpired, words: Words) -> tuple[str, Blocks]:
    facts = _said(p)
    blocks: Blocks = [section(words.md("lifecycle.expired.headline", **facts)), *_rotate_blocks(p, words)]
    return words.md("lifecycle.expired.text", **facts), blocks


@speaks(ConnectionRotated)
def connection_rotated(p: ConnectionRotated, words: Words) -> tuple[str, Blocks]:
    facts = {**_said(p), "actor": p.actor}
    return words.md("lifecycle.announce.rotated.text", **facts), [
        section(words.md("lifecycle.announce.rotated", **facts)), *still_exposed_blocks(p, words)]


@speaks(ConnectionReauthorized)
def connection_reauthorized(p: ConnectionReauthorized, words: Words) -> tuple[str, Blocks]:
    facts = {**_said(p), "actor": p.actor}
    return words.md("lifecycle.announce.reauthorized.text", **facts), [
        section(words.md("lifecycle.announce.reauthorized", **facts)), *still_exposed_blocks(p, words)]


@speaks(ConnectionDisconnected)
def connection_disconnected(p: ConnectionDisconnected, words: Words) -> tuple[str, Blocks]:
    facts = {**_said(p), "actor": p.actor}
    return words.md("lifecycle.announce.disconnected.text", **facts), [
        section(words.md("lifecycle.announce.disconnected", **facts))]


def _said(c: AboutConnection) -> dict[str, object]:
    """A connection's facts as catalog parameters (the views render names, places, dates and people)."""
    return {"name": c.name, "marketplace": c.marketplace, "region": c.region, "expires_on": c.expires_on,
            "owner": c.owner}


def still_exposed_blocks(c: AboutConnection, words: Words) -> Blocks:
    """While a secret in use was seen in Slack, every notice about the connection says so."""
    if not any(k in SECRET_KINDS for k in c.exposed):
        return []
    return [section(words.md("lifecycle.exposure.still", name=c.name, what=exposure_label(c.exposed)))]


def _rotate_blocks(c: AboutConnection, words: Words) -> Blocks:
    """How to rotate, the "Rotate now" button (and "Rotate now via Amazon" when the rotation queue is
    configured), and the exposure warning (reminders and the expired alert)."""
    elements = [button(words.text("lifecycle.button.rotate"), ROTATE_NOW_ACTION, str(c.connection_id), "primary")]
    if getattr(c, "via_amazon", False):
        from bot.views.autorotate import via_amazon_button

        elements.append(via_amazon_button(c.connection_id, words))
    return [
        section(words.md("lifecycle.rotate_how", steps=Message("lifecycle.rotate_steps"), name=c.name)),
        {"type": "actions", "block_id": "lifecycle_rotate", "elements": elements},
        *still_exposed_blocks(c, words),
        *exporters_blocks(getattr(c, "exporters", ()), words),
    ]


def exporters_blocks(exporters: tuple[str, ...], words: Words) -> Blocks:
    """The tools that fetched the current secret (``keys create --export``) must be given the new one."""
    if not exporters:
        return []
    return [section(words.md("guard.keys.reminder.exporters", tools=Items(tuple(Strong(t) for t in exporters))))]


# --- rotation / re-authorization modal ---------------------------------------------------------------


def renew_metadata(kind: str, connection_id: int) -> str:
    """What the modal carries between open and submit: no secret, only which connection and which path."""
    return json.dumps({"kind": kind, "connection_id": connection_id})


def renew_modal(kind: RenewKind, target: ConnectionSummary, today: date, words: Words) -> View:
    """The private modal asking only for the new secret (``client_secret`` or ``refresh_token``)."""
    field = kind.field
    steps = "lifecycle.rotate_steps" if kind is RenewKind.rotate else "lifecycle.reauthorize_steps"
    blocks: Blocks = [
        section(words.md(f"lifecycle.modal.intro.{kind.value}", name=target.name,
                         marketplace=Marketplace(target.marketplace_id), region=Region(target.region))),
        section(words.md(steps)),
        {
            "type": "input",
            "block_id": field,
            "label": plain(words.text(f"lifecycle.modal.label.{field}"), 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": field,
                "max_length": INPUT_MAX_LENGTH[field],
                "placeholder": plain(words.text(f"lifecycle.modal.placeholder.{field}"), 150),
            },
        },
    ]
    if kind is RenewKind.rotate:
        blocks.append({
            "type": "input",
            "block_id": CREATED_ON,
            "optional": True,
            "label": plain(words.text("lifecycle.modal.label.created_on"), 2000),
            "hint": plain(words.text("lifecycle.modal.hint.created_on"), 2000),
            # Slack's datepicker takes an ISO date, whatever the reader's language.
            "element": {"type": "datepicker", "action_id": CREATED_ON, "initial_date": today.isoformat()},
        })
    return {
        "type": "modal",
        "callback_id": RENEW_CALLBACK,
        "title": plain(words.text(f"lifecycle.modal.title.{kind.value}"), 24),
        "submit": plain(words.text("lifecycle.modal.submit"), 24),
        "close": plain(words.text("lifecycle.modal.cancel"), 24),
        "private_metadata": renew_metadata(kind.value, target.id),
        "blocks": blocks,
    }


def field_error(error: Message | str, words: Words) -> str:
    """A form field's error for ``response_action: errors`` (plain text; Slack shows it as typed)."""
    return words.text(error) if isinstance(error, Message) else error


def _info_modal(kind: RenewKind, blocks: Blocks, words: Words) -> View:
    return {
        "type": "modal",
        "callback_id": f"{RENEW_CALLBACK}_result",
        "title": plain(words.text(f"lifecycle.modal.title.{kind.value}"), 24),
        "close": plain(words.text("lifecycle.modal.close"), 24),
        "blocks": blocks,
    }


def verifying_modal(kind: RenewKind, name: str, words: Words) -> View:
    return _info_modal(kind, [section(words.md("lifecycle.modal.verifying", what=kind.what, name=name))], words)


def result_modal(kind: RenewKind, result: RenewResult, words: Words) -> View:
    """The modal after a rotation or re-authorization: the headline, then why and what to do, or the notes."""
    headline = words.render(result.headline)
    if result.notes:
        headline = Markup(" ".join([headline, *(words.render(note) for note in result.notes)]))
    blocks: Blocks = [section(headline)]
    if result.cause:
        blocks.append(section(words.md("lifecycle.result.cause", cause=result.cause)))
    if result.next_step:
        blocks.append(section(words.md("lifecycle.result.next_step", next_step=result.next_step)))
    if result.announce_problem:
        blocks.append(context(words.md("lifecycle.result.announce_failed", problem=result.announce_problem)))
    return _info_modal(kind, blocks, words)


# --- disconnect confirmation -------------------------------------------------------------------------


def disconnect_question(target: ConnectionSummary, words: Words) -> tuple[str, Blocks]:
    """The ephemeral question with a confirm dialog on the button (Block Kit ``confirm``)."""
    value = str(target.id)
    question = words.md("lifecycle.disconnect.question", name=target.name,
                        marketplace=Marketplace(target.marketplace_id), region=Region(target.region))
    confirm = {
        "title": plain(words.text("lifecycle.disconnect.confirm_title", name=target.name), 100),
        "text": plain(words.text("lifecycle.disconnect.confirm_text"), 300),
        "confirm": plain(words.text("lifecycle.disconnect.confirm_yes"), 30),
        "deny": plain(words.text("lifecycle.disconnect.keep"), 30),
        "style": "danger",
    }
    danger = button(words.text("lifecycle.disconnect.button"), DISCONNECT_CONFIRM_ACTION, value, "danger")
    danger["confirm"] = confirm
    blocks: Blocks = [
        section(question),
        {"type": "actions", "block_id": "lifecycle_disconnect",
         "elements": [danger, button(words.text("lifecycle.disconnect.keep"), DISCONNECT_CANCEL_ACTION, value)]},
    ]
    return question, blocks
