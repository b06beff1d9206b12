"""Connection integrity across the real HTTP boundary (issue 11, items 2, 3 and 5): signed Slack requests
into the bot, which calls the fake Slack Web API and the fake Amazon over HTTP.

- Replacing an existing connection's credentials ("Update connection") is allowed to its owner and to
  admins only, checked before the button is offered and again at confirm time; an admin does not
  become the owner.
- A name that looks like an existing one (case, full-width, Cyrillic, invisible characters) is refused
  on the form, naming the existing connection.
- "exposed" survives re-submitting the leaked values and a health outage with recovery, and is cleared
  by replacing the leaked secret.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.i18n import t
from bot.views.blocks import Words
from storage import repo
from storage.models import Connection, IdempotencyKey, exposed_kinds
from tests.catalog import all_say, says
from tests.fakes.fake_amazon import make_credentials
from tests.fakes.slack_signing import JSON, event_callback_body, post_signed
from tests.flows.onboarding.test_onboarding_http import connect, text_of
from tests.harness import ADMIN, OWNER, STRANGER, BotHarness, wait_until

TEAM = "T0FAKETEAM"
INTRUDER = STRANGER  # another plain member


@pytest.fixture
def h(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


def row(h: BotHarness, name: str) -> Connection:
    with h.db_session() as s:
        conn = repo.get_connection(s, TEAM, name)
        assert conn is not None
        s.expunge(conn)
        return conn


def same_seller(h: BotHarness, creds: Any) -> Any:
    """New, valid credentials (another app's secret and token) for the same seller and marketplace."""
    return h.amazon.register(make_credentials(selling_partner_id=creds.selling_partner_id,
                                              marketplace_id=creds.marketplace_id), store_name="Acme US")


def pending_rows(h: BotHarness) -> list[IdempotencyKey]:
    with h.db_session() as s:
        return list(s.exec(select(IdempotencyKey).where(IdempotencyKey.key.like("pending:%"))).all())  # type: ignore[attr-defined]


def open_form(h: BotHarness, user: str) -> dict[str, Any]:
    if not h.dm_messages(user):
        h.command("", user=user)
        h.wait_dm(user=user)
    return h.open_credentials(user)


def answers(h: BotHarness) -> list[str]:
    return [json.dumps(c.params, ensure_ascii=False) for c in h.slack.calls_for("response_url")]


def status_answer(h: BotHarness, user: str = OWNER) -> str:
    before = len(h.slack.calls_for("response_url"))
    assert h.command("status", user=user).status_code == 200
    wait_until(lambda: len(h.slack.calls_for("response_url")) > before, 10, "no status answer")
    return answers(h)[-1]


# ------------------------------------------------------------------ item 2: taking over a connection


def test_a_member_cannot_take_over_a_connection_through_update(h: BotHarness) -> None:
    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    result, _ = connect(h, OWNER, creds, "Main")
    assert says(result, "onboarding.result.connected", name="Main")
    before = row(h, "Main")

    theirs = same_seller(h, creds)
    refused, _ = connect(h, INTRUDER, theirs, "Main")
    words = text_of(refused)
    assert says(refused, "onboarding.confirm.not_allowed", owner=f"<@{OWNER}>")
    assert "confirm_update" not in words  # never offered the button
    assert not pending_rows(h)  # their verified secrets are not kept anywhere
    after = row(h, "Main")
    assert after.created_by == OWNER and after.secret_generation == before.secret_generation
    with h.db_session() as s:
        assert repo.load_secrets(s, h.services.crypto, after).refresh_token == creds.refresh_token

    # the real owner can still disconnect it (asked to confirm, not refused)
    count = len(h.slack.calls_for("response_url"))
    h.command("disconnect Main", user=OWNER)
    question = wait_until(lambda: [c for c in h.slack.calls_for("response_url")[count:] if "blocks" in c.params],
                          10, "no disconnect question")[0]
    assert "disconnect_confirm" in json.dumps(question.params)


def test_an_admin_may_update_and_does_not_become_the_owner(h: BotHarness) -> None:
    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    connect(h, OWNER, creds, "Main")
    newer = same_seller(h, creds)
    ask, _ = connect(h, ADMIN, newer, "Main")
    assert says(ask, "onboarding.confirm.text", name="Main")
    h.click("confirm_update", ADMIN, view=ask)
    done = h.wait_view(ask["id"], lambda v: says(v, "onboarding.result.reconnected", name="Main"))
    assert done
    conn = row(h, "Main")
    assert conn.created_by == OWNER  # the admin replaced the credentials; the owner stays
    with h.db_session() as s:
        assert repo.load_secrets(s, h.services.crypto, conn).refresh_token == newer.refresh_token
        audit = repo.list_audit(s, TEAM, "Main")
        assert audit[0].action == "reconnected" and audit[0].actor == ADMIN
    # and the owner can still manage it
    count = len(h.slack.calls_for("response_url"))
    h.command("disconnect Main", user=OWNER)
    question = wait_until(lambda: [c for c in h.slack.calls_for("response_url")[count:] if "blocks" in c.params],
                          10, "no disconnect question")[0]
    assert "disconnect_confirm" in json.dumps(question.params)


def test_the_owner_may_update(h: BotHarness) -> None:
    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    connect(h, OWNER, creds, "Main")
    newer = same_seller(h, creds)
    ask, _ = connect(h, OWNER, newer, "Main")
    h.click("confirm_update", OWNER, view=ask)
    h.wait_view(ask["id"], lambda v: says(v, "onboarding.result.reconnected", name="Main"))
    conn = row(h, "Main")
    assert conn.created_by == OWNER and conn.secret_generation == 2


def test_the_right_to_update_is_checked_again_at_confirm_time(h: BotHarness) -> None:
    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    connect(h, OWNER, creds, "Main")
    newer = same_seller(h, creds)
    ask, _ = connect(h, ADMIN, newer, "Main")
    assert says(ask, "onboarding.confirm.text", name="Main")
    with h.slack._lock:  # no longer an admin when the button is clicked
        h.slack.users[ADMIN]["is_admin"] = False
    h.click("confirm_update", ADMIN, view=ask)
    refused = h.wait_view(ask["id"], lambda v: says(v, "onboarding.confirm.not_allowed", owner=f"<@{OWNER}>"))
    assert refused
    with h.db_session() as s:
        conn = repo.get_connection(s, TEAM, "Main")
        assert conn is not None and conn.created_by == OWNER
        assert repo.load_secrets(s, h.services.crypto, conn).refresh_token == creds.refresh_token


def test_an_unexpected_error_at_confirm_time_does_not_leave_the_modal_verifying(
    h: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug or outage inside the confirmation ends in a true message in the modal (it may not have finished),
    never a modal stuck on "verifying"."""
    from bot.flows import onboarding as flow

    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    connect(h, OWNER, creds, "Main")
    ask, _ = connect(h, OWNER, same_seller(h, creds), "Main")
    assert says(ask, "onboarding.confirm.text", name="Main")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the flow broke")

    monkeypatch.setattr(flow, "confirm_pending", broken)
    h.click("confirm_update", OWNER, view=ask)
    assert h.wait_view(ask["id"], lambda v: says(v, "general.listener_failed"))


# ------------------------------------------------------------------ item 3: look-alike names


@pytest.mark.parametrize("look_alike", ["main", "Ｍａｉｎ", "M\u0430in", "Main\u3164", "MAIN "])
def test_a_look_alike_name_is_refused_naming_the_existing_connection(h: BotHarness, look_alike: str) -> None:
    creds = h.amazon.register(make_credentials())
    result, _ = connect(h, OWNER, creds, "Main")
    assert says(result, "onboarding.result.connected", name="Main")
    other = h.amazon.register(make_credentials())  # another store
    view = open_form(h, INTRUDER)
    calls = h.amazon.calls()
    answer = h.submit(view, h.form_values(other, look_alike), INTRUDER).json()
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {"connection_name": t("onboarding.form.name_taken_field", name="Main")}
    assert h.amazon.calls() == calls  # refused before Amazon is asked
    with h.db_session() as s:
        assert [c.name for c in repo.list_connections(s, TEAM)] == ["Main"]


def test_an_invisible_character_in_the_name_is_refused_too(h: BotHarness) -> None:
    creds = h.amazon.register(make_credentials())
    connect(h, OWNER, creds, "Main")
    view = open_form(h, INTRUDER)
    answer = h.submit(view, h.form_values(h.amazon.register(make_credentials()), "Ma\u200bin"), INTRUDER).json()
    assert answer["response_action"] == "errors" and "connection_name" in answer["errors"]
    with h.db_session() as s:
        assert [c.name for c in repo.list_connections(s, TEAM)] == ["Main"]


def test_commands_find_a_connection_by_its_key(h: BotHarness) -> None:
    creds = h.amazon.register(make_credentials())
    connect(h, OWNER, creds, "Main EU")
    count = len(h.slack.calls_for("response_url"))
    h.command("disconnect ｍａｉｎ eu", user=OWNER)  # full-width and lower case: the same name
    question = wait_until(lambda: [c for c in h.slack.calls_for("response_url")[count:] if "blocks" in c.params],
                          10, "no disconnect question")[0]
    assert "Main EU" in json.dumps(question.params, ensure_ascii=False)


# ------------------------------------------------------------------ item 5: exposure is not forgotten


def leak(h: BotHarness, text: str, user: str = OWNER) -> None:
    ts = f"{time.time():.6f}"
    event = {"type": "message", "channel": "C0TEAM", "user": user, "text": text, "ts": ts, "event_ts": ts,
             "channel_type": "channel", "team": TEAM}
    response = post_signed(h.url, event_callback_body(event, "Ev" + secrets.token_hex(5).upper()),
                           h.signing_secret, JSON)
    assert response.status_code == 200


def leaked_connection(h: BotHarness) -> Any:
    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    result, _ = connect(h, OWNER, creds, "Main")
    assert says(result, "onboarding.result.connected", name="Main")
    leak(h, f"the secret for the new tool: {creds.client_secret} thanks")
    wait_until(lambda: exposed_kinds(row(h, "Main")) == ("client_secret",), 10, "never flagged exposed")
    assert row(h, "Main").status == "connected"  # exposed stands beside the status
    assert "exposed" in status_answer(h)
    return creds


def test_resubmitting_the_leaked_values_keeps_the_exposure(h: BotHarness) -> None:
    creds = leaked_connection(h)
    ask, _ = connect(h, OWNER, creds, "Main")  # the same (leaked) values again
    h.click("confirm_update", OWNER, view=ask)
    done = h.wait_view(ask["id"], lambda v: says(v, "onboarding.result.reconnected", name="Main"))
    assert says(done, "onboarding.result.still_exposed")
    conn = row(h, "Main")
    assert conn.status == "connected" and exposed_kinds(conn) == ("client_secret",)
    assert says(status_answer(h), "onboarding.status.exposed_beside", what=t("amazon.field.client_secret.label"))
    assert all_say(h.channel_posts(), "onboarding.announce.still_exposed", name="Main")
    h.open_home(OWNER)
    home = wait_until(lambda: [c for c in h.slack.calls_for("views.publish") if "Main" in json.dumps(c.params)],
                      10, "no App Home")[-1]
    assert "exposed" in json.dumps(home.params["view"])


def sweep(h: BotHarness, now: datetime) -> None:
    from bot.app import build_web_client
    from bot.flows.sweep import run_sweep
    from bot.outbox import SlackOutbox

    with h.db_session() as s:
        repo.reschedule_health_checks(s, [row(h, "Main").id], now)  # type: ignore[list-item]
    report = run_sweep(h.services, SlackOutbox(build_web_client(h.settings), h.settings.notify_channel), now)
    assert report.ok, report.summary()


def test_a_health_outage_and_recovery_keep_the_exposure(h: BotHarness) -> None:
    creds = leaked_connection(h)
    now = datetime.now(UTC) + timedelta(minutes=1)
    h.amazon.revoke_refresh_token(creds.refresh_token)
    sweep(h, now)
    conn = row(h, "Main")
    assert conn.status == "failing" and exposed_kinds(conn) == ("client_secret",)
    answer = status_answer(h)
    assert "failing" in answer and "exposed" in answer
    failing = wait_until(lambda: [p for p in h.channel_posts() if says(p, "lifecycle.health.failing.text")
                                  or "failing" in json.dumps(p)], 10, "no failing alert")[-1]
    assert says(failing, "lifecycle.exposure.still", name="Main")

    h.amazon.register(creds, store_name="Acme US")  # the grant works again
    sweep(h, now + timedelta(minutes=1))
    conn = row(h, "Main")
    assert conn.status == "connected" and exposed_kinds(conn) == ("client_secret",)
    recovered = wait_until(lambda: all_say(h.channel_posts(), "lifecycle.health.recovered.text"), 10,
                           "no recovery post")[-1]
    assert says(recovered, "lifecycle.exposure.still", name="Main")
    assert "exposed" in status_answer(h)


def test_rotating_the_leaked_secret_clears_the_exposure(h: BotHarness) -> None:
    creds = leaked_connection(h)
    rotated = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    h.amazon.rotate_secret(creds.client_id, rotated)
    start = len(h.slack.calls_for("views.open"))
    h.command("rotate Main", user=OWNER)
    call = wait_until(lambda: h.slack.calls_for("views.open")[start:] or None, 10, "no rotation modal")[0]
    modal = h.view(call.response["view"]["id"])
    h.submit(modal, {"client_secret": rotated}, user=OWNER)
    done = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.rotated", name="Main"))
    assert "exposed" not in str(done)
    conn = row(h, "Main")
    assert conn.status == "connected" and exposed_kinds(conn) == ()
    assert "exposed" not in status_answer(h)


# (the health notices: tests/views/test_health_views.py)
@pytest.mark.parametrize("kind", ["expiry_reminder", "secret_expired", "connection_rotated",
                                  "connection_reauthorized", "connection_connected"])
def test_every_notice_about_an_exposed_connection_says_so(kind: str) -> None:
    from dataclasses import replace

    from bot.flows.onboarding import ConnectionConnected
    from bot.flows.ports import Audience, Notice
    from bot.flows.summary import ConnectionSummary
    from bot.views.notices import render

    summary = ConnectionSummary(
        id=1, name="Main", account_type="seller", selling_partner_id="A1EXAMPLE", region="NA",
        marketplace_id="ATVPDKIKX0DER", store_name=None, status="connected",
        secret_expires_on=datetime.now(UTC).date(), last_verified_at=None, last_problem=None, created_by=OWNER,
        exposed=("client_secret",))
    from tests.views.lifecycle_samples import lifecycle_payload

    def notice(exposed: tuple[str, ...]) -> Notice:
        about = replace(summary, exposed=exposed)
        if kind == "connection_connected":
            return Notice.of(Audience.CHANNEL, ConnectionConnected(summary=about, actor=OWNER, replaced=True))
        payload = lifecycle_payload(kind, about)  # the lifecycle notices are typed
        assert payload is not None, kind
        return Notice.of(Audience.CHANNEL, payload)

    key = "onboarding.announce.still_exposed" if kind == "connection_connected" else "lifecycle.exposure.still"
    label = t("guard.leak.label.client_secret")
    _text, blocks = render(notice(("client_secret",)), Words())
    assert says(blocks, key, name="Main", what=label)
    _text, blocks = render(notice(()), Words())
    assert not says(blocks, key)
