"""Sign requests and build request bodies exactly as Slack sends them to an app's HTTP endpoint.

* :func:`sign` gives Slack's v0 headers, the signature made by slack_sdk's own
  ``SignatureVerifier.generate_signature`` (``v0=HMAC_SHA256(secret, "v0:{timestamp}:{body}")``) in
  ``X-Slack-Signature`` with the seconds in ``X-Slack-Request-Timestamp``.
* Slash commands arrive form-encoded; interactions (``block_actions``, ``view_submission``) arrive as a
  form with one ``payload`` field holding JSON; Events API callbacks arrive as a JSON body.
* The ``*_payload`` builders return the same data as dicts, which is what a Socket Mode envelope
  carries (see ``FakeSlack.socket_send_envelope``).
"""

from __future__ import annotations

import json
import secrets
import string
import time
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

TEAM_ID = "T0FAKETEAM"
TEAM_DOMAIN = "fake-team"
APP_ID = "A0FAKEAPP"
BOT_USER_ID = "U0FAKEBOT"
# The deprecated verification token Slack still puts in payloads (not a secret the bot relies on).
VERIFICATION_TOKEN = "fakeVerificationToken0"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(signing_secret: str, body: str, timestamp: int | str | None = None) -> dict[str, str]:
    """Slack's request-signing headers for ``body`` sent at ``timestamp`` (now by default; a string is
    used as given, e.g. to sign for a malformed timestamp)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None  # None only for a missing timestamp
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def new_trigger_id() -> str:
    """A trigger id in Slack's shape, e.g. ``13345224609.738474920.8088930838d88f008e0``."""
    return f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"


def _block_id() -> str:
    alphabet = string.ascii_letters + string.digits + "+="
    return "".join(secrets.choice(alphabet) for _ in range(5))


# ------------------------------------------------------------------------------------------ slash commands


def slash_command_payload(command: str, text: str, user_id: str, team_id: str = TEAM_ID,
                          channel_id: str = "C0TEAM", trigger_id: str | None = None, *,
                          response_url: str = "https://hooks.slack.com/commands/T0FAKETEAM/1/abc",
                          user_name: str = "someone", channel_name: str = "amazon-connections",
                          team_domain: str = TEAM_DOMAIN, api_app_id: str = APP_ID) -> dict[str, str]:
    """The fields of a slash command invocation, in Slack's order (all values are strings)."""
    return {
        "token": VERIFICATION_TOKEN, "team_id": team_id, "team_domain": team_domain,
        "channel_id": channel_id, "channel_name": channel_name, "user_id": user_id,
        "user_name": user_name, "command": command, "text": text, "api_app_id": api_app_id,
        "is_enterprise_install": "false", "response_url": response_url,
        "trigger_id": trigger_id or new_trigger_id(),
    }


def slash_command_body(command: str, text: str, user_id: str, team_id: str = TEAM_ID,
                       channel_id: str = "C0TEAM", trigger_id: str | None = None, *,
                       response_url: str = "https://hooks.slack.com/commands/T0FAKETEAM/1/abc",
                       **extra: str) -> str:
    """The form-encoded body Slack POSTs for a slash command."""
    payload = slash_command_payload(command, text, user_id, team_id, channel_id, trigger_id,
                                    response_url=response_url, **extra)
    return urlencode(payload)


# ------------------------------------------------------------------------------------------ interactions


def _user(user_id: str, team_id: str, user_name: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}


def block_actions_body(payload: dict[str, Any]) -> str:
    """The form body Slack POSTs for an interaction: ``payload=<json>``."""
    return urlencode({"payload": json.dumps(payload, separators=(",", ":"))})


def block_actions_payload(action_id: str, user_id: str, *, value: str | None = None,
                          block_id: str = "actions", action_type: str = "button",
                          selected_option: dict[str, Any] | None = None, team_id: str = TEAM_ID,
                          channel_id: str | None = None, message: dict[str, Any] | None = None,
                          view: dict[str, Any] | None = None, trigger_id: str | None = None,
                          response_url: str | None = None, user_name: str = "someone",
                          api_app_id: str = APP_ID) -> dict[str, Any]:
    """A ``block_actions`` payload for one action, from a message (``channel_id``/``message``) or a
    view (``view``)."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": block_id, "type": action_type,
                              "action_ts": f"{time.time():.6f}"}
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    if value is not None:
        action["value"] = value
    if selected_option is not None:
        action["selected_option"] = selected_option
    payload: dict[str, Any] = {
        "type": "block_actions", "user": _user(user_id, team_id, user_name), "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN, "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": team_id, "domain": TEAM_DOMAIN}, "enterprise": None,
        "is_enterprise_install": False, "actions": [action],
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id")}
        payload["view"] = view
    else:
        ts = (message or {}).get("ts", f"{time.time():.6f}")
        payload["container"] = {"type": "message", "message_ts": ts, "channel_id": channel_id,
                                "is_ephemeral": False}
        payload["channel"] = {"id": channel_id, "name": "amazon-connections"}
        payload["message"] = message or {"type": "message", "ts": ts, "text": ""}
        payload["response_url"] = response_url or f"https://hooks.slack.com/actions/{team_id}/1/abc"
        payload["state"] = {"values": {}}
    return payload


def _find_option(element: dict[str, Any], value: str) -> dict[str, Any]:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    for option in options:
        if option.get("value") == value:
            return option
    known = [o.get("value") for o in options]
    raise ValueError(f"{element.get('action_id')}: no option with value {value!r} (options: {known})")


def _element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One ``state.values`` entry as Slack reports it for ``element`` holding ``value`` (None: empty)."""
    kind = element.get("type")
    state: dict[str, Any] = {"type": kind}
    if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
        state["value"] = None if value is None else str(value)
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = None if value is None else _find_option(element, str(value))
    elif kind == "checkboxes":
        state["selected_options"] = [_find_option(element, str(v)) for v in (value or [])]
    elif kind == "datepicker":
        state["selected_date"] = value
    elif kind == "timepicker":
        state["selected_time"] = value
    elif kind == "users_select":
        state["selected_user"] = value
    elif kind == "conversations_select":
        state["selected_conversation"] = value
    elif kind == "channels_select":
        state["selected_channel"] = value
    else:
        raise ValueError(f"element type {kind!r} is not supported by the payload builder")
    return state


