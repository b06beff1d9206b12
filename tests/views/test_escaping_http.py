"""Mention and link injection across the real HTTP boundary (tests/harness.py: signed Slack requests in,
fake Slack Web API and fake Amazon over HTTP out).

A member connects a store named ``<!channel> <https://evil.example|click>`` whose Amazon store name is
hostile too, then the connection lives its life: the "connected" post, an expiry reminder from
``python -m bot sweep --now``, a rotation through the "Rotate now" button, a health failure (Amazon
revokes the refresh token, then a sweep), the exposed alert (the secret pasted in a channel), status,
App Home, the audit trail and the disconnect. Every message, ephemeral answer, modal and App Home
view the fake Slack received, and every modal the bot answered with, is checked string by string:
``<`` and ``>`` only ever appear in the mentions and channel links the bot builds itself
(Slack's rule: https://api.slack.com/reference/surfaces/formatting#escaping).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.i18n import t
from storage import repo
from storage.models import Connection
from tests.catalog import all_say, pattern, says
from tests.fakes.fake_amazon import make_credentials
from tests.harness import ADMIN, NOTIFY_CHANNEL, OWNER, BotHarness, wait_until
from tests.views.test_escaping import assert_safe

NAME = "<!channel> <https://evil.example|click>"
SHOWN = "&lt;!channel&gt; &lt;https://evil.example|click&gt;"
STORE = "\u202eAcme\u202c <!here> <https://evil.example/store|Acme>"


@pytest.fixture
def h(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


def posts_since(h: BotHarness, before: int, key: str) -> list[dict[str, Any]]:
    """Team-channel posts after the first ``before`` that say catalog sentence ``key``."""
    return wait_until(lambda: all_say(h.channel_posts()[before:], key) or None, 15, f"no channel post saying {key}")


def dms_since(h: BotHarness, before: int) -> list[dict[str, Any]]:
    return wait_until(lambda: h.dm_messages(OWNER)[before:] or None, 15, "no DM")


def sweep(h: BotHarness, now: datetime) -> None:
    proc = h.run_cli("sweep", "--now", now.isoformat())
    assert proc.returncode == 0, proc.stdout + proc.stderr


def connection(h: BotHarness) -> Connection:
    with h.db_session() as s:
        conn = next(c for c in repo.list_connections(s, "T0FAKETEAM", include_disconnected=True))
        s.expunge(conn)
        return conn


def test_a_hostile_connection_name_never_reaches_slack_as_markup(h: BotHarness) -> None:
    answers: list[Any] = []  # what the bot answered Slack over HTTP (view updates, errors)

    def keep(response: httpx.Response) -> httpx.Response:
        assert response.status_code == 200, response.text
        if response.content:
            answers.append(response.json())
        return response

    # --- connect: the name is typed by a member, the store name comes from Amazon ---------------------
    creds = h.amazon.register(make_credentials(), store_name=STORE)
    keep(h.command("", user=OWNER))
    h.wait_dm(user=OWNER)
    h.click("checklist_path_seller", OWNER)
    h.wait_dm(lambda m: any(b.get("block_id") == "step_profile_submitted" for b in m.get("blocks", [])), OWNER)
    view = h.open_credentials(OWNER)
    created = date.today() - timedelta(days=170)  # expires in 10 days: a reminder is due at once
    keep(h.submit(view, h.form_values(creds, NAME, secret_created_on=created.isoformat()), user=OWNER))
    result = h.wait_view(view["id"], lambda v: says(v, "onboarding.result.connected"))
    assert SHOWN in assert_safe(result)
    conn = connection(h)
    assert conn.name == NAME  # stored as typed: escaping is for display only
    assert conn.store_name == "Acme <!here> <https://evil.example/store|Acme>"  # cleaned of bidi controls
    connected = posts_since(h, 0, "onboarding.announce.connected")
    assert SHOWN in assert_safe(connected) and "&lt;!here&gt; &lt;https://evil.example/store|Acme&gt;" in str(
        connected)

    # --- an expiry reminder from the sweep -------------------------------------------------------------
    before = len(h.channel_posts())
    sweep(h, datetime.now(UTC))
    reminder = posts_since(h, before, "lifecycle.reminder.text")
    assert f"*{SHOWN}*" in str(reminder) and f"rotate {SHOWN}" in str(reminder)

    # --- rotation through the "Rotate now" button ------------------------------------------------------
    rotated = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    h.amazon.rotate_secret(creds.client_id, rotated)
    opened = len(h.slack.calls_for("views.open"))
    keep(h.action("rotate_now", OWNER, value=str(conn.id), block_id="lifecycle_rotate", channel_id=NOTIFY_CHANNEL))
    call = wait_until(lambda: h.slack.calls_for("views.open")[opened:] or None, 10, "no rotation modal")[0]
    modal = h.view(call.response["view"]["id"])
    assert SHOWN in str(modal)
    before = len(h.channel_posts())
    keep(h.submit(modal, {"client_secret": rotated}, user=OWNER))
    done = h.wait_view(modal["id"], lambda v: says(v, "lifecycle.result.rotated"))
    assert SHOWN in str(done)
    assert SHOWN in str(posts_since(h, before, "lifecycle.announce.rotated.text"))

    # --- a health failure: Amazon revokes the refresh token, the next check finds it ------------------
    h.amazon.revoke_refresh_token(creds.refresh_token)
    with h.db_session() as s:
        repo.reschedule_health_checks(s, [conn.id], datetime.now(UTC) - timedelta(minutes=1))
    before, dms_before = len(h.channel_posts()), len(h.dm_messages(OWNER))
    sweep(h, datetime.now(UTC))
    assert SHOWN in str(posts_since(h, before, "lifecycle.health.failing.text"))
    assert any(SHOWN in str(m) for m in dms_since(h, dms_before))

    # --- the exposed alert: the (new) client secret is pasted in a channel -----------------------------
    before = len(h.channel_posts())
    ts = f"{time.time():.6f}"
    keep(h.event({"type": "message", "channel": "C0TEAM", "user": OWNER, "ts": ts, "event_ts": ts,
                  "channel_type": "channel", "team": "T0FAKETEAM", "text": f"the secret is {rotated}"}))
    alert = posts_since(h, before, "guard.leak.alert.headline")
    assert SHOWN in str(alert) and "The an" not in str(alert)
    warning = h.wait_for_slack("chat.postEphemeral", lambda c: c.params.get("user") == OWNER)
    assert SHOWN in str(warning.params)

    # --- status, App Home, the audit trail -------------------------------------------------------------
    keep(h.command("status", user=OWNER))
    h.wait_for_slack("response_url", lambda c: says(c.params, "onboarding.status.fallback"))
    keep(h.open_home(OWNER))
    assert SHOWN in str(h.wait_for_slack("views.publish").params["view"])
    keep(h.command("audit", user=ADMIN))
    h.wait_for_slack("response_url", lambda c: says(c.params, "guard.audit.title_all"))

    # --- disconnect: the question, then the confirmation ------------------------------------------------
    keep(h.command(f"disconnect {NAME}", user=OWNER))
    question = h.wait_for_slack("response_url", lambda c: "lifecycle_disconnect" in c.raw_body)
    assert SHOWN in str(question.params)
    before = len(h.channel_posts())
    keep(h.action("disconnect_confirm", OWNER, value=str(conn.id), block_id="lifecycle_disconnect",
                  channel_id="C0TEAM", response_url=h.slack.response_url()))
    assert SHOWN in str(posts_since(h, before, "lifecycle.announce.disconnected.text"))
    wait_until(lambda: connection(h).status == "disconnected" or None, 10, "not disconnected")
    h.wait_for_slack("response_url", lambda c: says(c.params, "lifecycle.disconnect.done"))
    with h.db_session() as s:  # a disconnected name in a refusal is escaped too
        assert repo.get_connection(s, "T0FAKETEAM", NAME) is not None
    keep(h.command(f"rotate {NAME}", user=OWNER))
    h.wait_for_slack("response_url", lambda c: says(c.params, "lifecycle.already_disconnected"))

    # --- everything Slack received, and every answer the bot gave it -------------------------------------
    kinds = {c.method for c in h.slack.calls}
    assert {"chat.postMessage", "chat.postEphemeral", "response_url", "views.open", "views.update",
            "views.publish"} <= kinds
    for call in h.slack.calls:  # text, every text object and field, recursively (not inputs' typed values)
        assert_safe(call.params)
    for answer in answers:
        assert_safe(answer)
    carrying = [c for c in h.slack.calls if SHOWN in str(c.params)]
    assert len(carrying) >= 12  # the check above did run over the messages that show the name


def test_the_exposed_alert_names_the_leaked_secret_without_a_doubled_article(h: BotHarness) -> None:
    creds = make_credentials()
    with h.db_session() as s:
        repo.create_or_update_connection(
            s, h.services.crypto,
            repo.ConnectionValues(team_id="T0FAKETEAM", name="Main US", account_type="seller",
            selling_partner_id=creds.selling_partner_id, region="NA", marketplace_id=creds.marketplace_id,
            client_id=creds.client_id, client_secret=creds.client_secret, refresh_token=creds.refresh_token,
            secret_created_on=date.today(), store_name=None), created_by=OWNER, now=datetime.now(UTC),
        )
        s.commit()
    ts = f"{time.time():.6f}"
    h.event({"type": "message", "channel": "C0TEAM", "user": OWNER, "ts": ts, "event_ts": ts,
             "channel_type": "channel", "team": "T0FAKETEAM", "text": f"secret: {creds.client_secret} ok"})
    alert = posts_since(h, 0, "guard.leak.alert.headline")[0]
    headline = pattern("guard.leak.alert.headline", label=t("amazon.field.client_secret.label"), name="Main US")
    assert headline.match(alert["text"])
    assert not re.search(r"\bThe (an?|the) ", alert["text"] + str(alert["blocks"]))
    assert t("guard.leak.alert.headline", label="LWA client secret", name="X").startswith("The LWA client secret")
