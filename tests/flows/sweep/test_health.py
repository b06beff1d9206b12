"""Daily health checks against fake Amazon (real HTTP): revoked tokens, recovery, transient errors."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.flows.problems import Problem
from bot.views.blocks import Words
from bot.views.health import problem_words
from storage import repo
from storage.crypto import Crypto, generate_key
from storage.models import Connection
from tests.catalog import pattern, says
from tests.harness import NOTIFY_CHANNEL, OWNER, BotHarness

FAILING, RECOVERED = "lifecycle.health.failing.text", "lifecycle.health.recovered.text"
REQUEST_PART = pattern("amazon.verdict.part.request")
CREATED = date(2026, 3, 1)
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def last_problem(conn: Connection) -> Problem | None:
    return Problem.stored(conn.last_problem_kind, conn.last_problem_params)


def problem_text(conn: Connection) -> str:
    """The connection's last problem as the status answer says it (cause and next step)."""
    cause, next_step = problem_words(last_problem(conn), Words("en"))
    return f"{cause} {next_step}"


def health_posts(world: BotHarness, key: str) -> list[dict]:
    """Team-channel posts whose text is the catalog sentence ``key``."""
    return [p for p in world.channel_post_calls() if says(str(p.get("text", "")), key)]


def test_revoked_refresh_token_alerts_once_then_recovery_once(world: BotHarness) -> None:
    cid, creds = world.seed("Main US", created_on=CREATED, now=T0 - timedelta(days=2))
    world.amazon.revoke_refresh_token(creds.refresh_token)

    out = world.sweep(T0)  # a real `python -m bot sweep` process
    assert "newly failing 1" in out
    conn = world.connection(cid)
    assert conn.status == "failing"
    problem = last_problem(conn)
    assert problem is not None and problem.kind == "invalid_grant"
    assert says(problem_text(conn), "amazon.verdict.invalid_grant.cause")
    assert says(problem_text(conn), "amazon.verdict.invalid_grant.next")
    failing = health_posts(world, FAILING)
    assert len(failing) == 1 and f"<@{OWNER}>" in str(failing[0]["text"])
    blocks = str(failing[0]["blocks"])
    assert says(failing[0]["blocks"], "lifecycle.health.cause")
    assert says(failing[0]["blocks"], "lifecycle.health.next_step")
    assert "reauthorize_now" in blocks
    dms = world.dm_post_calls()
    assert len(dms) == 1 and says(str(dms[0]["text"]), FAILING)
    assert world.slack.wait_for("conversations.open").params.get("users") == OWNER

    # Later checks while it still fails: nothing new is posted.
    for day in (1, 2, 3):
        world.sweep_here(T0 + timedelta(days=day))
    assert len(health_posts(world, FAILING)) == 1 and len(world.dm_post_calls()) == 1
    assert world.connection(cid).status == "failing"

    # The owner re-authorizes in Developer Central; the stored token works again (fake grants it back).
    world.amazon.register(creds)
    world.sweep_here(T0 + timedelta(days=4))
    conn = world.connection(cid)
    assert conn.status == "connected" and last_problem(conn) is None
    assert len(health_posts(world, RECOVERED)) == 1
    world.sweep_here(T0 + timedelta(days=5))
    assert len(health_posts(world, RECOVERED)) == 1

    # A second failure after recovery is a new episode: it alerts again, once.
    world.amazon.revoke_refresh_token(creds.refresh_token)
    world.sweep_here(T0 + timedelta(days=6))
    world.sweep_here(T0 + timedelta(days=7))
    assert len(health_posts(world, FAILING)) == 2
    seen = world.slack.all_text() + "\n".join(world.sweep_outputs)  # incl. the DEBUG log of the sweep process
    assert creds.refresh_token not in seen and creds.client_secret not in seen
    with world.services.db.session() as s:
        actions = [a.action for a in repo.list_audit(s, conn.team_id, connection_name="Main US", limit=50)]
    assert actions.count("health_failing") == 2 and actions.count("health_recovered") == 1


def test_transient_errors_flip_nothing_until_three_in_a_row(world: BotHarness) -> None:
    cid, _creds = world.seed("Flaky US", created_on=CREATED, now=T0 - timedelta(days=2))
    for n in (1, 2):
        world.amazon.fail_next(20, status=503)
        world.make_due(cid, T0 + timedelta(hours=2 * n))
        out = world.sweep_here(T0 + timedelta(hours=2 * n))
        assert "transient 1" in out
        conn = world.connection(cid)
        assert conn.status == "connected" and conn.transient_failures == n and last_problem(conn) is None
        assert world.channel_post_calls() == [] and world.dm_post_calls() == []
        world.amazon.reset()
        world.amazon.register(_creds)
    # A success in between resets the count.
    world.make_due(cid, T0 + timedelta(hours=6))
    world.sweep_here(T0 + timedelta(hours=6))
    assert world.connection(cid).transient_failures == 0
    # Three in a row: failing, with the plain cause, one alert.
    for n in (1, 2, 3):
        world.amazon.fail_next(20, status=503)
        world.make_due(cid, T0 + timedelta(hours=6 + 2 * n))
        world.sweep_here(T0 + timedelta(hours=6 + 2 * n))
    conn = world.connection(cid)
    assert conn.status == "failing"
    problem = last_problem(conn)
    assert problem is not None and problem.kind == "transient_limit" and problem.params["count"] == 3
    assert problem.params["last"]["kind"] == "amazon_unavailable" and problem.params["last"]["params"]["request_id"]
    assert says(problem_text(conn), "lifecycle.health.transient_cause", count=3)
    assert says(problem_text(conn), "lifecycle.health.transient_next_step")
    # the last answer's cause, with Amazon's request id
    assert says(problem_text(conn), "amazon.verdict.amazon_unavailable.cause", request_part=REQUEST_PART)
    assert len(health_posts(world, FAILING)) == 1


