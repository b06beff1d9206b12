"""Pure parts of the lifecycle: lead-time rules, who may act, Block Kit validity, catalog keys, query plans."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.flows.authz import Actor, clean_name, may_manage
from bot.flows.ports import Audience, Notice
from bot.flows.rotation import RenewKind, RenewResult, parse_created_on, validate_new_value
from bot.flows.sweep import SweepReport, reminder_kind_for, superseded_kinds
from bot.i18n import Message, catalog
from bot.views import lifecycle as views
from bot.views.blocks import Words, escape
from bot.views.notices import render
from storage import repo
from storage.db import Database, migrate
from tests.catalog import says
from tests.db_fixtures import sqlite_url
from tests.views.lifecycle_samples import lifecycle_payload, sample_summary

LEADS = (30, 14, 7, 3, 1)


@pytest.mark.parametrize(("days_left", "kind"), [
    (31, None), (30, "expiry:30"), (15, "expiry:30"), (14, "expiry:14"), (8, "expiry:14"), (7, "expiry:7"),
    (4, "expiry:7"), (3, "expiry:3"), (2, "expiry:3"), (1, "expiry:1"), (0, "expired"), (-40, "expired"),
])
def test_the_most_urgent_reminder_for_the_days_left(days_left: int, kind: str | None) -> None:
    assert reminder_kind_for(days_left, LEADS) == kind


def test_superseded_kinds_are_the_less_urgent_ones() -> None:
    assert superseded_kinds("expiry:30", LEADS) == []
    assert superseded_kinds("expiry:7", LEADS) == ["expiry:30", "expiry:14"]
    assert superseded_kinds("expired", LEADS) == [f"expiry:{d}" for d in LEADS]


def test_who_may_manage() -> None:
    admins = frozenset({"U0LISTED"})
    assert may_manage(Actor("U0OWNER"), created_by="U0OWNER", admin_user_ids=admins)
    assert may_manage(Actor("U0X", is_workspace_admin=True), created_by="U0OWNER", admin_user_ids=admins)
    assert may_manage(Actor("U0X", is_workspace_owner=True), created_by="U0OWNER", admin_user_ids=admins)
    assert may_manage(Actor("U0LISTED"), created_by="U0OWNER", admin_user_ids=admins)
    assert not may_manage(Actor("U0X"), created_by="U0OWNER", admin_user_ids=admins)
    assert not may_manage(Actor(""), created_by="", admin_user_ids=admins)


def test_names_are_cleaned() -> None:
    assert clean_name('  "Main   US" ') == "Main US"
    assert clean_name("\u201cMain US\u201d") == "Main US"
    assert clean_name("`EU`") == "EU"


def test_new_values_are_validated_without_echoing_them() -> None:
    secret = "amzn1.oa2-cs.v1." + "ab" * 32
    token = "Atzr|IwEB" + "x" * 300
    assert validate_new_value(RenewKind.rotate, f"  {secret}\u200b") == (secret, None)
    value, error = validate_new_value(RenewKind.rotate, token)
    assert value is None and error
    said = views.field_error(error, Words())
    assert said and token not in said and "x" * 20 not in said
    assert token not in repr(error) and "x" * 20 not in repr(error)
    assert validate_new_value(RenewKind.reauthorize, token) == (token, None)
    value, error = validate_new_value(RenewKind.reauthorize, secret)
    assert value is None and error and secret not in views.field_error(error, Words())


def test_created_on_rules() -> None:
    today = date(2026, 5, 1)
    assert parse_created_on(None, today) == (today, None)
    assert parse_created_on("2026-04-20", today) == (date(2026, 4, 20), None)
    assert parse_created_on("2026-05-02", today) == (None, Message("lifecycle.modal.created_on_future"))
    # 181 days ago: already expired
    assert parse_created_on("2025-11-01", today) == (None, Message("lifecycle.modal.created_on_expired"))
    assert parse_created_on("not a date", today) == (None, Message("lifecycle.modal.created_on_invalid"))


NAME = "US <Main> & Co"
FACTS: dict[str, Any] = {"connection_id": 7, "name": NAME, "account_type": "seller",
                         "marketplace": "United States (US)", "region": "North America", "owner": "U0OWNER",
                         "expires_on": "2026-06-30", "days_left": 3, "actor": "U0ADMIN",
                         "cause": "Login with Amazon refused the refresh token.", "next_step": "Authorize again.",
                         "verdict": "invalid_grant"}
NOTICE_KINDS = ["expiry_reminder", "secret_expired",  # the health notices: tests/views/test_health_views.py
                "connection_rotated", "connection_reauthorized", "connection_disconnected"]


def parse_blocks(blocks: list[dict[str, Any]]) -> None:
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()


def parse_view(view: dict[str, Any]) -> None:
    View(**view).validate_json()
    parse_blocks(view["blocks"])


def notice(kind: str, audience: Audience = Audience.CHANNEL, user_id: str | None = None) -> Notice:
    payload = lifecycle_payload(kind, sample_summary(NAME, exposed=("refresh_token",)))
    assert payload is not None, kind
    return Notice.of(audience, payload, user_id=user_id)


@pytest.mark.parametrize("kind", NOTICE_KINDS)
def test_every_notice_renders_valid_block_kit(kind: str) -> None:
    audience = Audience.DM if kind.endswith("_dm") else Audience.CHANNEL
    text, blocks = render(notice(kind, audience, user_id="U0OWNER"), Words())
    assert text and escape(NAME) in text and NAME not in text + str(blocks)
    parse_blocks(blocks)


def test_every_modal_and_message_is_valid_block_kit() -> None:
    words = Words()
    target = sample_summary("Main US")
    for kind in RenewKind:
        parse_view(views.renew_modal(kind, target, date(2026, 5, 1), words))
        parse_view(views.verifying_modal(kind, "Main US", words))
        result = RenewResult(ok=False, headline=Message("lifecycle.result.failed", what=kind.what, name="Main US"),
                             cause=Message("general.unexpected_error"), next_step="Do this",
                             notes=(Message("lifecycle.still_exposed.client_secret", name="Main US"),),
                             announce_problem="not_in_channel")
        parse_view(views.result_modal(kind, result, words))
    _text, blocks = views.disconnect_question(target, words)
    parse_blocks(blocks)


def test_reminder_names_connection_marketplace_expiry_and_how_to_rotate() -> None:
    words = Words()
    text, blocks = render(notice("expiry_reminder"), words)
    name = escape(NAME)
    assert says(text, "lifecycle.reminder.text", name=name, owner="<@U0OWNER>", days=3,
                marketplace=words.marketplace("ATVPDKIKX0DER"), expires_on=words.date(date(2026, 6, 30)))
    assert says(blocks, "lifecycle.reminder.headline", name=name, owner="<@U0OWNER>", days=3,
                marketplace=words.marketplace("ATVPDKIKX0DER"), region=words.region("NA"),
                expires_on=words.date(date(2026, 6, 30)))
    assert says(blocks, "lifecycle.rotate_how", steps=words.md("lifecycle.rotate_steps"), name=name)
    assert says(blocks, "lifecycle.exposure.still", name=name, what=words.text("guard.leak.label.refresh_token"))
    assert "rotate_now" in str(blocks)


def test_the_result_modal_says_the_headline_cause_next_step_and_notes() -> None:
    words = Words()
    result = RenewResult(ok=True, headline=Message("lifecycle.result.reauthorized", name=NAME),
                         notes=(Message("lifecycle.still_exposed.client_secret", name=NAME),),
                         announce_problem="not_in_channel")
    view = views.result_modal(RenewKind.reauthorize, result, words)
    assert says(view, "lifecycle.result.reauthorized", name=escape(NAME))
    assert says(view, "lifecycle.still_exposed.client_secret", name=escape(NAME))
    assert says(view, "lifecycle.result.announce_failed", problem="not_in_channel")
    assert not says(view, "lifecycle.result.cause")
    failed = RenewResult(ok=False, headline=Message("lifecycle.result.failed", what=RenewKind.rotate.what, name=NAME),
                         cause=Message("general.unexpected_error"), next_step="<b>")
    view = views.result_modal(RenewKind.rotate, failed, words)
    assert says(view, "lifecycle.result.failed", what=words.text("lifecycle.what.rotate"), name=escape(NAME))
    assert says(view, "lifecycle.result.cause", cause=words.md("general.unexpected_error"))
    assert says(view, "lifecycle.result.next_step", next_step="&lt;b&gt;")


def test_every_lifecycle_key_used_is_in_the_catalog() -> None:
    root = Path(__file__).resolve().parents[2]
    sources = [*sorted((root / "bot/flows/sweep").glob("*.py")), root / "bot/flows/rotation.py",
               root / "bot/flows/disconnect.py", root / "bot/flows/authz.py", root / "bot/listeners/lifecycle.py",
               root / "bot/views/lifecycle.py"]
    used = set()
    for path in sources:
        used |= set(re.findall(r"\"(lifecycle\.[a-z_.]+)\"", path.read_text()))
    dynamic = {f"lifecycle.{p}.{k}" for p in ("usage", "modal.title", "modal.intro", "what") for k in
               ("rotate", "reauthorize")} | {f"lifecycle.{p}.{f}" for p in ("modal.label", "modal.placeholder",
                                                                          "still_exposed") for f in
                                             ("client_secret", "refresh_token")}
    missing = sorted(k for k in used | dynamic if k not in catalog() and not k.endswith("."))
    assert not missing


def test_summary_says_whether_the_pass_completed() -> None:
    report = SweepReport(now=datetime(2026, 1, 1, tzinfo=UTC), reminders_sent=2)
    assert "pass completed" in report.summary() and report.ok
    report.problems.append("health checks stopped early: OperationalError")
    assert not report.ok and "OperationalError" in report.summary()


def test_due_queries_use_their_indexes_on_sqlite(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path))
    migrate(db.engine)
    stmt = repo.due_expiry_reminders_statement(date(2026, 6, 1), LEADS, 100)
    compiled = str(stmt.compile(db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        plan = " | ".join(str(r[3]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + compiled)))
    assert "USING INDEX ix_connections_secret_expires_on" in plan, plan
    assert "reminder_ledger USING COVERING INDEX" in plan, plan
    assert "SCAN connections" not in plan, plan
    with db.session() as s:
        stmt2 = repo.due_health_checks_statement(datetime(2026, 6, 1, tzinfo=UTC), 500)
        compiled2 = str(stmt2.compile(db.engine, compile_kwargs={"literal_binds": True}))
        plan2 = " | ".join(str(r[3]) for r in s.connection().execute(sa.text("EXPLAIN QUERY PLAN " + compiled2)))
    assert "ix_connections_next_health_check_at" in plan2, plan2
    compiled3 = str(repo.count_audit_actions_statement(7, "health_failing").compile(
        db.engine, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        plan3 = " | ".join(str(r[3]) for r in conn.execute(sa.text("EXPLAIN QUERY PLAN " + compiled3)))
    assert "ix_audit_log_connection_id_action" in plan3 and "SCAN audit_log" not in plan3, plan3
    db.dispose()


def test_reminder_query_finds_exactly_the_due_ones(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path))
    migrate(db.engine)
    today = date(2026, 6, 1)
    from storage.crypto import Crypto, generate_key

    crypto = Crypto([generate_key("k")])
    with db.session() as s:
        ids = {}
        for days_left in (45, 30, 20, 14, 2, 0, -3):
            conn = repo.create_or_update_connection(
                s, crypto,
                repo.ConnectionValues(team_id="T1", name=f"D{days_left}", account_type="seller",
                selling_partner_id="A1B2C3D4E5",
                region="NA", marketplace_id="ATVPDKIKX0DER", client_id="amzn1.application-oa2-client.ab",
                client_secret="amzn1.oa2-cs.v1." + "ab" * 32, refresh_token="Atzr|" + "x" * 60,
                secret_created_on=today + timedelta(days=days_left - 180), store_name=None), created_by="U1",
                now=datetime(2026, 5, 1, tzinfo=UTC))
            ids[conn.id] = days_left
        s.commit()
        due = {ids[c]: kind for c, _g, kind in repo.due_expiry_reminder_keys(s, today=today, lead_days=LEADS)}
        assert due == {30: "expiry:30", 20: "expiry:30", 14: "expiry:14", 2: "expiry:3", 0: "expired",
                       -3: "expired"}
        cid = next(i for i, d in ids.items() if d == 14)
        claim = [((cid, 1, "expiry:14"), ["expiry:30"])]
        won, superseded = repo.claim_reminders_superseding(s, claim, "me", datetime.now(UTC))
        assert (list(won), superseded) == ([(cid, 1, "expiry:14")], 1)
        assert repo.claim_reminders_superseding(s, claim, "me", datetime.now(UTC)) == ({}, 0)
        due = {ids[c] for c, _g, _k in repo.due_expiry_reminder_keys(s, today=today, lead_days=LEADS)}
        assert 14 not in due and 20 in due
    db.dispose()
