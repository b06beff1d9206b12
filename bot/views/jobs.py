"""What the bot says when work it did for someone stopped (``bot.jobs.JobProblem``), and a submission's
result as a DM when its modal was closed (``bot.jobs.verify.SubmissionResult``)."""

from __future__ import annotations

from bot.jobs import JobProblem
from bot.jobs.verify import SubmissionResult
from bot.views.blocks import Words, section
from bot.views.credentials import outcome_view
from bot.views.notices import Blocks, speaks


@speaks(JobProblem)
def _job_problem(payload: JobProblem, words: Words) -> tuple[str, Blocks]:
    said = words.render(payload.message)  # the fallback text is mrkdwn too: escaped like the blocks
    return str(said), [section(said)]


@speaks(SubmissionResult)
def _submission_result(payload: SubmissionResult, words: Words) -> tuple[str, Blocks]:
    """The result view's words as a DM (its buttons only work in the modal: they are left out)."""
    view = outcome_view(words, payload.outcome)
    blocks = [b for b in view.get("blocks", []) if b.get("type") != "actions"]
    first = next((b["text"]["text"] for b in blocks if isinstance(b.get("text"), dict)), "")
    return str(first), blocks
