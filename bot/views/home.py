"""The App Home tab: the user's checklist progress and the team's connections, in the reader's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.flows.checklist import STEPS, ChecklistState
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message
from bot.views.blocks import Markup, Words, header, section
from bot.views.checklist import open_credentials_button, step_title
from bot.views.connections import connections_blocks
from bot.views.notices import Blocks


def home_view(state: ChecklistState, summaries: list[ConnectionSummary], words: Words,
              today: date | None = None) -> dict[str, Any]:
    blocks: Blocks = [
        header(words.text("onboarding.home.title")),
        section(words.md("onboarding.home.intro")),
        header(words.text("onboarding.home.progress_title")),
    ]
    if state.account_type in STEPS:
        path = state.account_type
        assert path is not None
        lines = [
            (":white_check_mark: " if s in state.completed else ":white_large_square: ") + step_title(words, path, s)
            for s in STEPS[path]
        ]
        progress = words.md("onboarding.checklist.progress", path=Message(f"onboarding.path.{path}"),
                            done=state.done_count, total=state.total)
        blocks.append(section(Markup(progress + "\n" + "\n".join(lines))))
    else:
        blocks.append(section(words.md("onboarding.home.not_started")))
    blocks.append({"type": "actions", "block_id": "home_actions", "elements": [open_credentials_button(words)]})
    blocks.append({"type": "divider"})
    blocks.append(header(words.text("onboarding.home.connections_title")))
    blocks.extend(connections_blocks(summaries, words, today))
    return {"type": "home", "blocks": blocks[:100]}
