"""Automatic rotation when things go wrong, and who may turn it on: a new secret Amazon refuses, the
rotation API's rate limit (429), an outage while the new secret is verified, the autorotate command's
authz, the "Rotate now via Amazon" button on a reminder, status."""

from __future__ import annotations

import re
import time

import pytest

from bot.amazon import application
from bot.views.autorotate import ROTATE_VIA_AMAZON_ACTION
from tests.catalog import says
from tests.fakes.fake_amazon import CLIENT_SECRET_PATH, TOKEN_PATH
from tests.flows.autorotate_world import (
    channel_posts_saying,
    expires_in,
    rotation_world,
    seed_enrolled,
    settle,
    wait_for,
)
from tests.harness import ADMIN, NOTIFY_CHANNEL, OWNER, STRANGER, BotHarness

ROTATED = "lifecycle.autorotate.rotated"
UNVERIFIED = "lifecycle.autorotate.unverified"


def answers(h: BotHarness) -> list[dict]:
    return [c.params for c in h.slack.calls_for("response_url")]


def test_a_new_secret_that_does_not_verify_changes_nothing_and_alerts_once(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue)
        before = h.connection(cid)
        bogus = "amzn1.oa2-cs.v1." + "cd" * 32  # Amazon never issued it: LWA answers invalid_client
        h.amazon.send_new_secret(creds.client_id, bogus, expires_in(180), expires_in(7))
        wait_for(lambda: channel_posts_saying(h, UNVERIFIED) or None, message="the alert")
        settle(h, sqs, queue)
        after = h.connection(cid)
        assert after.secret_generation == before.secret_generation == 1
        assert after.secret_expires_on == before.secret_expires_on
        assert h.secrets_of(cid).client_secret == creds.client_secret
        assert len(channel_posts_saying(h, UNVERIFIED)) == 1
        assert says(channel_posts_saying(h, UNVERIFIED)[0], "lifecycle.autorotate.unverified.next")
        assert not channel_posts_saying(h, ROTATED)
        everything = h.everything_sent_and_logged()
        assert bogus not in everything and "cd" * 16 not in everything


def test_an_outage_while_verifying_keeps_the_message_until_amazon_answers(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue, autorotate=False)
        h.amazon.rotate_secret(creds.client_id, "amzn1.oa2-cs.v1." + "ef" * 32)  # as Amazon's rotation did
        new = h.amazon.current_secret(creds.client_id)
        h.amazon.fail_next(10, 503, path=TOKEN_PATH)  # two verifications' worth of LWA outage
        h.amazon.send_new_secret(creds.client_id, new, expires_in(180), expires_in(7))
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None, timeout=40,
                 message="stored once Amazon answered again (the message came back)")
        settle(h, sqs, queue)
        assert h.secrets_of(cid).client_secret == new
        assert len(channel_posts_saying(h, ROTATED)) == 1
        assert h.rotation_queue.handled.get("retry_later", 0) >= 1


def test_rate_limited_rotation_is_asked_again_after_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(application, "RATE_LIMIT_WAIT", 1.5)  # Amazon's ~60 s, shortened for the test
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue)
        h.amazon.fail_next(1, 429, path=CLIENT_SECRET_PATH)  # Amazon's 429 QuotaExceeded
        started = time.monotonic()
        h.amazon.send_secret_expiry(creds.client_id, expires_in(2))
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None, timeout=30)
        assert time.monotonic() - started >= 1.5  # it waited out the limit
        settle(h, sqs, queue)
        statuses = [r["status"] for r in h.amazon.request_log() if r["path"] == CLIENT_SECRET_PATH]
        assert statuses == [429, 204]
        assert h.amazon.rotation_count(creds.client_id) == 1
        assert len(channel_posts_saying(h, ROTATED)) == 1


