"""What the bot says when work it did for someone stopped (``bot.jobs.JobProblem``)."""

from __future__ import annotations

from bot.jobs import JobProblem
from bot.views.blocks import Words, section
from bot.views.notices import Blocks, speaks


@speaks(JobProblem)
def job_problem(payload: JobProblem, words: Words) -> tuple[str, Blocks]:
    return words.text(payload.message), [section(words.render(payload.message))]
