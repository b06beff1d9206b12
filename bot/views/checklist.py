"""The DM checklist message and the profile-review nudge, as Block Kit (pure functions of the state and
the reader's ``Words``)."""

from __future__ import annotations

from typing import Any

from bot.flows.checklist import (
    PATHS,
    PROFILE_STEP,
    ROTATION_STEPS,
    SELLER,
    STEPS,
    VENDOR,
    ChecklistNudge,
    ChecklistState,
)
from bot.views.blocks import Markup, Words, button, context, header, mrkdwn, section
from bot.views.notices import Blocks, speaks

OPEN_CREDENTIALS = "open_credentials"
STEP_ACTION = "checklist_step"
PATH_ACTION_PREFIX = "checklist_path_"  # + seller | vendor


def open_credentials_button(words: Words, label_key: str = "onboarding.checklist.open_credentials") -> dict[str, Any]:
    return button(words.text(label_key), OPEN_CREDENTIALS, "open", "primary")


def step_title(words: Words, path: str, step_id: str) -> Markup:
    return words.md(f"onboarding.step.{path}.{step_id}.title")


def step_body(words: Words, path: str, step_id: str) -> Markup:
    return words.md(f"onboarding.step.{path}.{step_id}.body")


def checklist_message(words: Words, state: ChecklistState) -> tuple[str, Blocks]:
    """(fallback text, blocks) of the checklist DM for ``state``."""
    blocks: Blocks = [
        header(words.text("onboarding.checklist.title")),
        section(words.md("onboarding.checklist.intro")),
    ]
    path = state.account_type
    if path not in PATHS:
        blocks.append(section(words.md("onboarding.checklist.choose_path")))
        blocks.append(
            {
                "type": "actions",
                "block_id": "checklist_path",
                "elements": [
                    button(words.text("onboarding.checklist.path_seller"), PATH_ACTION_PREFIX + SELLER, SELLER),
                    button(words.text("onboarding.checklist.path_vendor"), PATH_ACTION_PREFIX + VENDOR, VENDOR),
                ],
            }
        )
        blocks.append({"type": "actions", "block_id": "checklist_go", "elements": [open_credentials_button(words)]})
        return words.md("onboarding.checklist.fallback_choose"), blocks

    assert path is not None
    path_name = words.md(f"onboarding.path.{path}")
    blocks.append(
        context(words.md("onboarding.checklist.progress", path=path_name, done=state.done_count, total=state.total))
    )
    for step_id in STEPS[path]:
        done = step_id in state.completed
        blocks.append(_step_block(words, step_id, done, step_title(words, path, step_id),
                                  step_body(words, path, step_id)))
        if step_id == PROFILE_STEP and done and state.nudge_due_at and state.nudge_sent_at is None:
            blocks.append(context(words.md("onboarding.checklist.nudge_scheduled", date=state.nudge_due_at.date())))
    blocks.append({"type": "divider"})
    blocks.append(section(words.md("onboarding.checklist.rotation.intro")))
    for step_id in ROTATION_STEPS:
        blocks.append(_step_block(words, step_id, step_id in state.completed,
                                  words.md(f"onboarding.step.rotation.{step_id}.title"),
                                  words.md(f"onboarding.step.rotation.{step_id}.body")))
    other = VENDOR if path == SELLER else SELLER
    blocks.append({"type": "divider"})
    blocks.append(section(words.md("onboarding.checklist.ready")))
    blocks.append(
        {
            "type": "actions",
            "block_id": "checklist_actions",
            "elements": [
                open_credentials_button(words),
                button(words.text(f"onboarding.checklist.switch_to_{other}"), PATH_ACTION_PREFIX + other, other),
            ],
        }
    )
    fallback = words.md("onboarding.checklist.fallback", path=path_name, done=state.done_count, total=state.total)
    return fallback, blocks


def _step_block(words: Words, step_id: str, done: bool, title: Markup, body: Markup) -> dict[str, Any]:
    option = {"text": mrkdwn(words.md("onboarding.checklist.done")), "value": step_id}
    checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": STEP_ACTION, "options": [option]}
    if done:
        checkbox["initial_options"] = [option]
    mark = ":white_check_mark:" if done else ":white_large_square:"
    return section(f"{mark} *{title}*\n{body}", block_id=f"step_{step_id}", accessory=checkbox)


@speaks(ChecklistNudge)
def nudge_message(payload: ChecklistNudge, words: Words) -> tuple[str, Blocks]:
    text = words.md("onboarding.nudge.text")
    return text, [
        section(text),
        {
            "type": "actions",
            "block_id": "nudge_actions",
            "elements": [open_credentials_button(words, "onboarding.nudge.button")],
        },
    ]
