"""The leak guard across the real HTTP boundary: signed Events API callbacks in, fake Slack calls out.

A secret pasted in a channel (or added by an edit) gets the poster a private warning and, when it
matches a stored connection, flags it "exposed" with one team-channel alert carrying a "Rotate now"
button. Slack's retries of the same event (X-Slack-Retry-Num) never warn twice; the bot's own
messages are ignored; the secret is never repeated, not even its last characters.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import t
from storage import repo
from storage.models import exposed_kinds
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.fakes.slack_signing import JSON, event_callback_body, post_signed
from tests.harness import BotHarness, wait_until

TEAM = "T0FAKETEAM"
POSTER = "U0MEMBER"


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotHarness]:
    with BotHarness(tmp_path_factory.mktemp("leak")) as harness:
        harness.slack.add_channel("G0PRIVATE1", "private-team", members={"U0ADMIN", "U0MEMBER"})
        yield harness


def stored_connection(h: BotHarness, name: str) -> tuple[int, Any]:
    creds = make_credentials()
    # write=True: BEGIN IMMEDIATE waits for the harness's workers' writes; a deferred transaction that turns
    # into a write while one holds the lock fails at once ("database is locked", seen in CI)
    with h.services.db.session(write=True) as s:
        conn = repo.create_or_update_connection(
            s, h.services.crypto,
            repo.ConnectionValues(team_id=TEAM, name=name, account_type="seller",
            selling_partner_id=creds.selling_partner_id, region="NA", marketplace_id=creds.marketplace_id,
            client_id=creds.client_id, client_secret=creds.client_secret, refresh_token=creds.refresh_token,
            secret_created_on=date.today(), store_name=None), created_by="U0OWNER", now=datetime.now(UTC),
        )
        s.commit()
        assert conn.id is not None
        return conn.id, creds


def send(h: BotHarness, event: dict[str, Any], event_id: str | None = None, retry: int | None = None) -> str:
    event_id = event_id or "Ev" + secrets.token_hex(5).upper()
    body = event_callback_body(event, event_id)
    headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else None
    response = post_signed(h.url, body, h.signing_secret, JSON, extra_headers=headers)
    assert response.status_code == 200, response.text
    return event_id


def processed(h: BotHarness, event_id: str, timeout: float = 10.0) -> str:
    """The leak guard's debug line for this event, once its lazy listener has finished."""
    return wait_until(
        lambda: next((line for line in h.records.lines if f"event {event_id} " in line and "leak guard" in line),
                     None),
        timeout, f"leak guard never finished {event_id}",
    )


def message(text: str, channel: str = "C0TEAM", user: str = POSTER, **extra: Any) -> dict[str, Any]:
    ts = f"{time.time():.6f}"
    return {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts,
            "channel_type": "group" if channel.startswith("G") else "channel", "team": TEAM, **extra}


def ephemerals_to(h: BotHarness, user: str) -> list[dict[str, Any]]:
    return [e for e in h.slack.ephemerals if e["user"] == user]


def assert_never_repeated(h: BotHarness, *values: str) -> None:
    sent = h.slack.all_text()
    for value in values:
        assert value not in sent
        assert value[-4:] not in json.dumps([e for e in h.slack.ephemerals])  # not even the last 4 characters
        assert value[-12:] not in sent


