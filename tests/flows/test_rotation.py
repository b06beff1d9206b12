"""Rotation, re-authorization and disconnect end to end: signed Slack requests over HTTP to the bot
(tests/harness.py), which calls the fake Slack Web API and the fake Amazon over HTTP."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.amazon.client import Credentials
from bot.flows import rotation as rotation_flow
from bot.i18n import t
from storage import repo
from storage.models import Connection, exposed_kinds
from tests.catalog import all_say, says
from tests.harness import ADMIN, NOTIFY_CHANNEL, OWNER, STRANGER, BotHarness, wait_until


def new_secret() -> str:
    return "amzn1.oa2-cs.v1." + secrets.token_hex(32)


def new_refresh_token() -> str:
    return "Atzr|IwEB" + secrets.token_urlsafe(240)


def seed(h: BotHarness, name: str = "Main US", *, owner: str = OWNER, age_days: int = 170) -> tuple[int, Credentials]:
    created = datetime.now(UTC).date() - timedelta(days=age_days)
    return h.seed(name, created_on=created, owner=owner, now=datetime.now(UTC), store_name="Acme US")


def opened_modal(h: BotHarness, before: int) -> dict[str, Any]:
    call = wait_until(lambda: h.slack.calls_for("views.open")[before:] or None, 10, "no views.open")[0]
    assert call.response.get("ok"), call.response
    return h.view(call.response["view"]["id"])


def answers(h: BotHarness) -> list[str]:
    """Texts the bot sent back through response_url (ephemeral answers)."""
    return [str(c.params.get("text", "")) for c in h.slack.calls_for("response_url")]


@pytest.fixture
def h(tmp_path: Path) -> Any:
    with BotHarness(tmp_path) as harness:
        yield harness


def test_rotation_end_to_end_through_the_modal(h: BotHarness) -> None:
    cid, creds = seed(h)
    rotated = new_secret()
    h.amazon.rotate_secret(creds.client_id, rotated)  # done in Developer Central

    before = len(h.slack.calls_for("views.open"))
    ack = h.command("rotate Main US", user=OWNER)
    assert ack.status_code == 200
    modal = opened_modal(h, before)
    text = str(modal)
    assert "'action_id': 'client_secret'" in text and "'action_id': 'secret_created_on'" in text
    assert says(modal, "lifecycle.rotate_steps")
    assert "'action_id': 'refresh_token'" not in text  # only the new secret is asked for
    assert creds.client_secret not in text and creds.refresh_token not in text

    response = h.submit(modal, {"client_secret": rotated}, user=OWNER)
    assert response.status_code == 200 and response.json()["response_action"] == "update"
    assert says(response.json()["view"], "lifecycle.modal.verifying", what=t("lifecycle.what.rotate"), name="Main US")
    final = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.rotated", name="Main US"))
    today = datetime.now(UTC).date()
    assert says(final, "lifecycle.result.rotated", name="Main US", expires_on=(today + timedelta(days=180)).isoformat())

    conn = h.connection(cid)
    assert conn.secret_generation == 2 and conn.secret_expires_on == today + timedelta(days=180)
    assert conn.status == "connected"
    assert h.secrets_of(cid).client_secret == rotated and h.secrets_of(cid).refresh_token == creds.refresh_token
    posts = wait_until(lambda: all_say(h.channel_posts(), "lifecycle.announce.rotated", name="Main US") or None,
                       10, "no announcement")
    assert len(posts) == 1 and f"<@{OWNER}>" in str(posts[0]) and "Main US" in str(posts[0])
    with h.db_session() as s:
        assert [a.action for a in repo.list_audit(s, "T0FAKETEAM", "Main US")][0] == "rotated_secret"
    everything = h.everything_sent_and_logged()
    for secret in (rotated, creds.client_secret, creds.refresh_token):
        assert secret not in everything


def test_rotate_now_button_opens_the_modal_and_a_created_on_date_sets_the_expiry(h: BotHarness) -> None:
    cid, creds = seed(h)
    rotated = new_secret()
    h.amazon.rotate_secret(creds.client_id, rotated)
    before = len(h.slack.calls_for("views.open"))
    h.action("rotate_now", OWNER, value=str(cid), block_id="lifecycle_rotate", channel_id=NOTIFY_CHANNEL)
    modal = opened_modal(h, before)
    created = datetime.now(UTC).date() - timedelta(days=2)
    h.submit(modal, {"client_secret": rotated, "secret_created_on": created.isoformat()}, user=OWNER)
    h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.rotated", name="Main US"))
    assert h.connection(cid).secret_expires_on == created + timedelta(days=180)


def test_failed_rotation_keeps_the_old_secret(h: BotHarness) -> None:
    cid, creds = seed(h)
    before_row = h.connection(cid)
    wrong = new_secret()  # well-formed, but not the app's secret at Amazon
    start = len(h.slack.calls_for("views.open"))
    h.command("rotate main us", user=OWNER)  # names match case-insensitively
    modal = opened_modal(h, start)
    h.submit(modal, {"client_secret": wrong}, user=OWNER)
    final = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.failed", what=t("lifecycle.what.rotate"),
                                                    name="Main US"))
    assert says(final, "lifecycle.result.cause") and says(final, "lifecycle.result.next_step")
    after = h.connection(cid)
    assert after.client_secret_enc == before_row.client_secret_enc
    assert after.secret_generation == 1 and after.secret_expires_on == before_row.secret_expires_on
    assert h.secrets_of(cid).client_secret == creds.client_secret
    assert not [p for p in h.channel_posts()
                if says(p, "lifecycle.announce.rotated") or says(p, "lifecycle.announce.rotated.text")]
    assert wrong not in h.everything_sent_and_logged()


def test_a_rotation_amazon_never_answered_is_not_called_refused(h: BotHarness) -> None:
    """Issue 11 item 9: when Amazon answers only with server errors, the person is told the check could
    not be finished (nothing changed), never that Amazon did not accept the new secret."""
    cid, creds = seed(h)
    rotated = new_secret()
    h.amazon.rotate_secret(creds.client_id, rotated)
    start = len(h.slack.calls_for("views.open"))
    h.command("rotate Main US", user=OWNER)
    modal = opened_modal(h, start)
    h.amazon.fail_next(5, 503)
    h.submit(modal, {"client_secret": rotated}, user=OWNER)
    final = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.unfinished",
                                                    what=t("lifecycle.what.rotate"), name="Main US"))
    assert not says(final, "lifecycle.result.failed")
    assert says(final, "amazon.verdict.amazon_unavailable.cause")
    assert h.secrets_of(cid).client_secret == creds.client_secret and h.connection(cid).secret_generation == 1


def test_a_malformed_secret_is_refused_at_once(h: BotHarness) -> None:
    cid, creds = seed(h)
    start = len(h.slack.calls_for("views.open"))
    h.command("rotate Main US", user=OWNER)
    modal = opened_modal(h, start)
    response = h.submit(modal, {"client_secret": creds.refresh_token}, user=OWNER)  # pasted into the wrong field
    answer = response.json()
    assert answer["response_action"] == "errors" and "client_secret" in answer["errors"]
    assert creds.refresh_token not in response.text
    response = h.submit(modal, {"client_secret": new_secret(),
                                "secret_created_on": (date.today() + timedelta(days=3)).isoformat()}, user=OWNER)
    assert response.json()["errors"] == {"secret_created_on": t("lifecycle.modal.created_on_future")}
    assert h.connection(cid).secret_generation == 1
    assert h.amazon.calls("/auth/o2/token") == 0


def test_reauthorize_stores_a_verified_new_refresh_token(h: BotHarness) -> None:
    cid, creds = seed(h)
    fresh = new_refresh_token()
    h.amazon.reauthorize(creds.refresh_token, fresh)
    start = len(h.slack.calls_for("views.open"))
    h.command("reauthorize Main US", user=OWNER)
    modal = opened_modal(h, start)
    assert "'action_id': 'refresh_token'" in str(modal) and "client_secret" not in str(modal)
    h.submit(modal, {"refresh_token": fresh}, user=OWNER)
    h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.reauthorized", name="Main US"))
    assert h.secrets_of(cid).refresh_token == fresh and h.connection(cid).secret_generation == 1
    wait_until(lambda: all_say(h.channel_posts(), "lifecycle.announce.reauthorized", name="Main US") or None, 10,
               "no announcement")
    assert fresh not in h.everything_sent_and_logged()


def test_disconnect_asks_then_erases_the_secrets_and_keeps_the_audit_trail(h: BotHarness) -> None:
    cid, creds = seed(h)
    h.command("disconnect Main US", user=OWNER)
    question = wait_until(lambda: [c for c in h.slack.calls_for("response_url") if "blocks" in c.params] or None,
                          10, "no confirmation")[0]
    blocks = question.params["blocks"]
    button = next(e for b in blocks if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "disconnect_confirm")
    assert button["confirm"]["confirm"]["text"] and button["style"] == "danger"
    assert h.connection(cid).status == "connected"  # nothing happens before the confirmation

    h.action("disconnect_confirm", OWNER, value=button["value"], block_id="lifecycle_disconnect",
             channel_id="C0TEAM", response_url=h.slack.response_url())
    wait_until(lambda: all_say(answers(h), "lifecycle.disconnect.done", name="Main US") or None, 10,
               "no answer")
    conn = h.connection(cid)
    assert conn.status == "disconnected"
    assert conn.client_secret_enc is None and conn.refresh_token_enc is None
    assert conn.client_secret_fp is None and conn.refresh_token_fp is None
    with h.db_session() as s:
        actions = [a.action for a in repo.list_audit(s, "T0FAKETEAM", "Main US")]
    assert actions[0] == "disconnected" and "connected" in actions
    wait_until(lambda: all_say(h.channel_posts(), "lifecycle.announce.disconnected", name="Main US") or None, 10,
               "no post")
    text = h.database_text()
    assert creds.client_secret not in text and creds.refresh_token not in text
    # A second confirmation (double click) changes nothing and posts nothing more.
    h.action("disconnect_confirm", OWNER, value=button["value"], channel_id="C0TEAM",
             response_url=h.slack.response_url())
    wait_until(lambda: all_say(answers(h), "lifecycle.already_disconnected") or None, 10, "x")
    assert len(all_say(h.channel_posts(), "lifecycle.announce.disconnected", name="Main US")) == 1


def test_a_non_owner_is_refused_and_nothing_changes(h: BotHarness) -> None:
    cid, creds = seed(h)
    before_row = h.connection(cid)
    opens = len(h.slack.calls_for("views.open"))
    for text in ("rotate Main US", "reauthorize Main US", "disconnect Main US"):
        h.command(text, user=STRANGER)
    h.action("rotate_now", STRANGER, value=str(cid), channel_id=NOTIFY_CHANNEL, response_url=h.slack.response_url())
    h.action("disconnect_confirm", STRANGER, value=str(cid), channel_id="C0TEAM",
             response_url=h.slack.response_url())
    refusals = wait_until(lambda: all_say(answers(h), "lifecycle.refused") if len(
        all_say(answers(h), "lifecycle.refused")) >= 5 else None, 10, "not all refused")
    assert all(says(text, "lifecycle.refused", owner=f"<@{OWNER}>") for text in refusals)
    assert len(h.slack.calls_for("views.open")) == opens
    after = h.connection(cid)
    assert after.status == "connected" and after.client_secret_enc == before_row.client_secret_enc
    assert after.secret_generation == before_row.secret_generation


def test_workspace_admins_and_admin_user_ids_may_act(tmp_path: Path) -> None:
    with BotHarness(tmp_path, env={"ADMIN_USER_IDS": "U0LISTED1"}) as h:
        h.slack.add_user("U0LISTED1", "lisa", "Lisa Listed")
        cid, _ = seed(h)
        for user in (ADMIN, "U0LISTED1", OWNER):
            start = len(h.slack.calls_for("views.open"))
            h.command("rotate Main US", user=user)
            opened_modal(h, start)
        h.command("disconnect Main US", user=ADMIN)
        question = wait_until(lambda: [c for c in h.slack.calls_for("response_url") if "blocks" in c.params] or None,
                              10, "no confirmation")[0]
        assert str(cid) in str(question.params["blocks"])


def test_unknown_names_and_missing_names_get_a_sentence(h: BotHarness) -> None:
    seed(h)
    h.command("rotate", user=OWNER)
    h.command("disconnect Nope Store", user=OWNER)
    h.command("rotate amzn1.oa2-cs.v1." + "ab" * 32, user=OWNER)
    texts = wait_until(lambda: answers(h) if len(answers(h)) >= 3 else None, 10, "no answers")
    assert all_say(texts, "lifecycle.usage.rotate")
    assert all_say(texts, "lifecycle.not_found", name="*Nope Store*")
    assert not any("ab" * 32 in t for t in texts)  # a secret typed as a name is never echoed


def test_reauthorizing_a_failing_connection_fixes_it_without_a_second_recovery_post(h: BotHarness) -> None:
    from bot.flows.sweep import run_sweep
    from bot.outbox import SlackOutbox

    cid, creds = seed(h)
    h.amazon.revoke_refresh_token(creds.refresh_token)
    outbox = SlackOutbox(h.app.client, NOTIFY_CHANNEL)
    later = datetime.now(UTC) + timedelta(days=2)
    assert run_sweep(h.services, outbox, later).health_failing == 1
    assert h.connection(cid).status == "failing"

    fresh = new_refresh_token()
    h.amazon.reauthorize(creds.refresh_token, fresh)
    start = len(h.slack.calls_for("views.open"))
    h.action("reauthorize_now", OWNER, value=str(cid), channel_id=NOTIFY_CHANNEL)  # the alert's button
    modal = opened_modal(h, start)
    h.submit(modal, {"refresh_token": fresh}, user=OWNER)
    h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.reauthorized", name="Main US"))
    conn = h.connection(cid)
    assert conn.status == "connected" and conn.last_problem_kind is None

    report = run_sweep(h.services, outbox, later + timedelta(days=3))
    assert report.health_checked == 1 and report.health_ok == 1 and report.alerts_sent == 0
    assert not [p for p in h.channel_posts()
                if says(p, "lifecycle.health.recovered.headline") or says(p, "lifecycle.health.recovered.text")]


def test_odd_payloads_get_an_answer_and_no_crash(h: BotHarness) -> None:
    from tests.fakes.slack_signing import block_actions_body, view_submission_payload

    cid, _ = seed(h)
    for value in ("99999999999999999999", "-1", "abc", "", "\u0661\u0662"):
        assert h.action("rotate_now", OWNER, value=value, channel_id=NOTIFY_CHANNEL,
                        response_url=h.slack.response_url()).status_code == 200
        assert h.action("disconnect_confirm", OWNER, value=value, channel_id=NOTIFY_CHANNEL,
                        response_url=h.slack.response_url()).status_code == 200
    base = {"id": "V0ODD", "type": "modal", "callback_id": "lifecycle_renew", "blocks": [], "hash": "1.a"}
    for meta in ("[1, 2]", "not json", '{"kind": "rotate", "connection_id": "7"}', '{"kind": "x"}',
                 '{"kind": "rotate", "connection_id": 99999999999999}'):
        payload = view_submission_payload({**base, "private_metadata": meta}, {}, OWNER)
        assert h.post(block_actions_body(payload), "application/x-www-form-urlencoded").status_code == 200
    assert h.command("rotate Main\u0000US", user=OWNER).status_code == 200
    wait_until(lambda: len(answers(h)) >= 11 or None, 10, "not every odd click was answered")
    import time

    time.sleep(0.5)  # lazy listeners finish
    assert "Traceback" not in h.log_text()
    assert h.connection(cid).status == "connected"


def test_fixing_one_secret_keeps_an_exposure_of_the_other(h: BotHarness) -> None:
    cid, creds = seed(h)
    now = datetime.now(UTC)
    with h.db_session() as s:  # what the leak guard records when the refresh token is pasted in a channel
        conn = s.get(Connection, cid)
        assert conn is not None and conn.refresh_token_fp
        kind = f"exposed:refresh_token:{conn.refresh_token_fp[:16]}"
        assert repo.claim_reminder(s, cid, conn.secret_generation, kind, "leak:Ev1", now)
        repo.mark_reminder_sent(s, cid, conn.secret_generation, kind, now)
        conn = s.get(Connection, cid)
        assert conn is not None
        repo.mark_exposed(s, conn, "refresh_token", conn.refresh_token_fp, detail="posted in Slack",
                          actor="U0POSTER", now=now)
        s.commit()

    rotated = new_secret()
    h.amazon.rotate_secret(creds.client_id, rotated)
    start = len(h.slack.calls_for("views.open"))
    h.command("rotate Main US", user=OWNER)
    modal = opened_modal(h, start)
    h.submit(modal, {"client_secret": rotated}, user=OWNER)
    final = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.rotated", name="Main US"))
    assert says(final, "lifecycle.still_exposed.refresh_token", name="Main US")
    assert h.connection(cid).status == "connected" and exposed_kinds(h.connection(cid)) == ("refresh_token",)

    fresh = new_refresh_token()
    h.amazon.reauthorize(creds.refresh_token, fresh)
    start = len(h.slack.calls_for("views.open"))
    h.command("reauthorize Main US", user=OWNER)
    modal = opened_modal(h, start)
    h.submit(modal, {"refresh_token": fresh}, user=OWNER)
    final = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.reauthorized", name="Main US"))
    assert not says(final, "lifecycle.still_exposed.client_secret")
    assert not says(final, "lifecycle.still_exposed.refresh_token")
    conn = h.connection(cid)
    assert conn.status == "connected" and conn.last_problem_kind is None and exposed_kinds(conn) == ()


_FAIL_ERASE = {
    "sqlite": ["CREATE TRIGGER fail_erase BEFORE UPDATE ON connections WHEN NEW.client_secret_enc IS NULL "
               "BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END"],
    "postgresql": ["CREATE FUNCTION fail_erase() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                   "IF NEW.client_secret_enc IS NULL THEN RAISE EXCEPTION 'simulated write failure'; END IF; "
                   "RETURN NEW; END $$",
                   "CREATE TRIGGER fail_erase BEFORE UPDATE ON connections FOR EACH ROW EXECUTE FUNCTION fail_erase()"],
}
_ALLOW_ERASE = {"sqlite": ["DROP TRIGGER fail_erase"],
                "postgresql": ["DROP TRIGGER fail_erase ON connections", "DROP FUNCTION fail_erase()"]}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_failed_erase_keeps_the_secrets_says_so_and_a_retry_erases(tmp_path: Path, database: str) -> None:
    """The database refuses the erase (a trigger): the user is told the secrets are still stored and what to
    do; nothing claims the disconnect, so the retry runs for real and then says erased."""
    import sqlalchemy as sa

    with BotHarness(tmp_path, database=database) as h:
        cid, creds = seed(h)
        with h.services.db.engine.begin() as c:
            for statement in _FAIL_ERASE[database]:
                c.exec_driver_sql(statement)

        def confirm() -> None:
            h.action("disconnect_confirm", OWNER, value=str(cid), block_id="lifecycle_disconnect",
                     channel_id="C0TEAM", response_url=h.slack.response_url())

        confirm()
        failed = wait_until(lambda: all_say(answers(h), "lifecycle.disconnect.failed") or None, 10, "no answer")
        assert says(failed[0], "lifecycle.disconnect.failed", name="Main US")
        assert not all_say(answers(h), "lifecycle.disconnect.done")
        assert not all_say(answers(h), "lifecycle.disconnect.done_announce_failed")
        conn = h.connection(cid)
        assert conn.status == "connected" and conn.client_secret_enc is not None
        assert h.secrets_of(cid).client_secret == creds.client_secret
        with h.db_session() as s:
            assert s.execute(sa.text("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'disconnect:%'")
                             ).scalar() == 0
            assert [a.action for a in repo.list_audit(s, "T0FAKETEAM", "Main US")][0] != "disconnected"
        assert not all_say(h.channel_posts(), "lifecycle.announce.disconnected", name="Main US")
        assert "Traceback" not in h.log_text() and creds.client_secret not in h.log_text()

        with h.services.db.engine.begin() as c:
            for statement in _ALLOW_ERASE[database]:
                c.exec_driver_sql(statement)
        confirm()
        wait_until(lambda: all_say(answers(h), "lifecycle.disconnect.done", name="Main US") or None, 10,
                   "the retry did not erase")
        conn = h.connection(cid)
        assert conn.status == "disconnected" and conn.client_secret_enc is None and conn.refresh_token_enc is None
        wait_until(lambda: all_say(h.channel_posts(), "lifecycle.announce.disconnected", name="Main US") or None, 10,
                   "no post")


def test_an_unexpected_error_during_a_rotation_does_not_leave_the_modal_verifying(
    h: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug or outage inside the rotation flow ends in a true message in the modal (it may not have finished),
    never a modal stuck on "verifying", and the secret is not logged."""
    cid, creds = seed(h)
    rotated = new_secret()
    start = len(h.slack.calls_for("views.open"))
    h.command("rotate Main US", user=OWNER)
    modal = opened_modal(h, start)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the flow broke")

    monkeypatch.setattr(rotation_flow, "renew", broken)
    h.submit(modal, {"client_secret": rotated}, user=OWNER)
    h.wait_view(modal["id"], lambda v: says(v, "general.listener_failed"))
    assert h.secrets_of(cid).client_secret == creds.client_secret
    assert rotated not in h.log_text()
