"""What the bot says when work it did for someone stopped (``bot.jobs.JobProblem``)."""

from __future__ import annotations

from bot.jobs import JobProblem
from bot.views.blocks import Words, section
from bot.views.notices import Blocks, speaks


@speaks(JobProblem)
def _job_problem(payload: JobProblem, words: Words) -> tuple[str, Blocks]:
    said = words.render(payload.message)  # the fallback text is mrkdwn too: escaped like the blocks
    return str(said), [section(said)]
