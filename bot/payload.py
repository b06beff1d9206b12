"""Typed reads of Slack payload fields: a field of the wrong JSON type reads as missing, never raises.

HTTP requests are shape-checked before Bolt sees them (bot/server.py); Socket Mode envelopes are not, so
the listeners read every field through these, whatever mode they run in.
"""

from __future__ import annotations

from typing import Any


def obj(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def text(value: Any) -> str:
    """``value`` if it is a string, else ``""`` (a number or an object is not an id or a name)."""
    return value if isinstance(value, str) else ""


def get_str(value: Any, *path: str) -> str:
    """The string at ``path`` inside nested objects (``get_str(body, "user", "id")``), else ``""``."""
    for key in path:
        value = obj(value).get(key)
    return text(value)


def first_action(body: Any) -> dict[str, Any]:
    """The first entry of ``actions`` if it is an object, else an empty one."""
    actions = obj(body).get("actions")
    return obj(actions[0]) if isinstance(actions, list) and actions else {}


def state_values(view: Any) -> dict[str, dict[str, dict[str, Any]]]:
    """``view.state.values`` as {block_id: {action_id: element state}}, keeping only well-typed entries."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, actions in obj(obj(obj(view).get("state")).get("values")).items():
        kept = {action_id: state for action_id, state in obj(actions).items() if isinstance(state, dict)}
        if kept:
            out[block_id] = kept
    return out


def selected_value(state: dict[str, Any]) -> str | None:
    """What an input holds, by its type: a select's option value, a date, or a text input's value."""
    kind = state.get("type")
    if kind in ("static_select", "radio_buttons"):
        value = obj(state.get("selected_option")).get("value")
    elif kind == "datepicker":
        value = state.get("selected_date")
    else:
        value = state.get("value")
    return value if isinstance(value, str) else None


def selected_option_values(state: dict[str, Any]) -> list[str]:
    """The values of a checkboxes element's selected options (non-objects and non-strings left out)."""
    options = state.get("selected_options")
    if not isinstance(options, list):
        return []
    return [v for v in (obj(o).get("value") for o in options) if isinstance(v, str)]