def test_not_enrolled_app_raises_one_alert_with_the_next_step(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue, autorotate=False)
        with h.amazon._lock:  # the developer removed the queue from Notification preferences meanwhile
            h.amazon._apps[creds.client_id].rotation_queue = None
        h.action(ROTATE_VIA_AMAZON_ACTION, user=OWNER, value=str(cid), channel_id=NOTIFY_CHANNEL,
                 response_url=h.slack.response_url())
        wait_for(lambda: [c for c in h.channel_post_calls() if says(c, "lifecycle.autorotate.request_failed")]
                 or None, message="the alert")
        posts = [c for c in h.channel_post_calls() if says(c, "lifecycle.autorotate.request_failed")]
        assert len(posts) == 1 and says(posts[0], "lifecycle.autorotate.request.not_enrolled")
        assert h.connection(cid).secret_generation == 1
        assert h.amazon.rotation_count(creds.client_id) == 0
        wait_for(lambda: [c for c in h.dm_post_calls() if says(c, "lifecycle.autorotate.request.not_enrolled")]
                 or None, message="the DM to who clicked")


@pytest.mark.parametrize("user, allowed", [(OWNER, True), (ADMIN, True), (STRANGER, False)])
def test_only_the_owner_or_an_admin_turns_autorotate_on(tmp_path, user, allowed):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, _creds = seed_enrolled(h, sqs, queue, autorotate=False)
        assert h.command("autorotate main us ON", user=user).status_code == 200
        wait_for(lambda: answers(h) or None, message="the answer")
        assert h.connection(cid).autorotate is allowed
        if allowed:
            assert says(answers(h)[-1], "lifecycle.autorotate.command.on", days="7")
            h.command("autorotate Main US off", user=user)
            wait_for(lambda: len(answers(h)) == 2 or None)
            assert h.connection(cid).autorotate is False
            assert says(answers(h)[-1], "lifecycle.autorotate.command.off")
        else:
            assert says(answers(h)[-1], "lifecycle.refused")


def test_autorotate_usage_and_status(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        seed_enrolled(h, sqs, queue)
        h.command("autorotate Main US maybe", user=OWNER)
        wait_for(lambda: answers(h) or None)
        assert says(answers(h)[-1], "lifecycle.autorotate.command.usage")
        h.command("status", user=OWNER)
        wait_for(lambda: len(answers(h)) == 2 or None)
        assert says(answers(h)[-1], "lifecycle.autorotate.status.on")


def test_reminder_offers_rotate_via_amazon_and_the_button_rotates(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue, autorotate=False)
        h.sweep_here(expires_in(0))
        reminder = next(c for c in h.channel_post_calls() if says(c, "lifecycle.reminder.headline"))
        assert ROTATE_VIA_AMAZON_ACTION in str(reminder.get("blocks"))
        h.action(ROTATE_VIA_AMAZON_ACTION, user=STRANGER, value=str(cid), channel_id=NOTIFY_CHANNEL,
                 response_url=h.slack.response_url())
        wait_for(lambda: answers(h) or None)
        assert says(answers(h)[-1], "lifecycle.refused")
        assert h.amazon.calls(CLIENT_SECRET_PATH) == 0
        h.action(ROTATE_VIA_AMAZON_ACTION, user=OWNER, value=str(cid), channel_id=NOTIFY_CHANNEL,
                 response_url=h.slack.response_url())
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None)
        assert any(says(a, "lifecycle.autorotate.now.queued", name=re.compile(".*Main US.*")) for a in answers(h))
        settle(h, sqs, queue)
        assert h.amazon.rotation_count(creds.client_id) == 1
        assert len(channel_posts_saying(h, ROTATED)) == 1


def test_without_a_queue_reminders_offer_no_amazon_button(tmp_path):
    with BotHarness(tmp_path) as h:
        today = expires_in(0).date()
        from datetime import timedelta

        h.seed("Main US", created_on=today - timedelta(days=170))
        h.sweep_here(expires_in(0))
        reminder = next(c for c in h.channel_post_calls() if says(c, "lifecycle.reminder.headline"))
        assert ROTATE_VIA_AMAZON_ACTION not in str(reminder.get("blocks"))
        assert h.rotation_queue is None
