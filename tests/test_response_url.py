"""A payload's response_url is used only when it is Slack's own (https://hooks.slack.com, or the origin of
SLACK_API_URL, here the fake Slack's); any other gets nothing, and the answer still reaches the person.

Over real HTTP: the signed requests go to the bot (tests/harness.py); the "attacker" response_url points
at a second local HTTP server that records every request it gets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from bot.response_url import ResponseUrlPolicy, describe
from tests.fakes.http_server import FakeHTTPServer
from tests.fakes.slack_signing import block_actions_body, block_actions_payload, slash_command_body
from tests.harness import COMMAND, DEFAULT_USER, BotHarness, wait_until

SECRET_PATH = "/commands/T0FAKETEAM/1234567890/s3cr3tR3sp0nseT0ken"


class Recorder:
    """An HTTP server on 127.0.0.1 that answers 200 to everything and records each request's path."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                recorder.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_GET = do_POST  # noqa: N815

        self.server = FakeHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Recorder:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    with Recorder() as r:
        yield r


@pytest.fixture
def h(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


def _ephemerals(h: BotHarness, user: str = DEFAULT_USER) -> list[dict[str, Any]]:
    return [c.params for c in h.slack.calls_for("chat.postEphemeral") if c.params.get("user") == user]


def test_a_command_with_a_foreign_response_url_posts_nothing_there_and_still_answers(
        h: BotHarness, recorder: Recorder) -> None:
    evil = recorder.origin + SECRET_PATH
    body = slash_command_body(COMMAND, "help", DEFAULT_USER, channel_id="C0TEAM",
                              trigger_id=h.slack.new_trigger_id(user_id=DEFAULT_USER), response_url=evil)
    assert h.post(body, "application/x-www-form-urlencoded").status_code == 200
    answer = wait_until(lambda: _ephemerals(h) or None, 10, "the help never reached the user")[0]
    assert answer["channel"] == "C0TEAM" and "/connect-amazon" in str(answer)
    time.sleep(0.5)
    assert recorder.hits == []
    assert not h.slack.calls_for("response_url")
    log = h.log_text()
    assert "refused to post to a response_url at http://127.0.0.1:" in log
    assert "s3cr3tR3sp0nseT0ken" not in log and SECRET_PATH not in log


def test_a_button_with_a_foreign_response_url_posts_nothing_there_and_still_answers(
        h: BotHarness, recorder: Recorder) -> None:
    for evil in (recorder.origin + SECRET_PATH, recorder.origin.replace("http:", "https:") + SECRET_PATH):
        payload = block_actions_payload("disconnect_cancel", DEFAULT_USER, value="12345", channel_id="C0TEAM",
                                        response_url=evil)
        assert h.post(block_actions_body(payload), "application/x-www-form-urlencoded").status_code == 200
    wait_until(lambda: len(_ephemerals(h)) >= 2 or None, 10, "the answers never reached the user")
    assert all("Nothing was changed" in str(a) for a in _ephemerals(h))
    time.sleep(0.5)
    assert recorder.hits == [] and not h.slack.calls_for("response_url")


def test_a_response_url_of_the_slack_api_origin_is_still_used(h: BotHarness) -> None:
    h.command("help", channel="C0TEAM")
    call = wait_until(lambda: h.slack.calls_for("response_url") or None, 10, "no response_url answer")[0]
    assert "/connect-amazon" in str(call.params)
    assert not _ephemerals(h)


def test_without_a_usable_channel_the_answer_is_a_dm(h: BotHarness, recorder: Recorder) -> None:
    payload = block_actions_payload("disconnect_cancel", DEFAULT_USER, value="1", channel_id="C0NOSUCH",
                                    response_url=recorder.origin + SECRET_PATH)
    assert h.post(block_actions_body(payload), "application/x-www-form-urlencoded").status_code == 200
    wait_until(lambda: [m for m in h.dm_messages() if "Nothing was changed" in str(m)] or None, 10, "no DM")
    assert recorder.hits == []


@pytest.mark.parametrize(("url", "allowed"), [
    ("https://hooks.slack.com/commands/T1/2/abc", True),
    ("https://HOOKS.slack.com/actions/T1/2/abc", True),
    ("https://hooks.slack.com:443/actions/T1/2/abc", True),
    ("https://slack.com/api/whatever", True),  # the origin of the default SLACK_API_URL
    ("http://hooks.slack.com/commands/T1/2/abc", False),
    ("https://hooks.slack.com:8443/commands/T1/2/abc", False),
    ("https://hooks.slack.com.evil.example/commands", False),
    ("https://evil.example/https://hooks.slack.com/", False),
    ("https://hooks.slack.com@evil.example/commands", False),
    ("https://user:pw@hooks.slack.com/commands", False),
    ("https://evil.example\\@hooks.slack.com/", False),
    ("https://hooks.slack.com\\.evil.example/", False),
    ("https://hooks.slack.com /x", False),
    ("https://hooks.slack.com:99999/x", False),
    ("http://127.0.0.1/hooks", False),
    ("https://127.0.0.1/hooks", False),
    ("ftp://hooks.slack.com/x", False),
    ("//hooks.slack.com/x", False),
    ("", False),
    (5, False),
    (None, False),
    ({"url": "https://hooks.slack.com/x"}, False),
    ("https://hooks.slack.com/" + "x" * 3000, False),
])
def test_the_policy(url: object, allowed: bool) -> None:
    assert ResponseUrlPolicy("https://slack.com/api/").allows(url) is allowed


def test_the_policy_allows_exactly_the_origin_of_slack_api_url() -> None:
    policy = ResponseUrlPolicy("http://127.0.0.1:8123/api/")
    assert policy.allows("http://127.0.0.1:8123/hooks/commands/T1/abc")
    assert not policy.allows("http://127.0.0.1:8124/hooks/commands/T1/abc")
    assert not policy.allows("https://127.0.0.1:8123/hooks/commands/T1/abc")
    assert not policy.allows("http://localhost:8123/hooks/commands/T1/abc")
    assert policy.allows("https://hooks.slack.com/commands/T1/abc")


def test_a_logged_url_shows_its_origin_only() -> None:
    assert describe("https://evil.example:8443" + SECRET_PATH) == "https://evil.example:8443"
    assert "s3cr3t" not in describe("not a url " + SECRET_PATH)
