"""Automatic rotation end to end, over real HTTP and a real (local) SQS: Amazon's SECRET_EXPIRY notice on the
queue → the bot asks Amazon to rotate (grantless token + rotateApplicationClientSecret) → Amazon's NEW_SECRET
notice → verified with each connection's refresh token, stored as a new generation, announced once."""

from __future__ import annotations

import json
import re

from storage.models import Connection, ProcessedNotification
from tests.catalog import says
from tests.fakes.fake_amazon import CLIENT_SECRET_PATH, make_credentials
from tests.flows.autorotate_world import (
    channel_posts_saying,
    day,
    expires_in,
    rotation_world,
    seed_enrolled,
    settle,
    wait_for,
)

ROTATED = "lifecycle.autorotate.rotated"


def test_expiry_notice_to_new_secret_stored_and_announced(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue)
        h.sweep_here(expires_in(0))  # a reminder for generation 1 (the secret is 170 days old)
        assert any(gen == 1 and sent for gen, _k, sent in h.ledger(cid))
        expiry = expires_in(5)
        h.amazon.send_secret_expiry(creds.client_id, expiry)
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None, message="the rotated secret stored")
        settle(h, sqs, queue)
        new = h.amazon.current_secret(creds.client_id)
        assert new != creds.client_secret
        assert h.secrets_of(cid).client_secret == new
        assert h.secrets_of(cid).refresh_token == creds.refresh_token
        conn = h.connection(cid)
        assert conn.secret_expires_on == day(expires_in(180))  # Amazon's newClientSecretExpiryTime
        assert conn.status == "connected"
        assert h.amazon.rotation_count(creds.client_id) == 1
        assert h.amazon.calls(CLIENT_SECRET_PATH) == 1
        posts = channel_posts_saying(h, ROTATED)
        assert len(posts) == 1
        assert says(posts[0], ROTATED, name=re.compile(r".*Main US.*"))
        assert not [g for g, _k, _s in h.ledger(cid) if g == 2]  # the reminders start again
        with h.db_session() as s:
            kinds = sorted(p.kind for p in s.query(ProcessedNotification).all())
        assert kinds == ["APPLICATION_OAUTH_CLIENT_NEW_SECRET", "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY"]
        # Neither secret anywhere: Slack, logs, the database's raw bytes (only as ciphertext there).
        everything = h.everything_sent_and_logged()
        for secret in (new, creds.client_secret, creds.refresh_token):
            assert secret not in everything
            assert secret[-24:] not in everything
        jobs = [r for r in h.records.lines if "rotate_client_secret" in r]
        assert jobs, "the rotation ran as a job"


def test_two_connections_on_one_client_id_both_take_the_new_secret(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        first, creds = seed_enrolled(h, sqs, queue, "Main US")
        other = make_credentials(client_id=creds.client_id, client_secret=creds.client_secret)
        second, _ = seed_enrolled(h, sqs, queue, "Second US", creds=other, autorotate=False)
        h.amazon.send_secret_expiry(creds.client_id, expires_in(3))
        wait_for(lambda: (h.connection(first).secret_generation == 2
                          and h.connection(second).secret_generation == 2) or None)
        settle(h, sqs, queue)
        new = h.amazon.current_secret(creds.client_id)
        assert h.secrets_of(first).client_secret == new == h.secrets_of(second).client_secret
        assert h.secrets_of(second).refresh_token == other.refresh_token
        assert h.amazon.rotation_count(creds.client_id) == 1
        posts = channel_posts_saying(h, ROTATED)
        assert len(posts) == 2  # one per connection


def test_autorotate_off_takes_amazons_expiry_and_rotates_nothing(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue, autorotate=False)
        expiry = expires_in(4)
        h.amazon.send_secret_expiry(creds.client_id, expiry)
        wait_for(lambda: h.connection(cid).secret_expires_on == day(expiry) or None)
        settle(h, sqs, queue)
        assert h.connection(cid).secret_generation == 1
        assert h.amazon.rotation_count(creds.client_id) == 0 and h.amazon.calls(CLIENT_SECRET_PATH) == 0
        assert not channel_posts_saying(h, ROTATED)
        # The reminders follow Amazon's date: 4 days left now.
        h.sweep_here(expires_in(0))
        assert any(says(c, "lifecycle.reminder.headline", days="4") for c in h.channel_post_calls())


def test_expiry_far_away_updates_the_date_without_rotating(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue, days_old=10)
        expiry = expires_in(30)  # beyond ROTATE_BEFORE_DAYS (7)
        h.amazon.send_secret_expiry(creds.client_id, expiry)
        wait_for(lambda: h.connection(cid).secret_expires_on == day(expiry) or None)
        settle(h, sqs, queue)
        assert h.amazon.calls(CLIENT_SECRET_PATH) == 0


def test_redelivered_messages_change_nothing_and_post_nothing(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue)
        expiry_id = h.amazon.send_secret_expiry(creds.client_id, expires_in(5))
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None)
        settle(h, sqs, queue)
        new = h.amazon.current_secret(creds.client_id)
        # Amazon (SQS at-least-once) delivers both notifications again, with the same notification ids.
        with h.db_session() as s:
            new_id = next(p.notification_id for p in s.query(ProcessedNotification).all()
                          if p.kind == "APPLICATION_OAUTH_CLIENT_NEW_SECRET")
        h.amazon.send_secret_expiry(creds.client_id, expires_in(5), notification_id=expiry_id)
        h.amazon.send_new_secret(creds.client_id, new, expires_in(180), expires_in(7), notification_id=new_id)
        settle(h, sqs, queue)
        assert h.connection(cid).secret_generation == 2
        assert h.amazon.rotation_count(creds.client_id) == 1
        assert len(channel_posts_saying(h, ROTATED)) == 1
        with h.db_session() as s:
            assert s.get(Connection, cid) is not None
            assert s.query(ProcessedNotification).count() == 2


