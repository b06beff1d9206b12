"""Block Kit for the lifecycle: reminders, health alerts, announcements, the rotation modal and the
disconnect confirmation. Pure functions of plain data; every sentence comes from the catalog."""

from __future__ import annotations

import json
from typing import Any

from bot.flows.leak_guard import exposure_label
from bot.i18n import t
from bot.views.notices import Blocks, renders

RENEW_CALLBACK = "lifecycle_renew"
ROTATE_NOW_ACTION = "rotate_now"
REAUTHORIZE_NOW_ACTION = "reauthorize_now"
DISCONNECT_CONFIRM_ACTION = "disconnect_confirm"
DISCONNECT_CANCEL_ACTION = "disconnect_cancel"
CREATED_ON = "secret_created_on"
INPUT_MAX_LENGTH = {"client_secret": 200, "refresh_token": 2000}

View = dict[str, Any]


def _text(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text[:3000]}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _text(text)}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_text(text)]}


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "text": _plain(text), "action_id": action_id, "value": value}
    if style:
        button["style"] = style
    return button


def _mention(user_id: str | None) -> str:
    return f"<@{user_id}>" if user_id else ""


def _facts(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data.get("name", ""),
        "marketplace": data.get("marketplace", ""),
        "region": data.get("region", ""),
        "expires_on": data.get("expires_on", ""),
        "owner": _mention(data.get("owner")),
        "actor": _mention(data.get("actor")),
    }


def _rotate_actions(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "actions",
        "block_id": "lifecycle_rotate",
        "elements": [_button(t("lifecycle.button.rotate"), ROTATE_NOW_ACTION, str(data.get("connection_id", "")),
                             "primary")],
    }


def _exposure_blocks(data: dict[str, Any]) -> Blocks:
    """While a secret in use was seen in Slack, every notice about the connection says so."""
    exposed = [k for k in data.get("exposed") or () if isinstance(k, str)]
    if not exposed:
        return []
    return [_section(t("lifecycle.exposure.still", name=_facts(data)["name"], what=exposure_label(exposed)))]


# --- notices -----------------------------------------------------------------------------------------


