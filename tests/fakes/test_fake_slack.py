"""The fake Slack answers like Slack, over real HTTP and a real websocket, to the real slack_sdk/Bolt."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from tests.fakes import slack_signing as ss
from tests.fakes.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"

MODAL: dict[str, Any] = {
    "type": "modal",
    "callback_id": "connect_amazon",
    "title": {"type": "plain_text", "text": "Connect Amazon"},
    "submit": {"type": "plain_text", "text": "Verify"},
    "private_metadata": "C0TEAM",
    "blocks": [
        {"type": "input", "block_id": "seller", "label": {"type": "plain_text", "text": "Seller ID"},
         "element": {"type": "plain_text_input", "action_id": "seller_id"}},
        {"type": "input", "block_id": "market", "label": {"type": "plain_text", "text": "Marketplace"},
         "element": {"type": "static_select", "action_id": "marketplace", "options": [
             {"text": {"type": "plain_text", "text": "Germany"}, "value": "A1PA6795UKMFR9"},
             {"text": {"type": "plain_text", "text": "France"}, "value": "A13V1IB3VIYZZH"}]}},
        {"type": "input", "block_id": "when", "optional": True, "label": {"type": "plain_text", "text": "Created"},
         "element": {"type": "datepicker", "action_id": "created_on"}},
        {"type": "input", "block_id": "kind", "label": {"type": "plain_text", "text": "Kind"},
         "element": {"type": "radio_buttons", "action_id": "account_kind", "options": [
             {"text": {"type": "plain_text", "text": "Seller"}, "value": "seller"},
             {"text": {"type": "plain_text", "text": "Vendor"}, "value": "vendor"}]}},
        {"type": "input", "block_id": "label", "optional": True,
         "label": {"type": "plain_text", "text": "Name"},
         "element": {"type": "plain_text_input", "action_id": "connection_name"}},
    ],
}


@pytest.fixture()
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as f:
        yield f


@pytest.fixture()
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


def error_of(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


# ------------------------------------------------------------------------------------------ Web API


def test_auth_test_answers_like_slack(fake: FakeSlack, client: WebClient) -> None:
    answer = client.auth_test()
    assert answer["ok"] is True
    assert answer["user_id"] == "U0FAKEBOT" and answer["bot_id"] == "B0FAKEBOT"
    assert answer["team_id"] == "T0FAKETEAM" and answer["url"] == "https://fake-team.slack.com/"
    call = fake.calls_for("auth.test")[0]
    assert call.token_kind == "bot"
    assert "authorization" not in call.headers
    assert fake.bot_token not in fake.all_text()


def test_post_update_permalink_and_ephemeral(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C0TEAM", text="one")
    second = client.chat_postMessage(channel="C0TEAM", text="two", blocks=[
        {"type": "section", "text": {"type": "mrkdwn", "text": "*two*"}}])
    assert first["channel"] == "C0TEAM" and float(second["ts"]) > float(first["ts"])
    assert second["message"]["bot_id"] == "B0FAKEBOT" and second["message"]["blocks"][0]["type"] == "section"
    assert fake.calls_for("chat.postMessage")[1].params["blocks"][0]["text"]["text"] == "*two*"

    updated = client.chat_update(channel="C0TEAM", ts=first["ts"], text="one, edited")
    assert updated["ts"] == first["ts"] and updated["text"] == "one, edited"
    assert fake.channel_messages("C0TEAM")[0]["text"] == "one, edited"

    link = client.chat_getPermalink(channel="C0TEAM", message_ts=second["ts"])
    assert link["permalink"] == f"https://fake-team.slack.com/archives/C0TEAM/p{second['ts'].replace('.', '')}"

    eph = client.chat_postEphemeral(channel="C0TEAM", user="U0MEMBER", text="only you")
    assert float(eph["message_ts"]) > float(second["ts"])
    assert fake.ephemerals[0]["user"] == "U0MEMBER"

    with pytest.raises(SlackApiError) as e:
        client.chat_update(channel="C0TEAM", ts="1.000001", text="x")
    assert error_of(e) == "message_not_found"


def test_conversations_history_reads_only_channels_the_bot_is_in(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C0TEAM", text="older")
    client.chat_postMessage(channel="C0TEAM", text="newer")
    answer = client.conversations_history(channel="C0TEAM", limit=1)
    assert [m["text"] for m in answer["messages"]] == ["newer"] and answer["has_more"] is True
    assert {"ok", "messages", "has_more", "pin_count", "channel_actions_ts", "channel_actions_count"} <= set(
        answer.data)  # the success schema's required fields (Slack's OpenAPI spec)
    fake.add_channel("G0SECRET1", "private", bot_is_member=False, is_private=True)
    for channel, error in (("C0OUTSIDE", "not_in_channel"), ("C0NOPE", "channel_not_found"),
                           ("G0SECRET1", "channel_not_found")):
        with pytest.raises(SlackApiError) as e:
            client.conversations_history(channel=channel, limit=1)
        assert error_of(e) == error


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_message_errors(fake: FakeSlack, client: WebClient) -> None:
    for channel, error in (("C0NOPE", "channel_not_found"), ("C0OUTSIDE", "not_in_channel")):
        with pytest.raises(SlackApiError) as e:
            client.chat_postMessage(channel=channel, text="hello")
        assert error_of(e) == error
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C0TEAM", text="")
    assert error_of(e) == "no_text"
    with pytest.raises(SlackApiError) as e:
        client.chat_postMessage(channel="C0TEAM", text="x", blocks=[{"type": "header", "text": {
            "type": "plain_text", "text": "h" * 151}}])
    assert error_of(e) == "invalid_blocks"
    assert "json-pointer:/blocks/0/text" in e.value.response["response_metadata"]["messages"][0]
    with pytest.raises(SlackApiError) as e:
        client.chat_postEphemeral(channel="C0OUTSIDE", user="U0ADMIN", text="x")
    assert error_of(e) == "not_in_channel"
    assert [c.status for c in fake.calls] == [200] * len(fake.calls)


def test_dm_is_stable_per_user_and_posting_to_a_user_lands_there(fake: FakeSlack, client: WebClient) -> None:
    first = client.conversations_open(users="U0ADMIN")
    again = client.conversations_open(users="U0ADMIN", return_im=True)
    other = client.conversations_open(users="U0MEMBER")
    assert first["channel"]["id"].startswith("D") and first["channel"]["id"] == again["channel"]["id"]
    assert again["already_open"] is True and again["channel"]["is_im"] is True
    assert other["channel"]["id"] != first["channel"]["id"]
    posted = client.chat_postMessage(channel="U0ADMIN", text="checklist")
    assert posted["channel"] == first["channel"]["id"]
    assert client.chat_postMessage(channel=first["channel"]["id"], text="more")["ok"]
    with pytest.raises(SlackApiError) as e:
        client.conversations_open(users="U0GHOST")
    assert error_of(e) == "user_not_found"


def test_users_and_usergroups(fake: FakeSlack, client: WebClient) -> None:
    fake.add_user("U0NEW", "nina", "Nina New", tz="Asia/Tokyo", tz_offset=32400)
    admin = client.users_info(user="U0ADMIN")["user"]
    assert admin["is_admin"] is True and admin["is_owner"] is False and admin["real_name"] == "Ada Admin"
    new = client.users_info(user="U0NEW", include_locale=True)["user"]
    assert new["tz"] == "Asia/Tokyo" and new["tz_offset"] == 32400 and new["locale"] == "en-US"
    assert client.users_info(user="U0OWNER")["user"]["is_primary_owner"] is True
    fake.set_locale("U0NEW", "zh-CN")
    assert client.users_info(user="U0NEW", include_locale=True)["user"]["locale"] == "zh-CN"
    assert "locale" not in client.users_info(user="U0NEW")["user"]  # only when asked, as Slack does
    assert client.usergroups_users_list(usergroup="S0ADMINS")["users"] == ["U0ADMIN", "U0OWNER"]
    for call, error in ((lambda: client.users_info(user="U0GHOST"), "user_not_found"),
                        (lambda: client.usergroups_users_list(usergroup="S0NONE"), "no_such_subteam")):
        with pytest.raises(SlackApiError) as e:
            call()
        assert error_of(e) == error


def test_views_open_update_push_publish(fake: FakeSlack, client: WebClient) -> None:
    trigger = fake.new_trigger_id(user_id="U0ADMIN")
    opened = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert opened["id"].startswith("V") and opened["hash"] and opened["root_view_id"] == opened["id"]
    assert opened["state"] == {"values": {}} and opened["callback_id"] == "connect_amazon"
    assert fake.views[opened["id"]]["blocks"] == MODAL["blocks"]

    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=trigger, view=MODAL)
    assert error_of(e) == "exchanged_trigger_id"
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=fake.new_trigger_id(age=3.5), view=MODAL)
    assert error_of(e) == "expired_trigger_id"
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id="not-a-trigger", view=MODAL)
    assert error_of(e) == "invalid_trigger_id"

    waiting = {**MODAL, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Checking…"}}],
               "submit": None}
    waiting = {k: v for k, v in waiting.items() if v is not None}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=waiting)["view"]
    assert updated["id"] == opened["id"] and updated["hash"] != opened["hash"]
    assert fake.last_modal()["blocks"][0]["text"]["text"] == "Checking…"
    with pytest.raises(SlackApiError) as e:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=waiting)
    assert error_of(e) == "hash_conflict"
    with pytest.raises(SlackApiError) as e:
        client.views_update(view_id="V0MISSING", view=waiting)
    assert error_of(e) == "not_found"

    pushed = client.views_push(trigger_id=ss.new_trigger_id(), view=waiting)["view"]
    assert pushed["previous_view_id"] == opened["id"] and pushed["root_view_id"] == opened["id"]

    home = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Connections"}}]}
    published = client.views_publish(user_id="U0ADMIN", view=home)["view"]
    again = client.views_publish(user_id="U0ADMIN", view=home)["view"]
    assert published["type"] == "home" and again["id"] == published["id"]
    assert fake.home_views["U0ADMIN"]["id"] == published["id"]


def test_view_limits_answer_invalid_arguments(fake: FakeSlack, client: WebClient) -> None:
    too_long = {**MODAL, "title": {"type": "plain_text", "text": "Connect your Amazon store now"}}
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=ss.new_trigger_id(), view=too_long)
    assert error_of(e) == "invalid_arguments"
    assert e.value.response["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"]
    no_submit = {k: v for k, v in MODAL.items() if k != "submit"}
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=ss.new_trigger_id(), view=no_submit)
    assert error_of(e) == "invalid_arguments"


def test_auth_errors_and_unknown_method(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as e:
        WebClient(token="xoxb-0000-wrong", base_url=fake.api_url).auth_test()
    assert error_of(e) == "invalid_auth"
    anonymous = httpx.post(fake.api_url + "auth.test")
    assert anonymous.status_code == 200 and anonymous.json() == {"ok": False, "error": "not_authed"}
    with pytest.raises(SlackApiError) as e:
        WebClient(token=fake.app_token, base_url=fake.api_url).chat_postMessage(channel="C0TEAM", text="x")
    assert error_of(e) == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as e:
        WebClient(token=fake.bot_token, base_url=fake.api_url).apps_connections_open(app_token=fake.bot_token)
    assert error_of(e) == "not_allowed_token_type"
    with pytest.raises(SlackApiError) as e:
        WebClient(token=fake.bot_token, base_url=fake.api_url).api_call("chat.fly")
    assert e.value.response.data == {"ok": False, "error": "unknown_method", "req_method": "chat.fly"}


def test_form_bodies_token_field_and_charset_warnings(fake: FakeSlack) -> None:
    blocks = json.dumps([{"type": "section", "text": {"type": "mrkdwn", "text": "Atzr|IwEBsecretvalue9f2c"}}])
    form = httpx.post(fake.api_url + "chat.postMessage",
                      data={"token": fake.bot_token, "channel": "C0TEAM", "text": "hi", "blocks": blocks})
    assert form.json()["ok"] is True and "warning" not in form.json()
    call = fake.calls_for("chat.postMessage")[0]
    assert call.params["blocks"][0]["text"]["text"] == "Atzr|IwEBsecretvalue9f2c"
    assert "token" not in call.params
    assert "Atzr%7CIwEBsecretvalue9f2c" in call.raw_body
    assert "Atzr|IwEBsecretvalue9f2c" in fake.all_text()

    no_charset = httpx.post(fake.api_url + "auth.test", content=b"{}", headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {fake.bot_token}"})
    assert no_charset.json()["warning"] == "missing_charset"
    assert no_charset.json()["response_metadata"] == {"warnings": ["missing_charset"]}


def test_ratelimited_then_retry_after_is_honoured(fake: FakeSlack) -> None:
    fake.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=1)
    bare = WebClient(token=fake.bot_token, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as e:
        bare.chat_postMessage(channel="C0TEAM", text="x")
    assert e.value.response.status_code == 429 and error_of(e) == "ratelimited"
    assert e.value.response.headers["retry-after"] == "1"

    fake.fail_next("chat.postMessage", retry_after=1, times=1)
    retrying = WebClient(token=fake.bot_token, base_url=fake.api_url,
                         retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
    assert retrying.chat_postMessage(channel="C0TEAM", text="after the wait")["ok"] is True
    statuses = [c.status for c in fake.calls_for("chat.postMessage")]
    assert statuses == [429, 429, 200]
    waited = fake.calls_for("chat.postMessage")[2].at - fake.calls_for("chat.postMessage")[1].at
    assert waited >= 1.0  # the client slept for Retry-After before trying again


def test_fail_next_other_errors_and_latency(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("views.open", error="expired_trigger_id", status=200, retry_after=None)
    with pytest.raises(SlackApiError) as e:
        client.views_open(trigger_id=ss.new_trigger_id(), view=MODAL)
    assert error_of(e) == "expired_trigger_id" and "retry-after" not in e.value.response.headers
    assert client.views_open(trigger_id=ss.new_trigger_id(), view=MODAL)["ok"] is True

    fake.set_latency("auth.test", 1.5)
    impatient = WebClient(token=fake.bot_token, base_url=fake.api_url, timeout=0.3)
    with pytest.raises(TimeoutError):
        impatient.auth_test()
    fake.set_latency("auth.test", 0)
    assert impatient.auth_test()["ok"] is True


def test_wait_for_sees_calls_from_other_threads_and_reset(fake: FakeSlack, client: WebClient) -> None:
    def later() -> None:
        time.sleep(0.2)
        client.chat_postMessage(channel="C0TEAM", text="first")
        client.chat_postMessage(channel="C0TEAM", text="connected: Main store")

    threading.Thread(target=later).start()
    call = fake.wait_for("chat.postMessage", lambda c: "connected" in c.params.get("text", ""), timeout=5)
    assert call.response["ok"] is True and call.params["channel"] == "C0TEAM"
    with pytest.raises(TimeoutError):
        fake.wait_for("views.open", timeout=0.2)
    fake.reset()
    assert fake.calls == [] and fake.channel_messages("C0TEAM") == []


def test_response_url_is_recorded(fake: FakeSlack) -> None:
    url = fake.response_url("cmd1")
    answer = httpx.post(url, json={"response_type": "ephemeral", "text": "done"})
    assert answer.json() == {"ok": True}
    call = fake.wait_for("response_url")
    assert call.params["text"] == "done" and call.params["_path"].endswith("/cmd1")


def test_standalone_process_serves(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-m", "tests.fakes.fake_slack", "--port", "0"], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        assert line.startswith("SLACK_API_URL=http://127.0.0.1:")
        api_url = line.split("=", 1)[1]
        client = WebClient(token="xoxb-1111-2222-fakebottoken", base_url=api_url)
        assert client.auth_test()["team_id"] == "T0FAKETEAM"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ------------------------------------------------------------------------------------------ signing


def test_sign_matches_slack_sdk_verifier() -> None:
    body = ss.slash_command_body("/connect-amazon", "", "U0ADMIN")
    headers = ss.sign(SIGNING_SECRET, body, timestamp=1531420618)
    verifier = SignatureVerifier(SIGNING_SECRET, clock=_FixedClock(1531420618))
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not verifier.is_valid(body + "x", headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    # Slack's documented example: secret, timestamp and body give this exact signature.
    example = ("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&"
               "channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&"
               "response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZ"
               "RskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
    assert ss.sign(SIGNING_SECRET, example, 1531420618)["X-Slack-Signature"] == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503")


class _FixedClock:
    def __init__(self, now: int) -> None:
        self.value = now

    def now(self) -> float:
        return float(self.value)


def test_view_state_values_shapes() -> None:
    values = ss.view_state_values(MODAL, {"seller_id": "A2EUQ1WTGCTBG2", "marketplace": "A1PA6795UKMFR9",
                                          "created_on": "2024-05-01", "account_kind": "vendor"})
    assert values["seller"]["seller_id"] == {"type": "plain_text_input", "value": "A2EUQ1WTGCTBG2"}
    assert values["market"]["marketplace"]["selected_option"]["value"] == "A1PA6795UKMFR9"
    assert values["when"]["created_on"] == {"type": "datepicker", "selected_date": "2024-05-01"}
    assert values["kind"]["account_kind"]["selected_option"]["text"]["text"] == "Vendor"
    assert values["label"]["connection_name"] == {"type": "plain_text_input", "value": None}
    with pytest.raises(ValueError, match="no option"):
        ss.view_state_values(MODAL, {"marketplace": "XX"})
    with pytest.raises(ValueError, match="no element"):
        ss.view_state_values(MODAL, {"nope": "1"})


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return


@pytest.fixture()
def bolt_http(fake: FakeSlack) -> Iterator[tuple[str, dict[str, Any]]]:
    """A real Bolt app behind a real WSGI server on 127.0.0.1, talking to the fake Web API."""
    seen: dict[str, Any] = {}
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url), signing_secret=SIGNING_SECRET)

    @app.command("/connect-amazon")
    def command(ack: Any, command: dict[str, Any]) -> None:
        seen["command"] = command
        ack("Checklist on its way")

    @app.view("connect_amazon")
    def submitted(ack: Any, view: dict[str, Any], body: dict[str, Any]) -> None:
        seen["state"] = view["state"]["values"]
        seen["user"] = body["user"]["id"]
        ack(response_action="errors", errors={"seller": "Seller IDs start with A"})

    @app.action("retry")
    def clicked(ack: Any, action: dict[str, Any]) -> None:
        seen["action"] = action
        ack()

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    handler = SlackRequestHandler(app)
    server: WSGIServer = make_server("127.0.0.1", 0, handler, handler_class=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/slack/events", seen
    finally:
        server.shutdown()
        server.server_close()


def test_signed_bodies_are_understood_by_bolt_over_http(fake: FakeSlack,
                                                        bolt_http: tuple[str, dict[str, Any]]) -> None:
    url, seen = bolt_http
    body = ss.slash_command_body("/connect-amazon", "help", "U0ADMIN", response_url=fake.response_url())
    answer = ss.post_signed(url, body, SIGNING_SECRET, ss.FORM)
    assert answer.status_code == 200 and answer.text == "Checklist on its way"
    assert seen["command"]["text"] == "help" and seen["command"]["user_id"] == "U0ADMIN"

    bad = ss.post_signed(url, body, "another-secret", ss.FORM)
    assert bad.status_code == 401
    stale = ss.post_signed(url, body, SIGNING_SECRET, ss.FORM, timestamp=int(time.time()) - 600)
    assert stale.status_code == 401

    view = WebClient(token=fake.bot_token, base_url=fake.api_url).views_open(
        trigger_id=seen["command"]["trigger_id"], view=MODAL)["view"]
    submission = ss.view_submission_body(view, {"seller_id": "B0BAD", "marketplace": "A13V1IB3VIYZZH",
                                                "account_kind": "seller"}, "U0ADMIN")
    answer = ss.post_signed(url, submission, SIGNING_SECRET, ss.FORM)
    assert answer.status_code == 200
    assert answer.json() == {"response_action": "errors", "errors": {"seller": "Seller IDs start with A"}}
    assert seen["state"]["seller"]["seller_id"]["value"] == "B0BAD" and seen["user"] == "U0ADMIN"
    assert seen["state"]["market"]["marketplace"]["selected_option"]["value"] == "A13V1IB3VIYZZH"

    click = ss.block_actions_body(ss.block_actions_payload("retry", "U0MEMBER", value="conn-7",
                                                           channel_id="C0TEAM"))
    assert ss.post_signed(url, click, SIGNING_SECRET).status_code == 200
    assert seen["action"]["value"] == "conn-7"

    event = ss.event_callback_body({"type": "app_home_opened", "user": "U0MEMBER", "channel": "D0X",
                                    "tab": "home", "event_ts": f"{time.time():.6f}"}, "Ev0001")
    assert ss.post_signed(url, event, SIGNING_SECRET, ss.JSON).status_code == 200
    assert fake.wait_for("views.publish").params["user_id"] == "U0MEMBER"


# ------------------------------------------------------------------------------------------ Socket Mode


def test_socket_mode_end_to_end_with_bolt(fake: FakeSlack) -> None:
    app = App(client=WebClient(token=fake.bot_token, base_url=fake.api_url))
    commands: list[dict[str, Any]] = []

    @app.command("/connect-amazon")
    def command(ack: Any, command: dict[str, Any]) -> None:
        commands.append(command)
        ack("Checklist on its way")

    @app.view("connect_amazon")
    def submitted(ack: Any) -> None:
        ack(response_action="errors", errors={"seller": "Seller IDs start with A"})

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    handler = SocketModeHandler(app, fake.app_token)
    handler.connect()
    try:
        assert fake.socket_connected.wait(10)
        assert fake.calls_for("apps.connections.open")[0].token_kind == "app"

        payload = ss.slash_command_payload("/connect-amazon", "", "U0ADMIN", trigger_id=fake.new_trigger_id())
        envelope_id = fake.socket_send_envelope("slash_commands", payload)
        ack = fake.wait_for_ack(envelope_id, timeout=10)
        assert ack["envelope_id"] == envelope_id
        assert ack["payload"]["text"] == "Checklist on its way"
        assert commands[0]["user_id"] == "U0ADMIN"

        submission = ss.view_submission_payload({**MODAL, "id": "V0TEST"}, {"seller_id": "B0"}, "U0ADMIN")
        ack = fake.wait_for_ack(fake.socket_send_envelope("interactive", submission), timeout=10)
        assert ack["payload"] == {"response_action": "errors", "errors": {"seller": "Seller IDs start with A"}}

        event = ss.event_callback_payload({"type": "app_home_opened", "user": "U0OWNER", "tab": "home"})
        ack = fake.wait_for_ack(fake.socket_send_envelope("events_api", event), timeout=10)
        assert "payload" not in ack or not ack["payload"]
        assert fake.wait_for("views.publish", timeout=10).params["user_id"] == "U0OWNER"

        # Slack asks for a refresh: the client fetches a new URL and reconnects.
        fake.socket_disconnect("refresh_requested")
        deadline = time.monotonic() + 10
        while fake.socket_connections_total < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.socket_connections_total == 2
        assert len(fake.calls_for("apps.connections.open")) == 2
        assert fake.socket_connected.wait(10)
        ack = fake.wait_for_ack(fake.socket_send_envelope("slash_commands", payload), timeout=10)
        assert ack["payload"]["text"] == "Checklist on its way"
    finally:
        handler.close()
    deadline = time.monotonic() + 10
    while fake.socket_connected.is_set() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not fake.socket_connected.is_set()


def test_socket_rejects_unknown_ticket_and_sends_hello(fake: FakeSlack) -> None:
    with pytest.raises(InvalidStatus):
        ws_connect(f"ws://127.0.0.1:{fake.ws_port}/link/?ticket=made-up", open_timeout=5)
    url = WebClient(token=fake.app_token, base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]
    assert url.startswith(f"ws://127.0.0.1:{fake.ws_port}/link/?ticket=")
    with ws_connect(url, open_timeout=5) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and hello["num_connections"] == 1
        assert hello["connection_info"] == {"app_id": "A0FAKEAPP"} and "host" in hello["debug_info"]
        envelope_id = fake.socket_send_envelope("events_api", {"type": "event_callback", "event": {}})
        envelope = json.loads(ws.recv(timeout=5))
        assert envelope == {"envelope_id": envelope_id, "payload": {"type": "event_callback", "event": {}},
                            "type": "events_api", "accepts_response_payload": False, "retry_attempt": 0,
                            "retry_reason": ""}
        ws.send(json.dumps({"envelope_id": envelope_id}))
        assert fake.wait_for_ack(envelope_id) == {"envelope_id": envelope_id}
    with pytest.raises(TimeoutError):
        fake.wait_for_ack("never-sent", timeout=0.1)
