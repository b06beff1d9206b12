"""The DM checklist message and the profile-review nudge, as Block Kit (pure functions)."""

from __future__ import annotations

from typing import Any

from bot.flows.checklist import PATHS, PROFILE_STEP, SELLER, STEPS, VENDOR, ChecklistState
from bot.i18n import t
from bot.views.blocks import button, context, header, md, mrkdwn, section
from bot.views.notices import Blocks, renders

OPEN_CREDENTIALS = "open_credentials"
STEP_ACTION = "checklist_step"
PATH_ACTION_PREFIX = "checklist_path_"  # + seller | vendor


def open_credentials_button(label_key: str = "onboarding.checklist.open_credentials") -> dict[str, Any]:
    return button(t(label_key), OPEN_CREDENTIALS, "open", "primary")


def step_title(path: str, step_id: str) -> str:
    return md(f"onboarding.step.{path}.{step_id}.title")


def step_body(path: str, step_id: str) -> str:
    return md(f"onboarding.step.{path}.{step_id}.body")


def checklist_message(state: ChecklistState) -> tuple[str, Blocks]:
    """(fallback text, blocks) of the checklist DM for ``state``."""
    blocks: Blocks = [
        header(t("onboarding.checklist.title")),
        section(md("onboarding.checklist.intro")),
    ]
    path = state.account_type
    if path not in PATHS:
        blocks.append(section(md("onboarding.checklist.choose_path")))
        blocks.append(
            {
                "type": "actions",
                "block_id": "checklist_path",
                "elements": [
                    button(t("onboarding.checklist.path_seller"), PATH_ACTION_PREFIX + SELLER, SELLER),
                    button(t("onboarding.checklist.path_vendor"), PATH_ACTION_PREFIX + VENDOR, VENDOR),
                ],
            }
        )
        blocks.append({"type": "actions", "block_id": "checklist_go", "elements": [open_credentials_button()]})
        return md("onboarding.checklist.fallback_choose"), blocks

    assert path is not None
    blocks.append(
        context(
            md(
                "onboarding.checklist.progress",
                path=md(f"onboarding.path.{path}"),
                done=state.done_count,
                total=state.total,
            )
        )
    )
    for step_id in STEPS[path]:
        done = step_id in state.completed
        option = {"text": mrkdwn(md("onboarding.checklist.done")), "value": step_id}
        checkbox: dict[str, Any] = {"type": "checkboxes", "action_id": STEP_ACTION, "options": [option]}
        if done:
            checkbox["initial_options"] = [option]
        mark = ":white_check_mark:" if done else ":white_large_square:"
        text = f"{mark} *{step_title(path, step_id)}*\n{step_body(path, step_id)}"
        blocks.append(section(text, block_id=f"step_{step_id}", accessory=checkbox))
        if step_id == PROFILE_STEP and done and state.nudge_due_at and state.nudge_sent_at is None:
            blocks.append(
                context(md("onboarding.checklist.nudge_scheduled", date=state.nudge_due_at.date().isoformat()))
            )
    other = VENDOR if path == SELLER else SELLER
    blocks.append({"type": "divider"})
    blocks.append(section(md("onboarding.checklist.ready")))
    blocks.append(
        {
            "type": "actions",
            "block_id": "checklist_actions",
            "elements": [
                open_credentials_button(),
                button(t(f"onboarding.checklist.switch_to_{other}"), PATH_ACTION_PREFIX + other, other),
            ],
        }
    )
    fallback = md(
        "onboarding.checklist.fallback", path=md(f"onboarding.path.{path}"), done=state.done_count, total=state.total
    )
    return fallback, blocks


@renders("checklist_nudge")
def nudge_message(data: dict[str, Any]) -> tuple[str, Blocks]:
    text = md("onboarding.nudge.text")
    return text, [
        section(text),
        {
            "type": "actions",
            "block_id": "nudge_actions",
            "elements": [open_credentials_button("onboarding.nudge.button")],
        },
    ]