@renders("expiry_reminder")
def expiry_reminder(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    days = data.get("days_left", "")
    text = t("lifecycle.reminder.text", days=days, **f)
    blocks: Blocks = [
        _section(t("lifecycle.reminder.headline", days=days, **f)),
        _section(t("lifecycle.rotate_how", steps=t("lifecycle.rotate_steps"), name=f["name"])),
        _rotate_actions(data),
        *_exposure_blocks(data),
    ]
    return text, blocks


@renders("secret_expired")
def secret_expired(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    blocks: Blocks = [
        _section(t("lifecycle.expired.headline", **f)),
        _section(t("lifecycle.rotate_how", steps=t("lifecycle.rotate_steps"), name=f["name"])),
        _rotate_actions(data),
        *_exposure_blocks(data),
    ]
    return t("lifecycle.expired.text", **f), blocks


def _failing_blocks(data: dict[str, Any], headline: str) -> Blocks:
    blocks: Blocks = [_section(headline)]
    if data.get("cause"):
        blocks.append(_section(t("lifecycle.health.cause", cause=data["cause"])))
    if data.get("next_step"):
        blocks.append(_section(t("lifecycle.health.next_step", next_step=data["next_step"])))
    verdict = data.get("verdict")
    value = str(data.get("connection_id", ""))
    if verdict == "invalid_grant":
        blocks.append({"type": "actions", "block_id": "lifecycle_fix",
                       "elements": [_button(t("lifecycle.button.reauthorize"), REAUTHORIZE_NOW_ACTION, value,
                                            "primary")]})
    elif verdict in ("invalid_client", "secret_expired"):
        blocks.append({"type": "actions", "block_id": "lifecycle_fix",
                       "elements": [_button(t("lifecycle.button.rotate"), ROTATE_NOW_ACTION, value, "primary")]})
    return blocks + _exposure_blocks(data)


@renders("health_failing")
def health_failing(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    text = t("lifecycle.health.failing.text", cause=data.get("cause", ""), **f)
    return text, _failing_blocks(data, t("lifecycle.health.failing.headline", **f))


@renders("health_failing_dm")
def health_failing_dm(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    text = t("lifecycle.health.failing.text", cause=data.get("cause", ""), **{**f, "owner": ""}).strip()
    return text, _failing_blocks(data, t("lifecycle.health.failing_dm.headline", **f))


@renders("health_recovered")
def health_recovered(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return t("lifecycle.health.recovered.text", **f), [_section(t("lifecycle.health.recovered.headline", **f)),
                                                       *_exposure_blocks(data)]


@renders("connection_rotated")
def connection_rotated(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return t("lifecycle.announce.rotated.text", **f), [_section(t("lifecycle.announce.rotated", **f)),
                                                       *_exposure_blocks(data)]


@renders("connection_reauthorized")
def connection_reauthorized(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return t("lifecycle.announce.reauthorized.text", **f), [_section(t("lifecycle.announce.reauthorized", **f)),
                                                            *_exposure_blocks(data)]


@renders("connection_disconnected")
def connection_disconnected(data: dict[str, Any]) -> tuple[str, Blocks]:
    f = _facts(data)
    return t("lifecycle.announce.disconnected.text", **f), [_section(t("lifecycle.announce.disconnected", **f))]


# --- rotation / re-authorization modal ---------------------------------------------------------------


def renew_metadata(kind: str, connection_id: int) -> str:
    """What the modal carries between open and submit: no secret, only which connection and which path."""
    return json.dumps({"kind": kind, "connection_id": connection_id})


def renew_modal(kind: str, target: dict[str, Any], today: str) -> View:
    """The private modal asking only for the new secret (``client_secret`` or ``refresh_token``)."""
    field = "client_secret" if kind == "rotate" else "refresh_token"
    steps = t("lifecycle.rotate_steps" if kind == "rotate" else "lifecycle.reauthorize_steps")
    blocks: Blocks = [
        _section(t(f"lifecycle.modal.intro.{kind}", name=target["name"], marketplace=target["marketplace"],
                   region=target["region"])),
        _section(steps),
        {
            "type": "input",
            "block_id": field,
            "label": _plain(t(f"lifecycle.modal.label.{field}"), 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": field,
                "max_length": INPUT_MAX_LENGTH[field],
                "placeholder": _plain(t(f"lifecycle.modal.placeholder.{field}"), 150),
            },
        },
    ]
    if kind == "rotate":
        blocks.append({
            "type": "input",
            "block_id": CREATED_ON,
            "optional": True,
            "label": _plain(t("lifecycle.modal.label.created_on"), 2000),
            "hint": _plain(t("lifecycle.modal.hint.created_on"), 2000),
            "element": {"type": "datepicker", "action_id": CREATED_ON, "initial_date": today},
        })
    return {
        "type": "modal",
        "callback_id": RENEW_CALLBACK,
        "title": _plain(t(f"lifecycle.modal.title.{kind}"), 24),
        "submit": _plain(t("lifecycle.modal.submit"), 24),
        "close": _plain(t("lifecycle.modal.cancel"), 24),
        "private_metadata": renew_metadata(kind, int(target["connection_id"])),
        "blocks": blocks,
    }


def _info_modal(kind: str, blocks: Blocks) -> View:
    return {
        "type": "modal",
        "callback_id": f"{RENEW_CALLBACK}_result",
        "title": _plain(t(f"lifecycle.modal.title.{kind}"), 24),
        "close": _plain(t("lifecycle.modal.close"), 24),
        "blocks": blocks,
    }


def verifying_modal(kind: str, name: str) -> View:
    return _info_modal(kind, [_section(t("lifecycle.modal.verifying", what=t(f"lifecycle.what.{kind}"),
                                         name=name))])


def result_modal(kind: str, headline: str, cause: str = "", next_step: str = "",
                 announce_problem: str | None = None) -> View:
    blocks: Blocks = [_section(headline)]
    if cause:
        blocks.append(_section(t("lifecycle.result.cause", cause=cause)))
    if next_step:
        blocks.append(_section(t("lifecycle.result.next_step", next_step=next_step)))
    if announce_problem:
        blocks.append(_context(t("lifecycle.result.announce_failed", problem=announce_problem)))
    return _info_modal(kind, blocks)


# --- disconnect confirmation -------------------------------------------------------------------------


def disconnect_question(target: dict[str, Any]) -> tuple[str, Blocks]:
    """The ephemeral question with a confirm dialog on the button (Block Kit ``confirm``)."""
    name = target["name"]
    value = str(target["connection_id"])
    question = t("lifecycle.disconnect.question", name=name, marketplace=target["marketplace"],
                 region=target["region"])
    confirm = {
        "title": _plain(t("lifecycle.disconnect.confirm_title", name=name), 100),
        "text": _plain(t("lifecycle.disconnect.confirm_text"), 300),
        "confirm": _plain(t("lifecycle.disconnect.confirm_yes"), 30),
        "deny": _plain(t("lifecycle.disconnect.keep"), 30),
        "style": "danger",
    }
    danger = _button(t("lifecycle.disconnect.button"), DISCONNECT_CONFIRM_ACTION, value, "danger")
    danger["confirm"] = confirm
    blocks: Blocks = [
        _section(question),
        {"type": "actions", "block_id": "lifecycle_disconnect",
         "elements": [danger, _button(t("lifecycle.disconnect.keep"), DISCONNECT_CANCEL_ACTION, value)]},
    ]
    return question, blocks