def test_a_stored_secret_pasted_in_a_channel(h: BotHarness) -> None:
    cid, creds = stored_connection(h, "US Main Store")
    before_alerts = len(h.channel_posts())
    started = time.monotonic()
    event_id = send(h, message(f"here is our secret for the new tool: {creds.client_secret} thanks"))

    warning = h.wait_for_slack("chat.postEphemeral", lambda c: c.params.get("user") == POSTER)
    assert time.monotonic() - started < 10  # "within seconds" (generous bound: a semantics check)
    assert warning.params["channel"] == "C0TEAM"
    what = t("guard.leak.kind.client_secret")
    assert says(warning.params, "guard.leak.warning.headline", what=what)
    for key in ("guard.leak.warning.delete", "guard.leak.warning.next_time"):
        assert says(warning.params, key), key
    assert says(warning.params, "guard.leak.warning.rotate", what=what)
    assert says(warning.params, "guard.leak.warning.matched", names="*US Main Store*")

    alert = wait_until(lambda: h.channel_posts()[before_alerts:], 10, "no channel alert")[0]
    button = next(e for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"])
    assert button["action_id"] == "rotate_now" and button["value"] == str(cid)
    assert says(alert, "guard.leak.alert.headline", label=t("guard.leak.label.client_secret"), name="US Main Store")

    assert "found=client_secret" in processed(h, event_id)
    with h.db_session() as s:
        conn = repo.get_connection_by_id(s, cid)
        assert conn is not None and conn.status == "connected" and exposed_kinds(conn) == ("client_secret",)
        assert [a.action for a in repo.list_audit(s, TEAM, "US Main Store")][0] == "exposed"
    assert_never_repeated(h, creds.client_secret)


def test_a_slack_retry_of_the_same_event_does_not_warn_twice(h: BotHarness) -> None:
    _, creds = stored_connection(h, "Retry Store")
    user = "U0ADMIN"
    event = message(f"oops {creds.refresh_token}", user=user)
    event_id = send(h, event)
    processed(h, event_id)
    alerts = len(h.channel_posts())
    for attempt in (1, 2):
        send(h, event, event_id=event_id, retry=attempt)
    # Each retry is the job already queued for the event (its dedupe key), or a duplicate scan.
    wait_until(lambda: sum(("duplicate=True" in line and f"event {event_id} " in line)
                           or f"leak_guard:event:{event_id}) is already queued" in line
                           for line in h.records.lines) == 2,
               10, "the retries were not handled")
    assert len(ephemerals_to(h, user)) == 1
    assert len(h.channel_posts()) == alerts
    assert_never_repeated(h, creds.refresh_token)


def test_an_edit_that_adds_a_secret_warns_and_one_that_keeps_it_does_not(h: BotHarness) -> None:
    cid, creds = stored_connection(h, "Edit Store")
    user = "U0OWNER"
    original = message("the refresh token is coming", user=user)
    send(h, original)
    alerts = len(h.channel_posts())

    edited = {**original, "text": f"the refresh token is {creds.refresh_token}", "edited": {"user": user}}
    edit_event = {"type": "message", "subtype": "message_changed", "channel": "C0TEAM", "hidden": True,
                  "ts": f"{time.time():.6f}", "message": edited, "previous_message": original,
                  "channel_type": "channel"}
    first = send(h, edit_event)
    assert "found=refresh_token" in processed(h, first)
    warning = wait_until(lambda: ephemerals_to(h, user), 10, "no warning for the edit")[0]
    assert t("guard.leak.warning.edited", what=t("guard.leak.kind.refresh_token")) in json.dumps(warning)

    alert = wait_until(lambda: h.channel_posts()[alerts:], 10, "no alert for the edit")[0]
    ids = [e["action_id"] for b in alert["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids == ["rotate_now", "reauthorize_now"]

    again = {**edit_event, "message": {**edited, "text": edited["text"] + " (typo fixed)"}, "previous_message": edited}
    second = send(h, again)
    assert "found=nothing" in processed(h, second)
    assert len(ephemerals_to(h, user)) == 1
    with h.db_session() as s:
        assert exposed_kinds(repo.get_connection_by_id(s, cid)) == ("refresh_token",)
    assert_never_repeated(h, creds.refresh_token)


def test_secret_in_blocks_of_a_private_channel_message(h: BotHarness) -> None:
    secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)  # not stored anywhere: a warning, no alert
    alerts = len(h.channel_posts())
    blocks = [{"type": "rich_text", "block_id": "x", "elements": [{"type": "rich_text_preformatted", "elements": [
        {"type": "text", "text": secret}]}]}]
    event_id = send(h, message("", channel="G0PRIVATE1", user="U0ADMIN", blocks=blocks, thread_ts="1700000000.000100"))
    assert "found=client_secret" in processed(h, event_id) and "exposed=0" in processed(h, event_id)
    warning = h.wait_for_slack("chat.postEphemeral", lambda c: c.params.get("channel") == "G0PRIVATE1")
    assert warning.params.get("thread_ts") == "1700000000.000100"
    assert len(h.channel_posts()) == alerts
    assert_never_repeated(h, secret)


def test_the_bots_own_messages_and_ordinary_text_are_ignored(h: BotHarness) -> None:
    team = h.slack.team
    secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    own = message(f"{secret}", user=team.bot_user_id, bot_id=team.bot_id)
    send(h, own)
    ordinary = send(h, message("deploy sha256 " + secrets.token_hex(32) + " done, see Atzr|short"))
    assert "found=nothing" in processed(h, ordinary)
    # A later, real leak is handled; by then the earlier events had their chance.
    sentinel_secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    sentinel = send(h, message(sentinel_secret, user="U0ADMIN", channel="C0GENERAL"))
    processed(h, sentinel)
    assert not any(secret[-4:] in json.dumps(c.params) for c in h.slack.calls_for("chat.postEphemeral"))
    assert not [e for e in h.slack.ephemerals if e["user"] == team.bot_user_id]
    assert not [line for line in h.records.lines if "Traceback" in line]


def test_rotate_now_button_opens_the_rotation_modal(h: BotHarness) -> None:
    cid, creds = stored_connection(h, "Button Store")
    alerts = len(h.channel_posts())
    send(h, message(creds.client_secret, user="U0OWNER"))
    alert = wait_until(lambda: h.channel_posts()[alerts:], 10, "no alert")[0]
    opened = len(h.slack.calls_for("views.open"))
    response = h.click("rotate_now", "U0OWNER", message=alert)
    assert response.status_code == 200
    call = wait_until(lambda: h.slack.calls_for("views.open")[opened:], 10, "no rotation modal")[0]
    assert "client_secret" in json.dumps(call.params)  # the lifecycle's rotation modal asks for the new secret
    assert str(cid) in json.dumps(call.params) or "Button Store" in json.dumps(call.params)


def test_nothing_secret_anywhere_after_the_leaks(h: BotHarness, tmp_path: Path) -> None:
    """Runs last: the warnings, alerts, logs and DB bytes of this module never show a secret."""
    import re

    everything = h.everything_sent_and_logged()
    assert not re.search(r"amzn1\.oa2-cs\.v1\.[0-9a-f]{20}", h.slack.all_text())
    assert not re.search(r"Atzr\|IwEB[A-Za-z0-9_\-]{20}", everything.replace(h.slack.all_text(), ""))
