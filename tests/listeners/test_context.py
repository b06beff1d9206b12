"""The Slack-edge context (bot/listeners/context.py), in process the way bolt-python tests itself:
``app.dispatch(BoltRequest(body, headers))`` with headers signed by slack_sdk's SignatureVerifier, the Web
API being the fake Slack (tests/fakes/fake_slack.py) on 127.0.0.1; and once over real HTTP (BotHarness)."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot.i18n import t
from bot.listeners.context import ACTOR, Actor, install
from bot.logs import install_redacting_record_factory
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import block_actions_payload
from tests.harness import BotHarness, wait_until

SECRET = "8f14e45fceea167a5a36dedd4bea2543"
LISTED = "U0LISTED1"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    slack.add_user("U0PRIMARY", "pat", is_primary_owner=True)
    try:
        yield slack
    finally:
        slack.stop()


def make_app(fake: FakeSlack) -> App:
    # Its own logger: without one, Bolt sets the shared "slack_bolt.App" logger to the root's level.
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=SECRET,
              token_verification_enabled=False, logger=logging.getLogger("tests.listeners.bolt"))
    install(app, admin_user_ids=(LISTED,))
    return app


def signed_request(payload: dict[str, Any]) -> BoltRequest:
    """A block_actions request with Slack's signature headers (the signing secret ``SECRET``)."""
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body)
    return BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"],
                                           "x-slack-request-timestamp": [timestamp],
                                           "x-slack-signature": [signature]})


def users_info_calls(fake: FakeSlack, user: str) -> int:
    return len([c for c in fake.calls_for("users.info") if c.params.get("user") == user])


def test_the_middleware_puts_the_actor_on_context(fake: FakeSlack) -> None:
    app = make_app(fake)
    seen: list[tuple[str, str, str, bool, bool]] = []

    @app.action("probe")
    def probe(ack: Ack, context: BoltContext) -> None:
        ack()
        actor = context[ACTOR]
        assert isinstance(actor, Actor)
        first = actor.lookup()
        assert actor.lookup() is first  # cached for the request
        seen.append((actor.user_id, actor.team_id, actor.locale, actor.is_admin(), first[1] is None))

    for n, user in enumerate(("U0ADMIN", "U0OWNER", "U0PRIMARY", "U0MEMBER"), start=1):
        response = app.dispatch(signed_request(block_actions_payload("probe", user, channel_id="C0TEAM")))
        assert response.status == 200
        wait_until(lambda n=n: len(seen) >= n or None, 10, "the listener never finished")  # it runs after the ack
        assert users_info_calls(fake, user) == 1, user  # one lookup per request, however often it is read
    team = fake.team.team_id
    assert seen == [("U0ADMIN", team, "en", True, True), ("U0OWNER", team, "en", True, True),
                    ("U0PRIMARY", team, "en", True, True),  # the primary owner is an owner: one rule
                    ("U0MEMBER", team, "en", False, True)]


def test_admin_user_ids_need_no_lookup_and_a_failed_lookup_is_reported(fake: FakeSlack) -> None:
    app = make_app(fake)
    fake.add_user(LISTED, "lee")
    results: list[tuple[bool, str | None]] = []

    @app.action("probe")
    def probe(ack: Ack, context: BoltContext) -> None:
        ack()
        actor = context[ACTOR]
        results.append((actor.is_admin(), actor.lookup()[1]))

    app.dispatch(signed_request(block_actions_payload("probe", LISTED, channel_id="C0TEAM")))
    wait_until(lambda: results or None, 10, "the listener never finished")
    assert users_info_calls(fake, LISTED) == 0
    fake.fail_next("users.info", error="internal_error", status=200, retry_after=None)
    app.dispatch(signed_request(block_actions_payload("probe", "U0ADMIN", channel_id="C0TEAM")))
    wait_until(lambda: len(results) >= 2 or None, 10, "the listener never finished")
    assert results == [(True, None), (False, "internal_error")]  # Slack cannot say: not an admin, and why


def test_a_lazy_listener_shares_the_requests_lookup(fake: FakeSlack) -> None:
    app = make_app(fake)
    done: list[bool] = []

    def acknowledge(ack: Ack, context: BoltContext) -> None:
        ack()
        context[ACTOR].lookup()

    def work(context: BoltContext) -> None:
        done.append(context[ACTOR].is_admin())

    app.action("probe")(ack=acknowledge, lazy=[work])
    app.dispatch(signed_request(block_actions_payload("probe", "U0ADMIN", channel_id="C0TEAM")))
    wait_until(lambda: done or None, 10, "the lazy listener never ran")
    assert done == [True] and users_info_calls(fake, "U0ADMIN") == 1


def test_a_listener_exception_is_logged_redacted_and_the_person_is_told(
        fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    install_redacting_record_factory()
    app = make_app(fake)
    token = "Atzr|" + "IwEBIExampleRefreshTokenValue" * 3

    @app.action("probe")
    def probe(ack: Ack) -> None:
        ack()
        raise RuntimeError(f"broken with {token}")

    with caplog.at_level(logging.DEBUG):
        response = app.dispatch(signed_request(block_actions_payload("probe", "U0MEMBER", channel_id="C0TEAM")))
    assert "Traceback" not in (response.body or "") and token not in (response.body or "")
    told = wait_until(lambda: [c for c in fake.calls_for("chat.postEphemeral") if c.params.get("user") == "U0MEMBER"]
                      or None, 10, "the person was never told")
    assert told[0].params["text"] == t("general.listener_failed")
    assert "Traceback" not in json.dumps([c.params for c in fake.calls])
    wait_until(lambda: [r for r in caplog.records if r.getMessage() == "a listener failed"] or None, 10,
               "the failure was not logged")
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "RuntimeError" in logged and token not in logged


def test_over_http_a_failing_listener_ends_in_a_log_line_and_a_message(tmp_path: Path) -> None:
    with BotHarness(tmp_path) as h:
        h.slack.fail_next("views.open", error="internal_error", status=200, retry_after=None)
        seen = len(h.slack.calls)
        response = h.action("open_credentials", "U0MEMBER", channel_id="C0TEAM",
                            response_url=h.slack.response_url())
        assert response.status_code == 200 and "Traceback" not in response.text
        told = wait_until(lambda: [c for c in h.slack.calls[seen:] if c.method in ("response_url", "chat.postEphemeral")
                                   and t("general.listener_failed") in json.dumps(c.params)] or None,
                          10, "the person was never told")
        assert told
        wait_until(lambda: "a listener failed: Slack answered internal_error" in h.log_text() or None, 10,
                   "the failure was not logged")
        assert "Traceback" not in json.dumps([c.params for c in h.slack.calls])
