"""The checklist nudge goes out once, from a `python -m bot sweep` process, as a DM (fake Slack over HTTP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.flows import checklist
from tests.fakes.slack_signing import TEAM_ID
from tests.harness import BotHarness

FRIDAY = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)  # a Friday: 3 business days later is Wednesday


def test_the_profile_review_nudge_is_sent_once_when_due(world: BotHarness) -> None:
    with world.services.db.session() as s:
        checklist.choose_path(s, TEAM_ID, "U0MEMBER", "seller", FRIDAY)
        checklist.set_step(s, TEAM_ID, "U0MEMBER", checklist.PROFILE_STEP, True, FRIDAY)
    world.sweep_here(FRIDAY + timedelta(days=3))  # Monday: not yet
    assert world.dm_post_calls() == []
    out = world.sweep(FRIDAY + timedelta(days=5, hours=1))  # Wednesday, a real sweep process
    assert "checklist nudges sent: 1" in out
    dms = world.dm_post_calls()
    assert len(dms) == 1
    assert world.slack.wait_for("conversations.open").params.get("users") == "U0MEMBER"
    world.sweep_here(FRIDAY + timedelta(days=6))
    assert len(world.dm_post_calls()) == 1


def test_a_failed_nudge_is_retried(world: BotHarness) -> None:
    with world.services.db.session() as s:
        checklist.choose_path(s, TEAM_ID, "U0MEMBER", "vendor", FRIDAY)
        checklist.set_step(s, TEAM_ID, "U0MEMBER", checklist.PROFILE_STEP, True, FRIDAY)
    world.slack.fail_next("chat.postMessage", error="internal_error", status=200, retry_after=None)
    out = world.sweep_here(FRIDAY + timedelta(days=6))
    assert "checklist nudges sent: 0" in out and world.dm_post_calls() == []
    out = world.sweep_here(FRIDAY + timedelta(days=6, minutes=15))
    assert "checklist nudges sent: 1" in out and len(world.dm_post_calls()) == 1
