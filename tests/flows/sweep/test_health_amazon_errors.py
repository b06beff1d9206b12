"""A 403 from Amazon's side in the daily health check (issue 11, item 10), over real HTTP to fake Amazon.

On 2023-05-27 every SP-API call of thousands of sellers got "403 Unauthorized The security token
included in the request is expired" for 25 minutes (amzn/selling-partner-api-docs#3153). Read as a
missing role, such an answer marked every connection failing and alerted the team for each at once.
It is an Amazon-side problem: transient, no alert until it persists, and then with Amazon's request id.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.catalog import pattern, says
from tests.flows.sweep.test_health import last_problem, problem_text
from tests.harness import BotHarness

CREATED = date(2026, 3, 1)
T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
REQUEST_ID = pattern("amazon.verdict.part.request", request_id=re.compile(r"[0-9a-f-]{36}"))


def failing_posts(world: BotHarness) -> list[dict]:
    return [p for p in world.channel_post_calls() if says(str(p.get("text", "")), "lifecycle.health.failing.text")]


@pytest.mark.parametrize("error", ["security_token_expired", "missing_authentication_token", "invalid_signature"])
def test_an_amazon_side_403_for_everyone_alerts_nobody_until_it_persists(world: BotHarness, error: str) -> None:
    ids = [world.seed(f"Store {n}", created_on=CREATED, now=T0 - timedelta(days=2))[0] for n in range(3)]
    for n in (1, 2):
        world.amazon.fail_next(len(ids), status=403, error=error)  # every SP-API call, every seller
        for cid in ids:
            world.make_due(cid, T0 + timedelta(hours=2 * n))
        out = world.sweep_here(T0 + timedelta(hours=2 * n))
        assert "transient 3" in out and "newly failing 0" in out, out
        for cid in ids:
            conn = world.connection(cid)
            assert conn.status == "connected" and conn.transient_failures == n and last_problem(conn) is None
        assert world.channel_post_calls() == [] and world.dm_post_calls() == []
    # Amazon recovers before the third check: nothing was ever posted, and the count starts again.
    for cid in ids:
        world.make_due(cid, T0 + timedelta(hours=6))
    world.sweep_here(T0 + timedelta(hours=6))
    assert all(world.connection(cid).transient_failures == 0 for cid in ids)
    assert world.channel_post_calls() == [] and world.dm_post_calls() == []


def test_it_alerts_after_three_in_a_row_with_amazons_request_id(world: BotHarness) -> None:
    cid, _creds = world.seed("Main US", created_on=CREATED, now=T0 - timedelta(days=2))
    for n in (1, 2, 3):
        world.amazon.fail_next(1, status=403, error="security_token_expired")
        world.make_due(cid, T0 + timedelta(hours=2 * n))
        world.sweep_here(T0 + timedelta(hours=2 * n))
        if n < 3:
            assert world.connection(cid).status == "connected" and failing_posts(world) == []
    conn = world.connection(cid)
    problem = last_problem(conn)
    assert conn.status == "failing" and problem is not None and problem.kind == "transient_limit"
    assert problem.params["last"]["kind"] == "amazon_error"
    assert says(problem_text(conn), "amazon.verdict.amazon_error.cause", request_part=REQUEST_ID)
    assert not says(problem_text(conn), "amazon.verdict.missing_role.cause")
    posts = failing_posts(world)
    assert len(posts) == 1 and REQUEST_ID.search(str(posts[0]))
    assert len(world.dm_post_calls()) == 1 and REQUEST_ID.search(str(world.dm_post_calls()[0]))


def test_lwa_unauthorized_client_is_a_failure_at_once(world: BotHarness) -> None:
    cid, creds = world.seed("Main US", created_on=CREATED, now=T0 - timedelta(days=2))
    world.amazon.unauthorize_client(creds.client_id)
    out = world.sweep_here(T0)
    assert "newly failing 1" in out
    conn = world.connection(cid)
    problem = last_problem(conn)
    assert conn.status == "failing" and problem is not None and problem.kind == "unauthorized_client"
    assert says(problem_text(conn), "amazon.verdict.unauthorized_client.cause", request_part=REQUEST_ID)
    assert len(failing_posts(world)) == 1
