"""Block Kit for the lifecycle: reminders, health alerts, announcements, the rotation modal and the
disconnect confirmation. Pure functions of plain data; every sentence comes from the catalog."""

from __future__ import annotations

import json
from typing import Any

from bot.amazon.validators import INPUT_MAX_LENGTH
from bot.flows.leak_guard import exposure_label
from bot.i18n import t
from bot.views.blocks import Markup, button, context, escape, md, mention, plain, section
from bot.views.notices import Blocks, renders

RENEW_CALLBACK = "lifecycle_renew"
ROTATE_NOW_ACTION = "rotate_now"
REAUTHORIZE_NOW_ACTION = "reauthorize_now"
DISCONNECT_CONFIRM_ACTION = "disconnect_confirm"
DISCONNECT_CANCEL_ACTION = "disconnect_cancel"
CREATED_ON = "secret_created_on"

View = dict[str, Any]


def _facts(data: dict[str, Any]) -> dict[str, Markup]:
    """The notice's facts as mrkdwn parameters: values escaped, people as mentions."""
    return {
        "name": escape(data.get("name", "")),
        "marketplace": escape(data.get("marketplace", "")),
        "region": escape(data.get("region", "")),
        "expires_on": escape(data.get("expires_on", "")),
        "owner": mention(data.get("owner")) if data.get("owner") else Markup(""),
        "actor": mention(data.get("actor")) if data.get("actor") else Markup(""),
    }


def _rotate_actions(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "lifecycle_rotate",
        "elements": [button(t("lifecycle.button.rotate"), ROTATE_NOW_ACTION, str(data.get("connection_id", "")),
                             "primary")],
    }


def _exposure_blocks(data: dict[str, Any]) -> Blocks:
    """While a secret in use was seen in Slack, every notice about the connection says so."""
    exposed = [k for k in data.get("exposed") or () if isinstance(k, str)]
    if not exposed:
        return []
    return [section(md("lifecycle.exposure.still", name=_facts(data)["name"], what=exposure_label(exposed)))]


# --- notices -----------------------------------------------------------------------------------------


@renders("expiry_reminder")
def expiry_reminder(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    days = data.get("days_left", "")
    text = md("lifecycle.reminder.text", days=days, **f)
    blocks: Blocks = [
        section(md("lifecycle.reminder.headline", days=days, **f)),
        section(md("lifecycle.rotate_how", steps=md("lifecycle.rotate_steps"), name=f["name"])),
        _rotate_actions(data),
        *_exposure_blocks(data),
    ]
    return text, blocks


@renders("secret_expired")
def secret_expired(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    blocks: Blocks = [
        section(md("lifecycle.expired.headline", **f)),
        section(md("lifecycle.rotate_how", steps=md("lifecycle.rotate_steps"), name=f["name"])),
        _rotate_actions(data),
        *_exposure_blocks(data),
    ]
    return md("lifecycle.expired.text", **f), blocks


@renders("connection_rotated")
def connection_rotated(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return md("lifecycle.announce.rotated.text", **f), [section(md("lifecycle.announce.rotated", **f)),
                                                        *_exposure_blocks(data)]


@renders("connection_reauthorized")
def connection_reauthorized(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return md("lifecycle.announce.reauthorized.text", **f), [section(md("lifecycle.announce.reauthorized", **f)),
                                                             *_exposure_blocks(data)]


@renders("connection_disconnected")
def connection_disconnected(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return md("lifecycle.announce.disconnected.text", **f), [section(md("lifecycle.announce.disconnected", **f))]


# --- rotation / re-authorization modal ---------------------------------------------------------------


def renew_metadata(kind: str, connection_id: int) -> str:
    """What the modal carries between open and submit: no secret, only which connection and which path."""
    return json.dumps({"kind": kind, "connection_id": connection_id})


def renew_modal(kind: str, target: dict[str, Any], today: str) -> View:
    """The private modal asking only for the new secret (``client_secret`` or ``refresh_token``)."""
    field = "client_secret" if kind == "rotate" else "refresh_token"
    steps = md("lifecycle.rotate_steps" if kind == "rotate" else "lifecycle.reauthorize_steps")
    blocks: Blocks = [
        section(md(f"lifecycle.modal.intro.{kind}", name=target["name"], marketplace=target["marketplace"],
                    region=target["region"])),
        section(steps),
        {
            "type": "input",
            "block_id": field,
            "label": plain(t(f"lifecycle.modal.label.{field}"), 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": field,
                "max_length": INPUT_MAX_LENGTH[field],
                "placeholder": plain(t(f"lifecycle.modal.placeholder.{field}"), 150),
            },
        },
    ]
    if kind == "rotate":
        blocks.append({
            "type": "input",
            "block_id": CREATED_ON,
            "optional": True,
            "label": plain(t("lifecycle.modal.label.created_on"), 2000),
            "hint": plain(t("lifecycle.modal.hint.created_on"), 2000),
            "element": {"type": "datepicker", "action_id": CREATED_ON, "initial_date": today},
        })
    return {
        "type": "modal",
        "callback_id": RENEW_CALLBACK,
        "title": plain(t(f"lifecycle.modal.title.{kind}"), 24),
        "submit": plain(t("lifecycle.modal.submit"), 24),
        "close": plain(t("lifecycle.modal.cancel"), 24),
        "private_metadata": renew_metadata(kind, int(target["connection_id"])),
        "blocks": blocks,
    }


def _info_modal(kind: str, blocks: Blocks) -> View:
    return {
        "type": "modal",
        "callback_id": f"{RENEW_CALLBACK}_result",
        "title": plain(t(f"lifecycle.modal.title.{kind}"), 24),
        "close": plain(t("lifecycle.modal.close"), 24),
        "blocks": blocks,
    }


def verifying_modal(kind: str, name: str) -> View:
    return _info_modal(kind, [section(md("lifecycle.modal.verifying", what=md(f"lifecycle.what.{kind}"),
                                          name=name))])


def result_modal(kind: str, headline: str, cause: str = "", next_step: str = "",
                 announce_problem: str | None = None) -> View:
    blocks: Blocks = [section(headline)]
    if cause:
        blocks.append(section(md("lifecycle.result.cause", cause=cause)))
    if next_step:
        blocks.append(section(md("lifecycle.result.next_step", next_step=next_step)))
    if announce_problem:
        blocks.append(context(md("lifecycle.result.announce_failed", problem=announce_problem)))
    return _info_modal(kind, blocks)


# --- disconnect confirmation -------------------------------------------------------------------------


def disconnect_question(target: dict[str, Any]) -> tuple[str, Blocks]:
    """The ephemeral question with a confirm dialog on the button (Block Kit ``confirm``)."""
    name = target["name"]
    value = str(target["connection_id"])
    question = md("lifecycle.disconnect.question", name=name, marketplace=target["marketplace"],
                  region=target["region"])
    confirm = {
        "title": plain(t("lifecycle.disconnect.confirm_title", name=name), 100),
        "text": plain(t("lifecycle.disconnect.confirm_text"), 300),
        "confirm": plain(t("lifecycle.disconnect.confirm_yes"), 30),
        "deny": plain(t("lifecycle.disconnect.keep"), 30),
        "style": "danger",
    }
    danger = button(t("lifecycle.disconnect.button"), DISCONNECT_CONFIRM_ACTION, value, "danger")
    danger["confirm"] = confirm
    blocks: Blocks = [
        section(question),
        {"type": "actions", "block_id": "lifecycle_disconnect",
         "elements": [danger, button(t("lifecycle.disconnect.keep"), DISCONNECT_CANCEL_ACTION, value)]},
    ]
    return question, blocks
