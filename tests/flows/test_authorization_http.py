"""Who may do what, across the real HTTP boundary.

- ``/connect-amazon audit [NAME]``: admins only (ADMIN_USER_IDS, or users.info is_admin/is_owner).
- CONNECT_ALLOWED as a list of user ids and user-group ids (``everyone`` and ``admins`` are covered
  by the onboarding tests).
- Rotate / re-authorize / disconnect by someone who is neither the owner nor an admin is refused,
  and nothing changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import t
from storage import repo
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.harness import BotHarness, wait_until
from tests.repo_helpers import mark_failing

TEAM = "T0FAKETEAM"


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotHarness]:
    with BotHarness(tmp_path_factory.mktemp("authz"), env={"ADMIN_USER_IDS": "U0LISTED1"}) as harness:
        harness.slack.add_user("U0LISTED1", "lisa")
        harness.slack.add_user("U0OTHER01", "otto")
        for channel in ("C0TEAM", "C0NOTIFY01"):
            harness.slack.channels[channel].members.update({"U0LISTED1", "U0OTHER01"})
        yield harness


def store(h: BotHarness, name: str, owner: str = "U0MEMBER") -> int:
    creds = make_credentials()
    with h.db_session() as s:
        conn = repo.create_or_update_connection(
            s, h.services.crypto,
            repo.ConnectionValues(team_id=TEAM, name=name, account_type="seller",
            selling_partner_id=creds.selling_partner_id, region="NA", marketplace_id=creds.marketplace_id,
            client_id=creds.client_id, client_secret=creds.client_secret, refresh_token=creds.refresh_token,
            secret_created_on=date.today(), store_name=None), created_by=owner,
            now=datetime.now(UTC) - timedelta(minutes=5),
        )
        s.commit()
        assert conn.id is not None
        return conn.id


def answer(h: BotHarness, text: str, user: str) -> dict[str, Any]:
    """Run ``/connect-amazon <text>`` and return what came back through its response_url."""
    before = len(h.slack.calls_for("response_url"))
    assert h.command(text, user=user).status_code == 200
    return wait_until(lambda: h.slack.calls_for("response_url")[before:], 10, f"no answer to {text!r}")[0].params


def test_audit_is_refused_to_members(h: BotHarness) -> None:
    store(h, "Refused Store")
    params = answer(h, "audit", "U0MEMBER")
    assert params["text"] == t("guard.audit.refused")
    assert "Refused Store" not in json.dumps(params)
    assert params.get("response_type") == "ephemeral"


def test_audit_for_a_workspace_admin_shows_the_trail_newest_first(h: BotHarness) -> None:
    cid = store(h, "Trail Store")
    with h.db_session() as s:
        conn = repo.get_connection_by_id(s, cid)
        assert conn is not None
        mark_failing(s, conn, "LWA said invalid_grant", datetime.now(UTC))
        s.commit()
    params = answer(h, 'audit "trail store"', "U0ADMIN")  # quotes and case do not matter
    text = json.dumps(params, ensure_ascii=False)
    assert params.get("response_type") == "ephemeral"
    assert t("guard.audit.title_one", name="Trail Store") in text
    assert text.index(t("guard.audit.action.health_failing")) < text.index(t("guard.audit.action.connected"))
    assert "<@U0MEMBER>" in text and "invalid_grant" in text
    from slack_sdk.models.blocks import Block

    for block in params["blocks"]:
        assert Block.parse(block) is not None


def test_audit_for_admin_user_ids_needs_no_lookup(h: BotHarness) -> None:
    store(h, "Listed Store")
    lookups = [c for c in h.slack.calls_for("users.info") if c.params.get("user") == "U0LISTED1"]
    params = answer(h, "audit", "U0LISTED1")
    assert t("guard.audit.title_all") in json.dumps(params, ensure_ascii=False)
    assert "Listed Store" in json.dumps(params) and "Trail Store" in json.dumps(params)
    # Being listed needs no admin lookup; the one users.info call (if any) is for the reader's language, and
    # the next request reads that from the cache.
    new = [c for c in h.slack.calls_for("users.info") if c.params.get("user") == "U0LISTED1"][len(lookups):]
    assert len(new) <= 1 and all(c.params.get("include_locale") in ("1", "true", True) for c in new)
    answer(h, "audit", "U0LISTED1")
    assert len([c for c in h.slack.calls_for("users.info") if c.params.get("user") == "U0LISTED1"]) == len(
        lookups) + len(new)


def test_audit_unknown_name_and_too_long_name(h: BotHarness) -> None:
    params = answer(h, "audit No Such Store", "U0OWNER")
    assert params["text"] == t("guard.audit.empty_one", name="*No Such Store*")
    params = answer(h, "audit " + "x" * 120, "U0OWNER")
    assert params["text"] == t("guard.audit.name_too_long")


def test_audit_when_slack_cannot_say_who_is_admin(h: BotHarness) -> None:
    h.slack.fail_next("users.info", error="internal_error", status=200, retry_after=None, times=1)
    params = answer(h, "audit", "U0OTHER01")
    assert params["text"] == t("guard.audit.lookup_failed", error="internal_error")


def test_non_owner_cannot_rotate_reauthorize_or_disconnect(h: BotHarness) -> None:
    cid = store(h, "Owned Store", owner="U0MEMBER")
    for word in ("rotate", "reauthorize", "disconnect"):
        params = answer(h, f"{word} Owned Store", "U0OTHER01")
        assert params["text"] == t("lifecycle.refused", name="*Owned Store*", owner="<@U0MEMBER>"), word
    # The channel button is refused the same way.
    before = len(h.slack.calls_for("views.open"))
    seen = len(h.slack.calls)
    h.action("rotate_now", "U0OTHER01", value=str(cid), channel_id="C0NOTIFY01", response_url=h.slack.response_url())
    refusal = wait_until(
        lambda: [c for c in h.slack.calls[seen:] if c.method in ("response_url", "chat.postEphemeral")
                 and "Owned Store" in json.dumps(c.params)], 10, "no refusal for the button")[0]
    assert says(refusal.params, "lifecycle.refused", name="*Owned Store*", owner="<@U0MEMBER>")
    assert len(h.slack.calls_for("views.open")) == before
    with h.db_session() as s:
        conn = repo.get_connection_by_id(s, cid)
        assert conn is not None and conn.status == "connected" and conn.client_secret_enc is not None
        assert [a.action for a in repo.list_audit(s, TEAM, "Owned Store")] == ["connected"]
    # ...while the owner gets the disconnect confirmation.
    params = answer(h, "disconnect Owned Store", "U0MEMBER")
    assert "disconnect_confirm" in json.dumps(params)


def test_connect_allowed_list_of_users_and_groups(tmp_path: Path) -> None:
    with BotHarness(tmp_path, env={"CONNECT_ALLOWED": "U0OWNER,S0AMAZON"}) as hb:
        hb.slack.usergroups["S0AMAZON"] = ["U0MEMBER"]
        hb.slack.add_user("U0STRANGER", "stan")
        hb.slack.channels["C0TEAM"].members.add("U0STRANGER")
        assert hb.command("", user="U0OWNER").status_code == 200  # listed by id
        hb.wait_dm(user="U0OWNER")
        assert hb.command("", user="U0MEMBER").status_code == 200  # in a listed user group
        hb.wait_dm(user="U0MEMBER")
        before = len(hb.slack.calls_for("response_url"))
        assert hb.command("", user="U0STRANGER").status_code == 200
        refusal = wait_until(lambda: hb.slack.calls_for("response_url")[before:], 10, "no refusal")[0]
        assert refusal.params["text"] == t("onboarding.start.refused")
        assert not hb.dm_messages("U0STRANGER")
        assert hb.slack.calls_for("usergroups.users.list")
