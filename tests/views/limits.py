"""Slack's Block Kit length limits, checked on anything a view builder returns (a view, a message's
blocks, a ``(fallback text, blocks)`` pair, or lists of those), in every language the bot speaks.

Limits (https://api.slack.com/reference/block-kit/blocks, .../composition-objects, .../block-elements,
https://api.slack.com/reference/surfaces/views): section text 3000, a section field 2000, header 150,
context element 2000, button text 75, option text and description 75, option group label 75, input label
2000, input hint 2000, placeholder 150, modal title/submit/close 24, a message's text 40000, 50 blocks in a
message and 100 in a view. slack_sdk's models (``Block.parse``/``View``) check most of these as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from bot.i18n import LOCALES

ALL_LOCALES = sorted(LOCALES)

ELEMENT_TEXT = {"button": 75, "checkboxes": None, "radio_buttons": None, "static_select": None}
OPTION_TEXT = 75
PLACEHOLDER = 150


def _text(obj: Any) -> str | None:
    return obj.get("text") if isinstance(obj, dict) and isinstance(obj.get("text"), str) else None


def _over(where: str, obj: Any, limit: int) -> Iterator[str]:
    text = _text(obj)
    if text is not None and len(text) > limit:
        yield f"{where}: {len(text)} > {limit}: {text[:60]!r}"


def _element(element: Any, where: str) -> Iterator[str]:
    if not isinstance(element, dict):
        return
    kind = element.get("type")
    if kind == "button":
        yield from _over(f"{where} button", element.get("text"), 75)
    yield from _over(f"{where} placeholder", element.get("placeholder"), PLACEHOLDER)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        yield from _over(f"{where} option group", group.get("label"), 75)
        options += group.get("options") or []
    for option in options + list(element.get("initial_options") or []) + [element.get("initial_option")]:
        if isinstance(option, dict):
            yield from _over(f"{where} option", option.get("text"), OPTION_TEXT)
            yield from _over(f"{where} option description", option.get("description"), OPTION_TEXT)
    confirm = element.get("confirm")
    if isinstance(confirm, dict):
        yield from _over(f"{where} confirm title", confirm.get("title"), 100)
        yield from _over(f"{where} confirm text", confirm.get("text"), 300)
        yield from _over(f"{where} confirm button", confirm.get("confirm"), 30)
        yield from _over(f"{where} deny button", confirm.get("deny"), 30)


def block_problems(blocks: list[dict[str, Any]], where: str = "") -> Iterator[str]:
    for i, block in enumerate(blocks):
        here = f"{where}[{i}] {block.get('type')}"
        kind = block.get("type")
        if kind == "section":
            yield from _over(here, block.get("text"), 3000)
            for field in block.get("fields") or []:
                yield from _over(f"{here} field", field, 2000)
            yield from _element(block.get("accessory"), here)
        elif kind == "header":
            yield from _over(here, block.get("text"), 150)
        elif kind == "context":
            for element in block.get("elements") or []:
                yield from _over(f"{here} element", element, 2000)
        elif kind == "actions":
            for element in block.get("elements") or []:
                yield from _element(element, here)
        elif kind == "input":
            yield from _over(f"{here} label", block.get("label"), 2000)
            yield from _over(f"{here} hint", block.get("hint"), 2000)
            yield from _element(block.get("element"), here)


def block_kit_problems(obj: Any, where: str = "") -> list[str]:
    """Every length limit that ``obj`` breaks (empty when it holds)."""
    problems: list[str] = []
    if isinstance(obj, tuple) and len(obj) == 2 and isinstance(obj[0], str) and isinstance(obj[1], list):
        text, blocks = obj
        if len(text) > 40000:
            problems.append(f"{where} fallback text: {len(text)} > 40000")
        return problems + block_kit_problems({"type": "message", "blocks": blocks}, where)
    if isinstance(obj, list | tuple):
        if obj and all(isinstance(b, dict) and "type" in b and b.get("type") not in ("modal", "home", "message")
                       for b in obj):
            if len(obj) > 50:
                problems.append(f"{where}: {len(obj)} blocks > 50")
            return problems + list(block_problems(list(obj), where))
        for i, item in enumerate(obj):
            problems += block_kit_problems(item, f"{where}[{i}]")
        return problems
    if not isinstance(obj, dict):
        return problems
    kind = obj.get("type")
    if kind in ("modal", "home"):
        for key in ("title", "submit", "close"):
            problems += list(_over(f"{where} {kind} {key}", obj.get(key), 24))
        if len(obj.get("blocks") or []) > 100:
            problems.append(f"{where}: more than 100 blocks")
        return problems + list(block_problems(obj.get("blocks") or [], where))
    if kind == "message" or "blocks" in obj:
        if isinstance(obj.get("text"), str) and len(obj["text"]) > 40000:
            problems.append(f"{where} text > 40000")
        if len(obj.get("blocks") or []) > 50:
            problems.append(f"{where}: more than 50 blocks")
        return problems + list(block_problems(obj.get("blocks") or [], where))
    if kind in ("button", "static_select", "checkboxes", "radio_buttons"):  # a lone element
        return list(_element(obj, where))
    if kind in ("section", "header", "context", "actions", "input", "divider"):  # a lone block
        return list(block_problems([obj], where))
    return problems
