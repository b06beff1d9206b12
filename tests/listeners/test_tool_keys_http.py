"""``/connect-amazon keys …`` over signed HTTP (issue 15): admins make, list and revoke tool keys; the key is
shown once, ephemerally, to its maker and nowhere else; everyone else is refused; ``status`` and the App Home
name the tools; the key works against the API at once and stops when revoked."""

from __future__ import annotations

import re
from typing import Any

from storage.models import AuditEntry, ToolKey
from tests.api.helpers import CREATED_ON, token
from tests.catalog import says
from tests.harness import ADMIN, OWNER, STRANGER, BotHarness, wait_until

KEY = re.compile(r"amzc_[A-Za-z0-9_-]{32,}")


def answer(h: BotHarness, text: str, user: str) -> dict[str, Any]:
    before = len(h.slack.calls_for("response_url"))
    assert h.command(text, user=user).status_code == 200
    return wait_until(lambda: h.slack.calls_for("response_url")[before:], 10, f"no answer to {text!r}")[0].params


def _text(params: dict[str, Any]) -> str:
    import json

    return json.dumps(params, ensure_ascii=False)


def test_an_admin_makes_lists_and_revokes_a_key(bot: BotHarness) -> None:
    bot.seed("Main US", created_on=CREATED_ON)
    made = answer(bot, 'keys create etl "Main US"', ADMIN)
    assert made["response_type"] == "ephemeral"
    keys = KEY.findall(_text(made))
    assert len(set(keys)) == 1
    key = keys[0]
    assert says(made, "guard.keys.created.once")
    # the key works against the API at once
    assert token(bot, "Main US", key).status_code == 200

    listed = answer(bot, "keys list", ADMIN)
    assert says(listed, "guard.keys.list.title") and "etl" in _text(listed)
    assert key not in _text(listed) and key[:13] in _text(listed)  # the recognition prefix only

    status = answer(bot, "status", OWNER)
    assert says(status, "guard.keys.status.tools")

    revoked = answer(bot, "keys revoke etl", ADMIN)
    assert says(revoked, "guard.keys.revoke.done")
    assert token(bot, "Main US", key).status_code == 401
    assert says(answer(bot, "keys list", ADMIN), "guard.keys.list.empty")

    with bot.db_session() as s:
        actions = [e.action for e in s.query(AuditEntry).order_by(AuditEntry.id).all()]
        assert actions[-2:] == ["tool_key_created", "tool_key_revoked"]
        row = s.query(ToolKey).one()
        assert row.revoked_at is not None and row.active_name is None
    # shown once: the key is in that one ephemeral answer and nowhere else, not in any log or the database
    elsewhere = bot.everything_sent_and_logged().replace(made_raw(bot, key), "")
    assert key not in elsewhere
    assert key not in bot.log_text() and key not in bot.database_text()


def made_raw(h: BotHarness, key: str) -> str:
    """The raw text of the one Slack call that carried the key (its body and decoded forms)."""
    from urllib.parse import unquote_plus

    from tests.fakes.fake_slack import _text_leaves

    carriers = [c for c in h.slack.calls if key in c.raw_body or key in unquote_plus(c.raw_body)
                or any(key in leaf for leaf in _text_leaves(c.params))]
    assert len(carriers) == 1 and carriers[0].method == "response_url", [c.method for c in carriers]
    call = carriers[0]
    return "\n".join([call.raw_body, unquote_plus(call.raw_body), *_text_leaves(call.params)])


def test_everyone_else_is_refused_and_nothing_is_made(bot: BotHarness) -> None:
    bot.seed("Main", created_on=CREATED_ON)
    for user in (OWNER, STRANGER):
        refused = answer(bot, "keys create etl Main", user)
        assert says(refused, "guard.keys.refused") and not KEY.search(_text(refused))
        assert says(answer(bot, "keys list", user), "guard.keys.refused")
    with bot.db_session() as s:
        assert s.query(ToolKey).count() == 0


def test_the_owner_of_the_workspace_and_admin_user_ids_may(tmp_path) -> None:
    with BotHarness(tmp_path, env={"ADMIN_USER_IDS": STRANGER}) as h:
        h.seed("Main", created_on=CREATED_ON)
        assert KEY.search(_text(answer(h, "keys create etl Main", STRANGER)))
        assert KEY.search(_text(answer(h, "keys create dash * --export", "U0OWNER")))
        listed = _text(answer(h, "keys list", "U0OWNER"))
        assert "etl" in listed and "dash" in listed


def test_mistakes_get_one_clear_sentence(bot: BotHarness) -> None:
    bot.seed("Main", created_on=CREATED_ON)
    cases = {
        "keys": "guard.keys.usage",
        "keys create": "guard.keys.usage",
        "keys create etl": "guard.keys.usage",
        'keys create etl "Main': "guard.keys.usage.quotes",
        "keys create <bad> Main": "guard.keys.bad_tool_name",
        "keys create etl * Main": "guard.keys.all_alone",
        "keys create etl Nope": "guard.keys.unknown_connection",
        "keys revoke nobody": "guard.keys.revoke.unknown",
        "keys frobnicate": "guard.keys.usage",
    }
    for text, key in cases.items():
        got = answer(bot, text, ADMIN)
        assert says(got, key), (text, got)
        assert "<bad>" not in _text(got)  # typed text is escaped
    assert KEY.search(_text(answer(bot, "keys create etl Main", ADMIN)))
    assert says(answer(bot, "keys create etl Main", ADMIN), "guard.keys.name_taken")


def test_the_app_home_names_the_tools(bot: BotHarness) -> None:
    bot.seed("Main", created_on=CREATED_ON)
    answer(bot, "keys create warehouse-etl Main", ADMIN)
    before = len(bot.slack.calls_for("views.publish"))
    assert bot.open_home(OWNER).status_code == 200
    call = wait_until(lambda: bot.slack.calls_for("views.publish")[before:], 10, "no home")[0]
    assert says(call.params["view"], "guard.keys.status.tools") and "warehouse-etl" in _text(call.params)