def test_checks_are_spread_and_batched_and_not_repeated(world: BotHarness) -> None:
    ids = [world.seed(f"Store {i}", created_on=CREATED, now=T0 - timedelta(days=2))[0] for i in range(6)]
    world.sweep_here(T0)
    nexts = [world.connection(i).next_health_check_at for i in ids]
    assert all(n is not None and T0 + timedelta(hours=21) < n < T0 + timedelta(hours=27) for n in nexts)
    assert len(set(nexts)) == len(nexts)  # spread, not all at once
    calls = world.amazon.calls("/auth/o2/token")
    world.sweep_here(T0 + timedelta(hours=1))  # nothing due: no call to Amazon
    assert world.amazon.calls("/auth/o2/token") == calls


def test_undecryptable_connection_is_skipped_left_unchanged_and_logged(
    world: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """A key that disappears while the bot runs (a row written under a key this process lacks) is the
    operator's problem: the check is skipped with a log line, nothing is marked failing or posted."""
    from bot.app import build_web_client
    from bot.flows.sweep import run_sweep
    from bot.outbox import SlackOutbox

    bad, _ = world.seed("Lost Key", created_on=CREATED, now=T0 - timedelta(days=2))
    good, _ = world.seed("Fine", created_on=CREATED, now=T0 - timedelta(days=2))
    with world.services.db.session() as s:  # re-encrypt one row under a key the bot does not have
        conn = s.get(Connection, bad)
        assert conn is not None and conn.id is not None
        other = Crypto([generate_key("gone")])
        conn.client_secret_enc = other.encrypt("amzn1.oa2-cs.v1." + "cd" * 32, table="connections",
                                               row_id=conn.id, field="client_secret")
        s.add(conn)
        s.commit()
    before = world.connection(bad)
    with caplog.at_level(logging.ERROR, logger="bot.flows.sweep"):
        report = run_sweep(world.services, SlackOutbox(build_web_client(world.settings), NOTIFY_CHANNEL), T0)
    assert not report.ok and report.health_skipped == 1 and not report.problems
    assert "could not be decrypted: 1" in report.summary()
    assert world.connection(good).status == "connected" and world.connection(good).last_verified_at == T0
    conn = world.connection(bad)
    assert (conn.status, last_problem(conn), conn.last_verified_at, conn.transient_failures) == (
        "connected", None, before.last_verified_at, 0)
    assert health_posts(world, FAILING) == [] and world.dm_post_calls() == []
    lines = [r.getMessage() for r in caplog.records if "Lost Key" in r.getMessage()]
    assert len(lines) == 1 and "'gone'" in lines[0] and "ENCRYPTION_KEYS" in lines[0] and "skipped" in lines[0]
    with world.services.db.session() as s:
        actions = [a.action for a in repo.list_audit(s, conn.team_id, connection_name="Lost Key", limit=10)]
    assert "health_failing" not in actions


def test_failed_alert_is_retried_next_pass(world: BotHarness) -> None:
    cid, creds = world.seed("Retry Alert", created_on=CREATED, now=T0 - timedelta(days=2))
    world.amazon.revoke_refresh_token(creds.refresh_token)
    world.slack.fail_next("chat.postMessage", error="channel_not_found", status=200, retry_after=None, times=1)
    out = world.sweep_here(T0)
    assert "retried next pass: 1" in out
    assert health_posts(world, FAILING) == []
    world.sweep_here(T0 + timedelta(minutes=15))
    assert len(health_posts(world, FAILING)) == 1
    assert len(world.dm_post_calls()) == 1
    world.sweep_here(T0 + timedelta(minutes=30))
    assert len(health_posts(world, FAILING)) == 1 and len(world.dm_post_calls()) == 1


def test_an_expired_secret_that_lwa_still_accepts_is_caught_by_the_sp_api_call(world: BotHarness) -> None:
    """After 180 days (or 7 days after a rotation) LWA may still issue a token; SP-API then refuses it."""
    cid, creds = world.seed("Old Secret US", created_on=CREATED, now=T0 - timedelta(days=2))
    world.amazon.expire_secret(creds.client_id, where="sp_api")
    world.sweep_here(T0)
    conn = world.connection(cid)
    assert conn.status == "failing"
    problem = last_problem(conn)
    assert problem is not None and problem.kind == "secret_expired"
    assert says(problem_text(conn), "amazon.verdict.secret_expired.cause")
    assert len(health_posts(world, FAILING)) == 1


def test_a_removed_role_marks_the_connection_failing(world: BotHarness) -> None:
    cid, creds = world.seed("No Roles US", created_on=CREATED, now=T0 - timedelta(days=2))
    world.amazon.set_roles(creds.refresh_token, [])
    world.sweep_here(T0)
    conn = world.connection(cid)
    assert conn.status == "failing" and conn.transient_failures == 0
    problem = last_problem(conn)
    assert problem is not None and problem.kind == "missing_role"
    assert len(health_posts(world, FAILING)) == 1
