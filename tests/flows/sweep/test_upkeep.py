"""Upkeep that used to never run (issue 11 item 12): the sweep deletes old idempotency keys, and
HEALTH_CHECK_HOURS schedules the next health check after a connect, a rotation and a re-authorization
(it used to be 24 hours whatever the setting)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.flows.sweep import IDEMPOTENCY_RETENTION
from storage import repo
from storage.models import Connection, IdempotencyKey
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.harness import BotHarness, wait_until

TEAM = "T0FAKETEAM"
USER = "U0MEMBER"


def keys(world: BotHarness) -> set[str]:
    with world.services.db.session() as s:
        return {row.key for row in s.exec(select(IdempotencyKey))}


def test_a_sweep_deletes_old_idempotency_keys_and_keeps_fresh_ones_and_pending_reconnects(
        any_world: BotHarness) -> None:
    world = any_world
    now = datetime.now(UTC)
    rows = {
        "leak:event:Ev0OLD": now - timedelta(days=40),
        "view:V0OLD:1.a": now - IDEMPOTENCY_RETENTION - timedelta(minutes=1),
        "disconnect:7:2026-01-01T00:00:00+00:00": now - IDEMPOTENCY_RETENTION + timedelta(hours=1),
        "view:V0NEW:1.b": now - timedelta(seconds=30),
        "submit:T0FAKETEAM:abc": now - timedelta(seconds=5),
        "pending:p0fresh": now - timedelta(minutes=2),
    }
    with world.services.db.session() as s:
        for key, created in rows.items():
            result = json.dumps({"team_id": TEAM, "user_id": USER}) if key.startswith("pending:") else None
            assert repo.claim_idempotency_key(s, key, created, result=result)
    assert keys(world) == set(rows)

    out = world.sweep(now)  # python -m bot sweep --now NOW, a real process
    assert "old idempotency keys deleted: 2" in out, out
    assert keys(world) == set(rows) - {"leak:event:Ev0OLD", "view:V0OLD:1.a"}

    # A pass run "as if" months later deletes nothing that is still fresh by the real clock.
    out = world.sweep(now + timedelta(days=200))
    assert "old idempotency keys deleted: 0" in out, out
    assert "pending:p0fresh" in keys(world) and "view:V0NEW:1.b" in keys(world)


# --- HEALTH_CHECK_HOURS ------------------------------------------------------------------------------


def next_check_hours(h: BotHarness, name: str, since: datetime) -> float:
    with h.db_session() as s:
        conn = repo.get_connection(s, TEAM, name)
        assert conn is not None and conn.next_health_check_at is not None
        return (conn.next_health_check_at - since).total_seconds() / 3600


def opened_modal(h: BotHarness, before: int) -> dict[str, Any]:
    call = wait_until(lambda: h.slack.calls_for("views.open")[before:] or None, 10, "no views.open")[0]
    return h.view(call.response["view"]["id"])


def test_health_check_hours_schedules_the_check_after_connect_rotate_and_reauthorize(tmp_path: Path) -> None:
    with BotHarness(tmp_path, env={"HEALTH_CHECK_HOURS": "6"}) as h:
        creds = h.amazon.register(make_credentials(), store_name="Six Hours")
        h.command("", user=USER)
        h.wait_dm(user=USER)
        view = h.open_credentials(USER)
        started = datetime.now(UTC)
        h.submit(view, h.form_values(creds, "Six Hours"), USER)
        h.wait_view(view["id"], lambda v: says(v, "onboarding.result.connected", name="Six Hours"))
        hours = next_check_hours(h, "Six Hours", started)
        assert 6 - 0.5 - 0.01 < hours < 6 + 0.5 + 0.05, hours  # 6 h with its jitter of up to 1/12

        with h.db_session() as s:  # push the check far away, so only the rotation can bring it back
            conn = repo.get_connection(s, TEAM, "Six Hours")
            assert conn is not None and conn.id is not None
            repo.reschedule_health_checks(s, [conn.id], started + timedelta(days=30))

        rotated = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
        h.amazon.rotate_secret(creds.client_id, rotated)
        before = len(h.slack.calls_for("views.open"))
        h.command("rotate Six Hours", user=USER)
        modal = opened_modal(h, before)
        started = datetime.now(UTC)
        h.submit(modal, {"client_secret": rotated}, user=USER)
        h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.rotated", name="Six Hours"))
        hours = next_check_hours(h, "Six Hours", started)
        assert 6 - 0.5 - 0.01 < hours < 6 + 0.5 + 0.05, hours

        with h.db_session() as s:
            repo.reschedule_health_checks(s, [conn.id], started + timedelta(days=30))
        fresh = "Atzr|IwEB" + secrets.token_urlsafe(240)
        h.amazon.reauthorize(creds.refresh_token, fresh)
        before = len(h.slack.calls_for("views.open"))
        h.command("reauthorize Six Hours", user=USER)
        modal = opened_modal(h, before)
        started = datetime.now(UTC)
        h.submit(modal, {"refresh_token": fresh}, user=USER)
        h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.reauthorized", name="Six Hours"))
        hours = next_check_hours(h, "Six Hours", started)
        assert 6 - 0.5 - 0.01 < hours < 6 + 0.5 + 0.05, hours
        with h.db_session() as s:
            conn2 = s.get(Connection, conn.id)
            assert conn2 is not None and conn2.status == "connected"
