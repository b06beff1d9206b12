"""Health checks in words: a connection's last problem (cause, next step) and the health notices
(failing, in the channel and to the owner; recovered), in the reader's language."""

from __future__ import annotations

from bot.flows.problems import Problem, ProblemKind, explain_problem
from bot.flows.sweep.health import HealthFailing, HealthFailingDm, HealthRecovered
from bot.views.blocks import Markup, Words, button, cut, escape, section
from bot.views.lifecycle import REAUTHORIZE_NOW_ACTION, ROTATE_NOW_ACTION, still_exposed_blocks
from bot.views.notices import Blocks, speaks

LEGACY_LIMIT = 500  # a sentence stored by an older version, shown as it was (escaped), at most this long
_FIX: dict[str, tuple[str, str]] = {  # what fixes a failing connection: (button label, action)
    "invalid_grant": ("lifecycle.button.reauthorize", REAUTHORIZE_NOW_ACTION),
    "invalid_client": ("lifecycle.button.rotate", ROTATE_NOW_ACTION),
    "secret_expired": ("lifecycle.button.rotate", ROTATE_NOW_ACTION),
}


def problem_words(problem: Problem | None, words: Words) -> tuple[Markup, Markup]:
    """(cause, next step) of a connection's problem as mrkdwn in the reader's language; empty parts when
    there is nothing to say (no problem, a kind this version does not know). A sentence stored by an
    older version (``legacy``) is its cause, escaped, with no next step."""
    if problem is None:
        return Markup(""), Markup("")
    meaning = explain_problem(problem)
    if meaning is not None:
        return words.render(meaning[0]), words.render(meaning[1])
    if problem.kind == ProblemKind.legacy:
        return Markup(cut(escape(str(problem.params.get("text") or "")), LEGACY_LIMIT)), Markup("")
    return Markup(""), Markup("")


def _facts(p: HealthRecovered, owner: bool = True) -> dict[str, object]:
    return {"name": p.name, "marketplace": p.marketplace, "region": p.region, "expires_on": p.expires_on,
            "owner": p.owner if owner else Markup("")}


def _failing(p: HealthFailing, words: Words, headline_key: str, owner: bool) -> tuple[str, Blocks]:
    cause, next_step = problem_words(p.problem, words)
    text = words.md("lifecycle.health.failing.text", cause=cause, **_facts(p, owner)).strip()
    blocks: Blocks = [section(words.md(headline_key, **_facts(p)))]
    if cause:
        blocks.append(section(words.md("lifecycle.health.cause", cause=cause)))
    if next_step:
        blocks.append(section(words.md("lifecycle.health.next_step", next_step=next_step)))
    fix = _FIX.get(p.problem.kind) if p.problem is not None else None
    if fix is not None:
        label, action = fix
        blocks.append({"type": "actions", "block_id": "lifecycle_fix",
                       "elements": [button(words.text(label), action, str(p.connection_id), "primary")]})
    return text, blocks + still_exposed_blocks(p, words)


@speaks(HealthFailing)
def health_failing(p: HealthFailing, words: Words) -> tuple[str, Blocks]:
    return _failing(p, words, "lifecycle.health.failing.headline", owner=True)


@speaks(HealthFailingDm)
def health_failing_dm(p: HealthFailingDm, words: Words) -> tuple[str, Blocks]:
    return _failing(p, words, "lifecycle.health.failing_dm.headline", owner=False)


@speaks(HealthRecovered)
def health_recovered(p: HealthRecovered, words: Words) -> tuple[str, Blocks]:
    return words.md("lifecycle.health.recovered.text", **_facts(p)), [
        section(words.md("lifecycle.health.recovered.headline", **_facts(p))), *still_exposed_blocks(p, words)]
