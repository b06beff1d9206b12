"""Expiry reminders driven by ``python -m bot sweep --now ...`` subprocesses against fake Slack and Amazon."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from tests.catalog import says
from tests.harness import NOTIFY_CHANNEL, OWNER, BotHarness

REMINDER, EXPIRED = "lifecycle.reminder.text", "lifecycle.expired.text"
CREATED = date(2026, 1, 1)
EXPIRES = CREATED + timedelta(days=180)  # 2026-06-30


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def texts(world: BotHarness) -> list[str]:
    return [str(p.get("text", "")) for p in world.channel_post_calls()]


def test_each_lead_time_posts_once_then_one_expired_alert(world: BotHarness) -> None:
    cid, creds = world.seed("Main US", created_on=CREATED)
    plan: list[tuple[date, tuple[str, int | None] | None]] = [
        (EXPIRES - timedelta(days=31), None),
        (EXPIRES - timedelta(days=30), (REMINDER, 30)),
        (EXPIRES - timedelta(days=29), None),
        (EXPIRES - timedelta(days=14), (REMINDER, 14)),
        (EXPIRES - timedelta(days=7), (REMINDER, 7)),
        (EXPIRES - timedelta(days=3), (REMINDER, 3)),
        (EXPIRES - timedelta(days=1), (REMINDER, 1)),
        (EXPIRES, (EXPIRED, None)),
        (EXPIRES + timedelta(days=1), None),
    ]
    for day, expected in plan:
        before = len(world.channel_post_calls())
        out = world.sweep(at(day))
        posts = world.channel_post_calls()[before:]
        if expected is None:
            assert posts == [], f"{day}: nothing should be posted, got {[p.get('text') for p in posts]}"
        else:
            assert len(posts) == 1, f"{day}: expected one post, got {len(posts)}\n{out}"
            text = str(posts[0]["text"])
            key, days = expected
            assert says(text, key, name="Main US", owner=f"<@{OWNER}>", expires_on=EXPIRES.isoformat(),
                        **({} if days is None else {"days": days}))
            assert posts[0]["channel"] == NOTIFY_CHANNEL
            blocks = str(posts[0]["blocks"])
            assert says(posts[0]["blocks"], "lifecycle.rotate_steps")
            assert says(posts[0]["blocks"], "lifecycle.rotate_how", name="Main US")
            assert "/connect-amazon rotate Main US" in blocks
            assert "'action_id': 'rotate_now'" in blocks and f"'value': '{cid}'" in blocks
            assert "Amazon.com" in blocks or "United States" in blocks or "ATVPDKIKX0DER" in blocks
    kinds = sorted(k for _g, k, sent in world.ledger(cid) if sent and not k.startswith("health"))
    assert kinds == ["expired", "expiry:1", "expiry:14", "expiry:3", "expiry:30", "expiry:7"]
    seen = world.slack.all_text() + "\n".join(world.sweep_outputs)  # incl. the DEBUG log of each sweep process
    for secret in (creds.client_secret, creds.refresh_token):
        assert secret not in seen, seen[max(0, seen.find(secret) - 400):seen.find(secret) + 40]
    assert "sweep done" in seen  # the processes' logs were captured, so the scan covered them


def test_catch_up_after_downtime_posts_only_the_most_urgent(world: BotHarness) -> None:
    cid, _ = world.seed("Down EU", created_on=CREATED)
    # The bot was down from 40 days before expiry until 5 days before: only the 7-day reminder goes out.
    world.sweep_here(at(EXPIRES - timedelta(days=5)))
    posts = world.channel_post_calls()
    assert len(posts) == 1 and says(str(posts[0]["text"]), REMINDER, days=5)
    ledger = {k: sent for _g, k, sent in world.ledger(cid) if k.startswith("expiry")}
    assert set(ledger) == {"expiry:7", "expiry:14", "expiry:30"}
    # The superseded reminders never go out later, and the next lead time still does.
    world.sweep_here(at(EXPIRES - timedelta(days=4)))
    assert len(world.channel_post_calls()) == 1
    world.sweep_here(at(EXPIRES - timedelta(days=3)))
    assert len(world.channel_post_calls()) == 2 and says(str(world.channel_post_calls()[1]["text"]), REMINDER, days=3)
    # Down again past the expiry day: one expired alert, no 1-day reminder.
    world.sweep_here(at(EXPIRES + timedelta(days=9)))
    posts = world.channel_post_calls()
    assert len(posts) == 3 and says(str(posts[2]["text"]), EXPIRED)
    world.sweep_here(at(EXPIRES + timedelta(days=10)))
    assert len(world.channel_post_calls()) == 3


def test_failed_post_is_retried_by_the_next_sweep(world: BotHarness) -> None:
    world.seed("Retry US", created_on=CREATED)
    world.slack.fail_next("chat.postMessage", error="internal_error", status=200, retry_after=None, times=10)
    out = world.sweep_here(at(EXPIRES - timedelta(days=13)))
    assert "will be retried next pass: 1" in out
    assert world.channel_post_calls() == []
    world.slack.reset()
    world.sweep_here(at(EXPIRES - timedelta(days=13)))
    posts = world.channel_post_calls()
    assert len(posts) == 1 and says(str(posts[0]["text"]), REMINDER, days=13)


def test_rotation_starts_a_new_generation_of_reminders(world: BotHarness) -> None:
    cid, creds = world.seed("Gen US", created_on=CREATED)
    world.sweep_here(at(EXPIRES - timedelta(days=2)))
    assert len(world.channel_post_calls()) == 1
    from storage import repo
    from storage.models import Connection

    new_secret = "amzn1.oa2-cs.v1." + "ab" * 32
    world.amazon.rotate_secret(creds.client_id, new_secret)
    new_created = EXPIRES - timedelta(days=2) - timedelta(days=160)  # so the new secret has 20 days left
    with world.services.db.session() as s:
        conn = s.get(Connection, cid)
        assert conn is not None
        repo.replace_client_secret(s, world.services.crypto, conn, new_secret, new_created,
                                   OWNER, at(EXPIRES - timedelta(days=2)))
        s.commit()
    world.sweep_here(at(EXPIRES - timedelta(days=1)))
    posts = world.channel_post_calls()
    assert len(posts) == 2 and says(str(posts[1]["text"]), REMINDER, days=19)
    assert (2, "expiry:30", True) in world.ledger(cid)