def test_malformed_and_unknown_messages_are_removed_and_the_consumer_goes_on(tmp_path):
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue, autorotate=False)
        stranger = make_credentials()
        secret_like = "amzn1.oa2-cs.v1." + "ab" * 32
        bodies = [
            "not json at all",
            json.dumps([1, 2]),
            json.dumps({"notificationType": "ANY_OFFER_CHANGED", "payload": {}, "notificationMetadata": {
                "notificationId": "x-1"}}),
            json.dumps({"notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET", "payload": {
                "applicationOAuthClientNewSecret": {"clientId": creds.client_id, "newClientSecret": secret_like}},
                "notificationMetadata": {"notificationId": "x-2"}}),  # no expiry times
            h.amazon.notification_body(stranger.client_id, "APPLICATION_OAUTH_CLIENT_NEW_SECRET", {
                "applicationOAuthClientNewSecret": {"clientId": stranger.client_id, "newClientSecret": secret_like,
                                                    "newClientSecretExpiryTime": "2030-01-01T00:00:00.000Z",
                                                    "oldClientSecretExpiryTime": "2029-07-08T00:00:00.000Z"}}),
            h.amazon.notification_body(stranger.client_id, "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY", {
                "applicationOAuthClientSecretExpiry": {"clientId": stranger.client_id,
                                                       "clientSecretExpiryTime": "2030-01-01T00:00:00.000Z"}}),
        ]
        for body in bodies:
            sqs.send(queue, body)
        settle(h, sqs, queue)
        # Still consuming: a good notice after the bad ones is handled.
        expiry = expires_in(20)
        h.amazon.send_secret_expiry(creds.client_id, expiry)
        wait_for(lambda: h.connection(cid).secret_expires_on == day(expiry) or None)
        assert h.rotation_queue is not None and h.rotation_queue._thread.is_alive()
        assert h.rotation_queue.handled.get("malformed") == 4
        assert h.rotation_queue.handled.get("unknown_client") == 2
        assert h.connection(cid).secret_generation == 1
        assert not h.slack.calls_for("chat.postMessage") or not channel_posts_saying(h, ROTATED)
        everything = h.everything_sent_and_logged()
        assert secret_like not in everything and ("ab" * 16) not in everything
        assert "not json at all" not in everything  # no message body is logged


def test_a_late_expiry_notice_about_the_old_secret_changes_nothing(tmp_path):
    from datetime import UTC, datetime, timedelta

    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue)
        before_rotation = datetime.now(UTC) - timedelta(minutes=5)
        h.amazon.send_secret_expiry(creds.client_id, expires_in(5))
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None)
        settle(h, sqs, queue)
        stored_expiry = h.connection(cid).secret_expires_on
        late = json.loads(h.amazon.notification_body(creds.client_id, "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY", {
            "applicationOAuthClientSecretExpiry": {"clientId": creds.client_id,
                                                   "clientSecretExpiryTime": "2020-01-01T00:00:00.000Z",
                                                   "clientSecretExpiryReason": "PERIODIC_ROTATION"}}))
        late["eventTime"] = before_rotation.isoformat().replace("+00:00", "Z")
        sqs.send(queue, json.dumps(late))
        settle(h, sqs, queue)
        assert h.connection(cid).secret_expires_on == stored_expiry
        assert h.amazon.rotation_count(creds.client_id) == 1


def test_a_slack_outage_at_the_announcement_delays_it_and_loses_nothing(tmp_path):
    """The announcement is a job queued with the stored secret: Slack failing (500, past slack_sdk's own two
    retries) retries the job, and the team still gets exactly one post; the message is deleted at once."""
    with rotation_world(tmp_path) as (h, sqs, queue):
        cid, creds = seed_enrolled(h, sqs, queue)
        h.slack.fail_next("chat.postMessage", error="internal_error", status=500, times=3)
        h.amazon.send_secret_expiry(creds.client_id, expires_in(5))
        wait_for(lambda: h.connection(cid).secret_generation == 2 or None, message="the rotated secret stored")
        wait_for(lambda: channel_posts_saying(h, ROTATED) or None, 30, "the announcement after Slack's outage")
        settle(h, sqs, queue)
        assert len(channel_posts_saying(h, ROTATED)) == 1
        assert sqs.messages_left(queue) == 0
        assert [r for r in h.records.lines if "announcement job" in r and "tried again" in r]
