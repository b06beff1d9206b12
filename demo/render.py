"""Block Kit as plain text lines: what a person would see in Slack, without Slack.

Pure functions over the JSON the bot sent (messages, modals). Slack's mrkdwn references (``<@U…>``,
``<#C…>``, ``<url|label>``) are resolved with the names the demo knows; a few emoji codes become their
characters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

EMOJI = {
    ":white_check_mark:": "✅", ":x:": "❌", ":warning:": "⚠️", ":hourglass_flowing_sand:": "⏳",
    ":bell:": "🔔", ":lock:": "🔒", ":key:": "🔑", ":rotating_light:": "🚨", ":wave:": "👋",
    ":arrows_counterclockwise:": "🔄", ":information_source:": "ℹ️", ":calendar:": "📅",
    ":hourglass:": "⌛", ":heavy_check_mark:": "✔️", ":link:": "🔗", ":tada:": "🎉",
    ":white_large_square:": "⬜", ":red_circle:": "🔴", ":white_circle:": "⚪", ":large_green_circle:": "🟢",
    ":grey_question:": "❔",
}
_REF = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


class Names:
    """User and channel ids to the names a person sees."""

    def __init__(self, users: Mapping[str, str], channels: Mapping[str, str]) -> None:
        self.users = dict(users)
        self.channels = dict(channels)

    def user(self, user_id: str) -> str:
        return "@" + self.users.get(user_id, user_id)

    def channel(self, channel_id: str) -> str:
        return "#" + self.channels.get(channel_id, channel_id)


def mrkdwn(text: str, names: Names) -> str:
    def ref(m: re.Match[str]) -> str:
        target, label = m.group(1), m.group(2)
        if target.startswith("@"):
            return names.user(target[1:])
        if target.startswith("#"):
            return "#" + label if label else names.channel(target[1:])
        if target.startswith("!"):
            return "@" + (label or target[1:].split("^")[0])
        return f"{label} ({target})" if label and label != target else target

    out = _REF.sub(ref, text)
    for code, char in EMOJI.items():
        out = out.replace(code, char)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any, names: Names) -> str:
    if isinstance(obj, str):
        return mrkdwn(obj, names)
    if not isinstance(obj, Mapping):
        return ""
    return mrkdwn(str(obj.get("text", "")), names)


def _option_label(option: Any, names: Names) -> str:
    return _text((option or {}).get("text"), names) if isinstance(option, Mapping) else ""


def element(el: Mapping[str, Any], names: Names) -> str:
    """One interactive element as a bracketed line fragment."""
    kind = el.get("type")
    if kind == "button":
        style = f" ({el['style']})" if el.get("style") in ("primary", "danger") else ""
        url = f" → {el['url']}" if el.get("url") else ""
        return f"[button: {_text(el.get('text'), names)}{style}{url}]"
    if kind in ("checkboxes", "radio_buttons"):
        chosen = {str(o.get("value")) for o in el.get("initial_options") or []}
        if el.get("initial_option"):
            chosen.add(str(el["initial_option"].get("value")))
        on, off = ("[x]", "[ ]") if kind == "checkboxes" else ("(•)", "( )")
        return "  ".join(f"{on if str(o.get('value')) in chosen else off} {_option_label(o, names)}"
                         for o in el.get("options") or [])
    if kind in ("static_select", "external_select", "users_select", "conversations_select", "channels_select"):
        picked = _option_label(el.get("initial_option"), names)
        shown = picked or _text(el.get("placeholder"), names) or "choose"
        return f"[choose ▾: {shown}]"
    if kind == "datepicker":
        return f"[date: {el.get('initial_date') or _text(el.get('placeholder'), names) or 'pick a date'}]"
    if kind == "plain_text_input":
        value = el.get("initial_value")
        return f"[text: {value}]" if value else f"[text: {_text(el.get('placeholder'), names) or '…'}]"
    if kind == "overflow":
        return "[⋯ " + ", ".join(_option_label(o, names) for o in el.get("options") or []) + "]"
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    if kind in ("mrkdwn", "plain_text"):
        return _text(el, names)
    return f"[{kind}]"


def blocks(items: Any, names: Names) -> list[str]:
    """Every block as one or more plain lines."""
    lines: list[str] = []
    for block in items or []:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "header":
            lines.append(_text(block.get("text"), names).upper())
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "section":
            if block.get("text"):
                lines.extend(_text(block["text"], names).splitlines())
            for f in block.get("fields") or []:
                lines.append("  " + _text(f, names).replace("\n", " "))
            if isinstance(block.get("accessory"), Mapping):
                lines.append("  " + element(block["accessory"], names))
        elif kind == "context":
            lines.append("  " + " · ".join(element(e, names) for e in block.get("elements") or []))
        elif kind == "actions":
            lines.append("  " + "  ".join(element(e, names) for e in block.get("elements") or []))
        elif kind == "input":
            label = _text(block.get("label"), names)
            optional = " (optional)" if block.get("optional") else ""
            lines.append(f"{label}{optional}: {element(block.get('element') or {}, names)}")
            if block.get("hint"):
                lines.append(f"    ({_text(block['hint'], names)})")
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
        elif kind == "rich_text":
            lines.append(_rich_text(block))
        else:
            lines.append(f"[{kind} block]")
    return lines


def _rich_text(block: Mapping[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            if node.get("type") == "text":
                out.append(str(node.get("text", "")))
            for child in node.get("elements") or []:
                walk(child)

    walk(block)
    return "".join(out)


def message(params: Mapping[str, Any], names: Names) -> list[str]:
    """A chat message (chat.postMessage / chat.update / response_url body) as lines."""
    if params.get("blocks"):
        return blocks(params["blocks"], names)
    return mrkdwn(str(params.get("text", "")), names).splitlines()


def view(v: Mapping[str, Any], names: Names) -> list[str]:
    """A modal or App Home view as lines: title, blocks, and its footer buttons."""
    lines = [f"┌ {_text(v.get('title'), names) or 'Home'} ┐"] if v.get("type") == "modal" else []
    lines += blocks(v.get("blocks"), names)
    footer = []
    if v.get("close"):
        footer.append(f"[button: {_text(v['close'], names)}]")
    if v.get("submit"):
        footer.append(f"[button: {_text(v['submit'], names)} (primary)]")
    if footer:
        lines.append("  " + "  ".join(footer))
    return lines
