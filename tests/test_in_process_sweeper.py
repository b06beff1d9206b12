"""`python -m bot run` sweeps in-process every SWEEP_INTERVAL: the Sweeper thread, against the fake Slack."""

from __future__ import annotations

import time
from datetime import timedelta

from bot.app import build_web_client
from bot.outbox import SlackOutbox
from bot.runtime import Sweeper
from tests.harness import NOTIFY_CHANNEL, BotHarness


def test_the_sweeper_thread_posts_due_reminders_and_stops(world: BotHarness) -> None:
    today = world.services.clock().date()
    world.seed("Sweeper Store", created_on=today - timedelta(days=170))  # expires in 10 days
    outbox = SlackOutbox(build_web_client(world.settings), world.settings.notify_channel)
    sweeper = Sweeper(world.services, outbox, interval=0.2)
    sweeper.start()
    try:
        post = world.slack.wait_for(
            "chat.postMessage", lambda c: "Sweeper Store" in c.raw_body and c.params.get("channel") == NOTIFY_CHANNEL,
            timeout=10,
        )
        assert "Sweeper Store" in post.raw_body
        time.sleep(0.7)  # a few more passes
    finally:
        sweeper.stop()
        sweeper.join(timeout=5)
    assert not sweeper.is_alive()
    # several passes ran meanwhile, and the reminder went out once
    posts = [c for c in world.slack.calls_for("chat.postMessage") if "Sweeper Store" in c.raw_body]
    assert len(posts) == 1
