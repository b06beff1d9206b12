"""Every text input in every modal the bot builds has a max_length (issue 7), within Slack's limit,
and long enough for the longest real value of its field. Checked on the builder functions and on
every view the bot really sent to (the fake) Slack while connecting, failing and rotating."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.amazon import validators
from bot.amazon.validators import INPUT_MAX_LENGTH
from bot.flows.onboarding import Prefill
from bot.flows.rotation import RenewKind
from bot.views.blocks import Words
from bot.views.credentials import credentials_modal
from bot.views.lifecycle import renew_modal
from tests.fakes.fake_amazon import make_credentials
from tests.harness import BotHarness, wait_until
from tests.views.lifecycle_samples import sample_summary
from tests.views.limits import ALL_LOCALES, block_kit_problems

SLACK_LIMIT = 3000  # plain_text_input max_length can be at most 3000
# The longest value a person may legitimately paste into each field (validators accept these). Refresh tokens:
# "Refresh tokens have a maximum size of 2048 bytes" (Login with Amazon docs, Refresh Tokens,
# https://developer.amazon.com/docs/login-with-amazon/refresh-token.html).
LONGEST = {"client_secret": len("amzn1.oa2-cs.v1.") + 128, "refresh_token": 2048,
           "client_id": len("amzn1.application-oa2-client.") + 64, "selling_partner_id": 20, "connection_name": 80}


def inputs(view: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for block in view.get("blocks", []):
        element = block.get("element")
        if block.get("type") == "input" and isinstance(element, dict):
            yield element
        for el in (block.get("elements") or []) + [block.get("accessory") or {}]:
            if isinstance(el, dict) and el.get("type") == "plain_text_input":
                yield el


def check(view: dict[str, Any], where: str) -> int:
    checked = 0
    for element in inputs(view):
        if element.get("type") not in ("plain_text_input", "email_text_input", "url_text_input",
                                       "number_input", "rich_text_input"):
            continue
        action_id = element.get("action_id")
        limit = element.get("max_length")
        assert isinstance(limit, int) and 1 <= limit <= SLACK_LIMIT, f"{where}: {action_id} has no max_length"
        assert limit >= LONGEST.get(str(action_id), 1), f"{where}: {action_id} max_length {limit} is too small"
        assert "initial_value" not in element or action_id not in ("client_secret", "refresh_token"), where
        checked += 1
    return checked


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_builders(locale: str) -> None:
    today = date(2026, 3, 1)
    words = Words(locale)
    prefill = Prefill(account_type="seller", selling_partner_id="A1B2C3D4E5F6G7", connection_name="US Main")
    views = [credentials_modal(words, Prefill(), today), credentials_modal(words, prefill, today)]
    assert check(views[0], "credentials (empty)") >= 5
    assert check(views[1], "credentials (prefilled)") >= 5
    target = sample_summary("US Main")
    for kind in RenewKind:
        views.append(renew_modal(kind, target, today, words))
        assert check(views[-1], f"renew {kind}") == 1
    for view in views:  # titles, labels, hints, placeholders, options and buttons fit in this language too
        assert block_kit_problems(view) == [], (locale, view.get("callback_id"))


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_one_table_of_limits_for_every_modal(locale: str) -> None:
    """The connect form and the rotate/re-authorize modals take each field's limit from the one table, so the
    same secret is never accepted by one modal and cut short by another."""
    today = date(2026, 3, 1)
    target = sample_summary("US Main")
    words = Words(locale)
    views = [credentials_modal(words, Prefill(), today), renew_modal(RenewKind.rotate, target, today, words),
             renew_modal(RenewKind.reauthorize, target, today, words)]
    seen: dict[str, set[int]] = {}
    for view in views:
        for element in inputs(view):
            if element.get("type") == "plain_text_input":
                seen.setdefault(str(element["action_id"]), set()).add(element["max_length"])
    assert seen["client_secret"] == {INPUT_MAX_LENGTH["client_secret"]}
    assert seen["refresh_token"] == {INPUT_MAX_LENGTH["refresh_token"]}
    assert all(limits == {INPUT_MAX_LENGTH[key]} for key, limits in seen.items()), seen
    # The longest values the format checks accept fit.
    longest_secret = validators.CLIENT_SECRET_PREFIX + "a" * 128
    assert validators.check_client_secret(longest_secret).ok
    assert len(longest_secret) <= INPUT_MAX_LENGTH["client_secret"]
    longest_name = "n" * validators.CONNECTION_NAME_MAX
    assert validators.check_connection_name(longest_name).ok
    assert not validators.check_connection_name(longest_name + "n").ok
    assert len(longest_name) <= INPUT_MAX_LENGTH["connection_name"]


@pytest.fixture
def h(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_every_view_really_sent(h: BotHarness, locale: str) -> None:
    h.slack.set_locale("U0MEMBER", locale)
    creds = h.amazon.register(make_credentials())
    h.command("", user="U0MEMBER")
    h.wait_dm(user="U0MEMBER")
    view = h.open_credentials("U0MEMBER")
    h.submit(view, h.form_values(creds, "Inputs Store"), "U0MEMBER")
    h.wait_view(view["id"], lambda v: "Inputs Store" in json.dumps(v) and v.get("callback_id") == "connect_result")
    for word in ("rotate", "reauthorize"):
        before = len(h.slack.calls_for("views.open"))
        h.command(f"{word} Inputs Store", user="U0MEMBER")
        wait_until(lambda b=before: h.slack.calls_for("views.open")[b:], 10, f"no {word} modal")
    sent = [c for m in ("views.open", "views.update", "views.push") for c in h.slack.calls_for(m)]
    assert len(sent) >= 4
    shown = [c.params["view"] if isinstance(c.params["view"], dict) else json.loads(c.params["view"]) for c in sent]
    total = sum(check(view, call.method) for view, call in zip(shown, sent, strict=True))
    assert [p for view in shown for p in block_kit_problems(view)] == []
    assert total >= 7  # the credential form's five text inputs and the two renew modals' one each
