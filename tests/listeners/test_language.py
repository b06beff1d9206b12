"""Who reads which language, over real HTTP: the bot (BotHarness, behind waitress) is sent signed requests,
and asks the fake Slack's ``users.info`` (tests/fakes/fake_slack.py, ``set_locale``) for each person's
locale. ``/connect-amazon language`` stores the person's own choice, which wins over Slack's.

A ``probe`` action registered on the running app reports the request's ``actor.locale``. Answers are
compared with the catalog's rendering of the flow's meaning (``Words(locale).render(Message(...))``);
those in Simplified Chinese need bot/i18n/zh_CN.py and skip until it exists."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Ack, BoltContext

from bot.flows.language import choices, language_name
from bot.i18n import Message, Strong
from bot.listeners.context import actor_of
from bot.payload import first_action
from bot.views.blocks import Words
from storage import repo
from tests.catalog import says
from tests.fakes.fake_slack import Call
from tests.fakes.slack_signing import TEAM_ID
from tests.harness import ADMIN, OWNER, BotHarness, wait_until

HAS_CHINESE = importlib.util.find_spec("bot.i18n.zh_CN") is not None
needs_chinese = pytest.mark.skipif(not HAS_CHINESE, reason="bot/i18n/zh_CN.py (the Chinese catalog) is not here yet")


class Probe:
    """An action on the running app that reports ``actor.locale`` (and, when asked, the admin flags)."""

    def __init__(self, h: BotHarness) -> None:
        self.h = h
        self.seen: list[tuple[str, str, bool | None]] = []

        @h.app.action("probe_locale")
        def probe(ack: Ack, context: BoltContext, body: dict[str, Any]) -> None:
            ack()
            actor = actor_of(context)
            admin = actor.is_admin() if first_action(body).get("value") == "admin" else None
            self.seen.append((actor.user_id, actor.locale, admin))

    def locale(self, user: str = OWNER, *, admin: bool = False) -> tuple[str, bool | None]:
        before = len(self.seen)
        response = self.h.action("probe_locale", user, value="admin" if admin else "locale", channel_id="C0TEAM")
        assert response.status_code == 200
        wait_until(lambda: len(self.seen) > before or None, 10, "the probe never ran")
        _user, locale, is_admin = self.seen[before]
        return locale, is_admin


@pytest.fixture
def h(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


def users_info_calls(h: BotHarness, user: str = OWNER) -> list[Call]:
    return [c for c in h.slack.calls_for("users.info") if c.params.get("user") == user]


def language_command(h: BotHarness, value: str, user: str = OWNER) -> Call:
    """``/connect-amazon language VALUE``; returns its ephemeral answer (a response_url post)."""
    before = len(h.slack.calls_for("response_url"))
    response = h.command(f"language {value}".strip(), user=user)
    assert response.status_code == 200 and response.text == ""  # acked at once, answered after
    answer = wait_until(lambda: h.slack.calls_for("response_url")[before:], 10, "no answer")[0]
    assert answer.params["response_type"] == "ephemeral"
    return answer


def stored(h: BotHarness, user: str = OWNER) -> str | None:
    with h.db_session() as s:
        return repo.get_language(s, TEAM_ID, user)


def test_a_chinese_slack_user_reads_chinese_until_they_choose_english(h: BotHarness) -> None:
    probe = Probe(h)
    h.slack.set_locale(OWNER, "zh-CN")
    assert probe.locale() == ("zh-CN", None)
    assert [c.params.get("include_locale") for c in users_info_calls(h)] == ["1"]  # slack_sdk's true

    answer = language_command(h, "en")
    assert answer.params["text"] == Words("en").render(Message("general.language.set",
                                                               language=language_name("en")))
    assert stored(h) == "en"
    assert probe.locale() == ("en", None)  # the choice wins over Slack's locale

    # Answered in Chinese (test_a_chinese_slack_user_is_answered_in_chinese_after_auto), once that catalog exists.
    assert h.command("language auto").status_code == 200
    wait_until(lambda: stored(h) is None or None, 10, "the choice was never cleared")
    assert probe.locale() == ("zh-CN", None)  # Slack's locale again, still cached
    assert len(users_info_calls(h)) == 1


@needs_chinese
def test_the_answer_speaks_the_language_just_chosen(h: BotHarness) -> None:
    h.slack.set_locale(OWNER, "en-GB")
    zh, en = Words("zh-CN"), Words("en")
    answer = language_command(h, "zh-cn")  # case does not matter
    assert answer.params["text"] == zh.render(Message("general.language.set", language=language_name("zh-CN")))
    assert stored(h) == "zh-CN"
    answer = language_command(h, "")
    assert answer.params["text"] == zh.render(Message("general.language.current.chosen",
                                                      language=language_name("zh-CN"), choices=choices()))
    answer = language_command(h, "AUTO")
    assert answer.params["text"] == en.render(Message("general.language.auto"))  # Slack says en-GB
    assert stored(h) is None


@needs_chinese
def test_a_chinese_slack_user_is_answered_in_chinese_after_auto(h: BotHarness) -> None:
    h.slack.set_locale(OWNER, "zh-CN")
    language_command(h, "en")
    answer = language_command(h, "auto")
    assert answer.params["text"] == Words("zh-CN").render(Message("general.language.auto"))


def test_an_english_speaker_is_told_their_language_and_can_choose_one(h: BotHarness) -> None:
    answer = language_command(h, "")
    assert answer.params["text"] == Words("en").render(Message("general.language.current.slack",
                                                               language=language_name("en"), choices=choices()))
    assert says(answer.params, "general.language.current.slack")
    for code in ("en", "zh-CN"):
        assert says(answer.params, "general.language.choice", code=code)
    assert says(answer.params, "general.language.choice.auto", code="auto")
    answer = language_command(h, "EN")
    assert answer.params["text"] == Words("en").render(Message("general.language.set", language=language_name("en")))
    assert stored(h) == "en"
    answer = language_command(h, "")
    assert says(answer.params, "general.language.current.chosen")


@pytest.mark.parametrize("value", ["fr", "zh", "中文", "en please", "<!channel> *x*"])
def test_an_unknown_value_is_answered_with_the_choices_and_changes_nothing(h: BotHarness, value: str) -> None:
    answer = language_command(h, value)
    assert answer.params["text"] == Words("en").render(Message("general.language.unknown", value=Strong(value),
                                                               choices=choices()))
    assert "<!channel>" not in answer.params["text"]  # what the person typed is escaped, never a ping
    assert stored(h) is None


def test_the_help_lists_the_language_subcommand(h: BotHarness) -> None:
    before = len(h.slack.calls_for("response_url"))
    h.command("help")
    answer = wait_until(lambda: h.slack.calls_for("response_url")[before:], 10, "no help")[0]
    assert says(answer.params, "onboarding.help.extra.language")


def test_the_cache_makes_a_second_request_cost_no_users_info_call(h: BotHarness) -> None:
    probe = Probe(h)
    h.slack.set_locale(OWNER, "zh-CN")
    h.slack.set_locale(ADMIN, "zh-CN")
    assert probe.locale() == ("zh-CN", None)
    assert probe.locale() == ("zh-CN", None)
    assert len(users_info_calls(h)) == 1  # the second request read the cache
    # A request that needs the admin flags too still makes one call, never two.
    assert probe.locale(ADMIN, admin=True) == ("zh-CN", True)
    assert len(users_info_calls(h, ADMIN)) == 1
    assert probe.locale(ADMIN, admin=True) == ("zh-CN", True)  # admin flags are asked per request
    assert len(users_info_calls(h, ADMIN)) == 2
    assert probe.locale(ADMIN) == ("zh-CN", None)
    assert len(users_info_calls(h, ADMIN)) == 2


def test_a_stored_choice_needs_no_slack_call(h: BotHarness) -> None:
    probe = Probe(h)
    h.slack.set_locale(OWNER, "en-US")
    with h.services.db.session() as s:
        repo.set_language(s, TEAM_ID, OWNER, "zh-CN")
        s.commit()
    calls = len(users_info_calls(h))
    assert probe.locale() == ("zh-CN", None)
    assert len(users_info_calls(h)) == calls


def test_a_failed_users_info_falls_back_to_english_and_is_logged_without_secrets(h: BotHarness) -> None:
    probe = Probe(h)
    h.slack.set_locale(OWNER, "zh-CN")
    h.slack.fail_next("users.info", error="internal_error", status=200, retry_after=None)
    assert probe.locale() == ("en", None)
    wait_until(lambda: f"users.info failed for {OWNER}: internal_error" in h.log_text() or None, 10, "not logged")
    assert h.slack.bot_token not in h.log_text()
    assert probe.locale() == ("zh-CN", None)  # a failure is not remembered: the next request asks again


def test_a_failed_users_info_keeps_the_stored_choice(h: BotHarness) -> None:
    probe = Probe(h)
    with h.services.db.session() as s:
        repo.set_language(s, TEAM_ID, OWNER, "zh-CN")
        s.commit()
    h.slack.fail_next("users.info", error="internal_error", status=200, retry_after=None, times=3)
    assert probe.locale() == ("zh-CN", None)
    assert probe.locale(admin=True) == ("zh-CN", False)  # Slack cannot say: not an admin


def test_a_choice_is_stored_on_postgresql_too(tmp_path: Path) -> None:
    with BotHarness(tmp_path, database="postgresql") as h:
        probe = Probe(h)
        h.slack.set_locale(OWNER, "zh-CN")
        answer = language_command(h, "En")
        assert answer.params["text"] == Words("en").render(Message("general.language.set",
                                                                   language=language_name("en")))
        assert stored(h) == "en" and probe.locale() == ("en", None)
        assert h.command("language auto").status_code == 200
        wait_until(lambda: stored(h) is None or None, 10, "the choice was never cleared")
        assert probe.locale() == ("zh-CN", None)