def view_state_values(view: dict[str, Any], values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """``view.state.values`` for ``values`` = {action_id: value}. Every input block is reported
    (empty ones with a null value, as Slack does); other elements only when given a value."""
    result: dict[str, dict[str, Any]] = {}
    used: set[str] = set()
    for block in view.get("blocks", []):
        block_id = block.get("block_id") or _block_id()
        elements: list[dict[str, Any]] = []
        if block.get("type") == "input" and isinstance(block.get("element"), dict):
            elements = [block["element"]]
        elif block.get("type") == "actions":
            elements = [e for e in block.get("elements", []) if e.get("action_id") in values]
        elif isinstance(block.get("accessory"), dict) and block["accessory"].get("action_id") in values:
            elements = [block["accessory"]]
        for element in elements:
            action_id = element.get("action_id") or _block_id()
            result.setdefault(block_id, {})[action_id] = _element_state(element, values.get(action_id))
            used.add(action_id)
    unknown = set(values) - used
    if unknown:
        raise ValueError(f"no element with action_id {sorted(unknown)} in the view")
    return result


def view_submission_payload(view: dict[str, Any], values: dict[str, Any], user_id: str, *,
                            team_id: str = TEAM_ID, trigger_id: str | None = None,
                            user_name: str = "someone", api_app_id: str = APP_ID) -> dict[str, Any]:
    """The ``view_submission`` payload Slack sends when ``user_id`` submits ``view`` (as stored by the
    fake or returned by ``views.open``) with ``values`` = {action_id: value}."""
    submitted = {
        "id": view.get("id", "V0000000000"), "team_id": team_id, "type": view.get("type", "modal"),
        "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""), "state": {"values": view_state_values(view, values)},
        "hash": view.get("hash", f"{int(time.time())}.abcdefgh"), "title": view.get("title"),
        "clear_on_close": view.get("clear_on_close", False),
        "notify_on_close": view.get("notify_on_close", False), "close": view.get("close"),
        "submit": view.get("submit"), "previous_view_id": view.get("previous_view_id"),
        "root_view_id": view.get("root_view_id", view.get("id")), "app_id": api_app_id,
        "external_id": view.get("external_id", ""), "app_installed_team_id": team_id,
        "bot_id": view.get("bot_id", "B0FAKEBOT"),
    }
    return {
        "type": "view_submission", "team": {"id": team_id, "domain": TEAM_DOMAIN},
        "user": _user(user_id, team_id, user_name), "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN, "trigger_id": trigger_id or new_trigger_id(), "view": submitted,
        "response_urls": [], "is_enterprise_install": False, "enterprise": None,
    }


def view_submission_body(view: dict[str, Any], values: dict[str, Any], user_id: str, **kwargs: Any) -> str:
    """The form body (``payload=<json>``) Slack POSTs for a view submission."""
    return block_actions_body(view_submission_payload(view, values, user_id, **kwargs))


# ------------------------------------------------------------------------------------------ events


def event_callback_payload(event: dict[str, Any], event_id: str | None = None, team_id: str = TEAM_ID, *,
                           api_app_id: str = APP_ID, event_time: int | None = None,
                           bot_user_id: str = BOT_USER_ID) -> dict[str, Any]:
    """An Events API ``event_callback`` wrapper around ``event``."""
    return {
        "token": VERIFICATION_TOKEN, "team_id": team_id, "context_team_id": team_id,
        "context_enterprise_id": None, "api_app_id": api_app_id, "event": event, "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()) if event_time is None else event_time,
        "authorizations": [{"enterprise_id": None, "team_id": team_id, "user_id": bot_user_id,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False, "event_context": f"4-{secrets.token_urlsafe(24)}",
    }


def event_callback_body(event: dict[str, Any], event_id: str | None = None, team_id: str = TEAM_ID,
                        **kwargs: Any) -> str:
    """The JSON body Slack POSTs for an Events API callback."""
    return json.dumps(event_callback_payload(event, event_id, team_id, **kwargs))


def url_verification_body(challenge: str) -> str:
    return json.dumps({"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"})


# ------------------------------------------------------------------------------------------ sending


def post_signed(url: str, body: str, signing_secret: str, content_type: str = FORM,
                extra_headers: dict[str, str] | None = None, timestamp: int | None = None,
                timeout: float = 10.0) -> httpx.Response:
    """POST ``body`` to ``url`` with Slack's headers and signature (as Slack's servers do)."""
    headers = {"Content-Type": content_type, "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
               **sign(signing_secret, body, timestamp)}
    headers.update(extra_headers or {})
    return httpx.post(url, content=body.encode(), headers=headers, timeout=timeout)
