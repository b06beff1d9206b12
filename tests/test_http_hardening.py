"""Malformed requests to /slack/events get a 4xx with a one-line reason, never a traceback or a 500.

Everything goes over real HTTP to the real BotWSGI + waitress server; the requests that must get
past the signature check are signed exactly as Slack signs them.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from bot.server import MAX_BODY_BYTES, BotWSGI, malformed_reason
from tests.fakes.slack_signing import (
    FORM,
    JSON,
    block_actions_body,
    block_actions_payload,
    event_callback_body,
    post_signed,
    sign,
    slash_command_body,
)
from tests.live_app import LiveApp


def assert_clean_4xx(resp: httpx.Response, status: int | None = None) -> None:
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text[:200])
    if status is not None:
        assert resp.status_code == status, (resp.status_code, resp.text[:200])
    assert "Traceback" not in resp.text and 'File "' not in resp.text
    assert len(resp.text) < 300


def payload_form(payload: Any) -> str:
    return "payload=" + quote(json.dumps(payload) if not isinstance(payload, str) else payload)


VIEW = {"id": "V0TEST0001", "type": "modal", "callback_id": "no_such_callback", "hash": "1.abc",
        "state": {"values": {}}, "private_metadata": ""}


@pytest.mark.parametrize(
    ("name", "body", "content_type", "status"),
    [
        ("form payload is not JSON", "payload=%7Bnot-json", FORM, 400),
        ("JSON body is not JSON", "{not json", JSON, 400),
        ("JSON body is a list", "[1, 2]", JSON, 400),
        ("JSON body is a string", '"event_callback"', JSON, 400),
        ("payload is a list", payload_form([1]), FORM, 400),
        ("payload.user is a number", payload_form({"type": "block_actions", "user": 5, "actions": [{}]}), FORM, 400),
        ("view without callback_id", payload_form({"type": "view_submission", "view": {"id": "V1", "type": "modal"}}),
         FORM, 400),
        ("view state values not an object", payload_form({"type": "view_submission", "view": {
            **VIEW, "state": {"values": []}}}), FORM, 400),
        ("actions not a list", payload_form({"type": "block_actions", "actions": "rotate_now"}), FORM, 400),
        ("event is not an object", json.dumps({"type": "event_callback", "event": "message"}), JSON, 400),
        ("event without type", json.dumps({"type": "event_callback", "event": {"text": "hi"}}), JSON, 400),
        ("deeply nested JSON", "[" * 100_000 + "]" * 100_000, JSON, 400),
        ("unknown view callback id", payload_form({"type": "view_submission", "team": {"id": "T0FAKETEAM"},
                                                    "user": {"id": "U0ALICE"}, "view": VIEW}), FORM, 404),
        ("unknown action id", block_actions_body(block_actions_payload("no_such_action", "U0ALICE")), FORM, 404),
        ("plain text body", "hello", "text/plain", 415),
        ("XML body", "<xml/>", "application/xml", 415),
    ],
)
def test_signed_but_malformed_requests_get_a_clean_4xx(
    live_app: LiveApp, name: str, body: str, content_type: str, status: int
) -> None:
    resp = post_signed(live_app.url, body, live_app.signing_secret, content_type)
    assert_clean_4xx(resp, status)
    time.sleep(0.05)
    assert "Traceback" not in live_app.log_text(), name


def test_invalid_utf8_body(live_app: LiveApp) -> None:
    raw = b"payload=\xff\xfe\xfd"
    headers = {"Content-Type": FORM, **sign(live_app.signing_secret, raw.decode("latin-1"))}
    assert_clean_4xx(httpx.post(live_app.url, content=raw, headers=headers), 400)


def test_missing_and_bad_signature_headers(live_app: LiveApp) -> None:
    body = slash_command_body("/connect-amazon", "help", "U0ALICE")
    assert_clean_4xx(httpx.post(live_app.url, content=body, headers={"Content-Type": FORM}), 401)
    stale = sign(live_app.signing_secret, body, timestamp=int(time.time()) - 600)
    assert_clean_4xx(httpx.post(live_app.url, content=body, headers={"Content-Type": FORM, **stale}), 401)
    wrong = sign("0" * 32, body)
    assert_clean_4xx(httpx.post(live_app.url, content=body, headers={"Content-Type": FORM, **wrong}), 401)
    not_a_number = {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"}
    assert_clean_4xx(httpx.post(live_app.url, content=body, headers={"Content-Type": FORM, **not_a_number}), 401)
    time.sleep(0.05)
    assert "Traceback" not in live_app.log_text()


@pytest.mark.parametrize("timestamp", ["\u00b2", "\u00b9\u00b2\u00b3", "1" * 400, "9" * 13, "", "-1",
                                       "+1700000000", "1_700_000_000", "0x65", "1e9"])
def test_odd_signature_timestamps_get_401_without_a_traceback(live_app: LiveApp, timestamp: str) -> None:
    """Digits other than ASCII ones pass ``str.isdigit()``; a 400-digit number overflows Bolt's float
    comparison. Each is signed correctly for its own timestamp, and sent as the raw latin-1 bytes a
    client can put on the wire (waitress decodes header bytes as latin-1)."""
    body = slash_command_body("/connect-amazon", "help", "U0ALICE")
    signed = sign(live_app.signing_secret, body, timestamp=timestamp)
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": timestamp.encode("latin-1"),
               "X-Slack-Signature": signed["X-Slack-Signature"]}
    before = len(live_app.log_text())
    resp = httpx.post(live_app.url, content=body.encode(), headers=headers)
    assert_clean_4xx(resp, 401)
    time.sleep(0.05)
    assert "Traceback" not in live_app.log_text()[before:]


def test_a_current_ascii_timestamp_still_passes(live_app: LiveApp) -> None:
    body = slash_command_body("/connect-amazon", "help", "U0ALICE")
    assert post_signed(live_app.url, body, live_app.signing_secret, FORM).status_code == 200


def test_wrong_method_and_path(live_app: LiveApp) -> None:
    assert_clean_4xx(httpx.get(live_app.url), 405)
    assert_clean_4xx(httpx.post(live_app.url.replace("/slack/events", "/slack/other"), content=b"x"), 404)


def test_oversized_body_with_content_length(live_app: LiveApp) -> None:
    body = "payload=" + "x" * (MAX_BODY_BYTES + 1)
    assert_clean_4xx(post_signed(live_app.url, body, live_app.signing_secret, FORM), 413)


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        n = min(size, total - sent)
        sent += n
        yield b"x" * n


def test_oversized_chunked_body_without_content_length(live_app: LiveApp) -> None:
    headers = {"Content-Type": FORM, **sign(live_app.signing_secret, "irrelevant")}
    with httpx.Client() as client:
        req = client.build_request("POST", live_app.url, content=_chunks(MAX_BODY_BYTES + 200_000), headers=headers)
        assert "content-length" not in req.headers and req.headers.get("transfer-encoding") == "chunked"
        resp = client.send(req)
    assert_clean_4xx(resp, 413)


def test_small_chunked_body_is_served(live_app: LiveApp) -> None:
    """A correctly signed command sent chunked (no Content-Length) reaches the bot and is acknowledged."""
    body = slash_command_body("/connect-amazon", "help", "U0ALICE")
    headers = {"Content-Type": FORM, **sign(live_app.signing_secret, body)}
    parts = [body[:20].encode(), body[20:].encode()]
    with httpx.Client() as client:
        req = client.build_request("POST", live_app.url, content=iter(parts), headers=headers)
        assert "content-length" not in req.headers
        resp = client.send(req)
    assert resp.status_code == 200, resp.text


def test_well_formed_event_still_gets_through(live_app: LiveApp) -> None:
    event = {"type": "message", "channel": "C0GENERAL1", "user": "U0ALICE", "text": "hello", "ts": "1.1",
             "channel_type": "channel"}
    resp = post_signed(live_app.url, event_callback_body(event), live_app.signing_secret, JSON)
    assert resp.status_code == 200


# --------------------------------------------------------------------- the WSGI layer, without waitress


def _environ(body: bytes, content_length: str | None, content_type: str = FORM) -> dict[str, Any]:
    env: dict[str, Any] = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "CONTENT_TYPE": content_type,
                           "SERVER_PROTOCOL": "HTTP/1.1",
                           "wsgi.input": io.BytesIO(body), "QUERY_STRING": ""}
    if content_length is not None:
        env["CONTENT_LENGTH"] = content_length
    return env


def _call(wsgi: BotWSGI, env: dict[str, Any]) -> tuple[str, bytes]:
    seen: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        seen["status"] = status

    body = b"".join(wsgi(env, start_response))
    return seen["status"], body


def test_wsgi_reads_at_most_the_limit_without_content_length(live_app: LiveApp) -> None:
    wsgi = BotWSGI(live_app.wsgi.slack.app, live_app.services.db.ping, max_body=1000)
    status, body = _call(wsgi, _environ(b"x" * 5000, None))
    assert status.startswith("413") and b"too large" in body
    status, _ = _call(wsgi, _environ(b"x" * 5000, "99999"))
    assert status.startswith("413")
    status, body = _call(wsgi, _environ(b"x", "ten"))
    assert status.startswith("400")


def test_malformed_reason_accepts_what_slack_sends() -> None:
    assert malformed_reason(FORM, slash_command_body("/connect-amazon", "", "U1").encode(), {}) is None
    assert malformed_reason(FORM + "; charset=utf-8", b"", {}) is None
    assert malformed_reason(JSON, event_callback_body({"type": "app_home_opened", "user": "U1", "tab": "home",
                                                      "channel": "D1"}).encode(), {}) is None
    channel_created = {"type": "channel_created", "channel": {"id": "C1", "name": "x", "creator": "U1"}}
    assert malformed_reason(JSON, event_callback_body(channel_created).encode(), {}) is None
    user_change = {"type": "user_change", "user": {"id": "U1", "team_id": "T1"}}
    assert malformed_reason(JSON, event_callback_body(user_change).encode(), {}) is None
    changed = {"type": "message", "subtype": "message_changed", "channel": "C1",
               "message": {"type": "message", "user": "U1", "text": "x", "ts": "1.2"},
               "previous_message": {"type": "message", "user": "U1", "text": "y", "ts": "1.2"}}
    assert malformed_reason(JSON, event_callback_body(changed).encode(), {}) is None
    assert malformed_reason(FORM, block_actions_body(block_actions_payload("rotate_now", "U1", value="3")).encode(),
                            {}) is None
    legacy = {"type": "interactive_message", "callback_id": "c1", "actions": [{"name": "a", "type": "button",
                                                                                "value": "1"}]}
    assert malformed_reason(FORM, payload_form(legacy).encode(), {}) is None
    modal_click = block_actions_payload("retry_credentials", "U1", value="x", view={
        **VIEW, "state": {"values": {"b": {"account_type": {"type": "static_select", "selected_option": None},
                                           "created_on": {"type": "datepicker", "selected_date": "2026-01-02"},
                                           "steps": {"type": "checkboxes", "selected_options": [
                                               {"text": {"type": "plain_text", "text": "x"}, "value": "s"}]},
                                           "name": {"type": "plain_text_input", "value": None}}}}})
    assert malformed_reason(FORM, block_actions_body(modal_click).encode(), {}) is None


# --------------------------------------------------------------------- one parse of each body


def _signed_environ(body: str, content_type: str = FORM) -> dict[str, Any]:
    from tests.fakes.slack_signing import sign

    env = _environ(body.encode(), str(len(body.encode())), content_type)
    for name, value in sign("parse-once-secret", body).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    return env


def _recording_app() -> tuple[Any, list[dict[str, Any]]]:
    from slack_bolt import App
    from slack_bolt.authorization import AuthorizeResult

    seen: list[dict[str, Any]] = []

    def authorize(**_kwargs: Any) -> AuthorizeResult:  # no auth.test: nothing here reaches Slack
        return AuthorizeResult(enterprise_id=None, team_id="T0FAKETEAM", bot_token="xoxb-test",
                               bot_user_id="U0BOT", bot_id="B0BOT")

    app = App(signing_secret="parse-once-secret", authorize=authorize, request_verification_enabled=True)

    @app.action("rotate_now")
    def on_click(ack: Any, body: dict[str, Any]) -> None:
        seen.append(body)
        ack()

    @app.command("/connect-amazon")
    def on_command(ack: Any, body: dict[str, Any]) -> None:
        seen.append(body)
        ack()

    return app, seen


def test_bolt_reads_the_checked_payload_without_parsing_the_body_again(monkeypatch: pytest.MonkeyPatch) -> None:
    """A submission is several KB of URL-encoded JSON; the check parses it and Bolt gets that parse (its own
    parse_body is not called), the same body it would have made; a command's short form Bolt parses itself."""
    import bot.server as server

    parses: list[str] = []
    real = server._bolt_parse_body
    monkeypatch.setattr(server, "_bolt_parse_body", lambda body, ct: parses.append(body) or real(body, ct))
    app, seen = _recording_app()
    wsgi = BotWSGI(app, lambda: True)
    payload = block_actions_payload("rotate_now", "U0ALICE", value="3")
    body = block_actions_body(payload)

    status, _ = _call(wsgi, _signed_environ(body))
    assert status.startswith("200")
    assert parses == []
    assert seen[-1] == real(body, FORM) == json.loads(json.dumps(payload))  # exactly Bolt's own parse

    command = slash_command_body("/connect-amazon", "status", "U0ALICE")
    status, _ = _call(wsgi, _signed_environ(command))
    assert status.startswith("200")
    assert parses == [command]
    assert seen[-1]["command"] == "/connect-amazon" and seen[-1]["text"] == "status"
    assert server._checked.memo is None  # nothing of a request outlives it


def test_a_body_with_two_payload_fields_is_refused() -> None:
    """Bolt would read the last payload field: the check must not pass a body on the strength of the first."""
    good = quote(json.dumps(block_actions_payload("rotate_now", "U1", value="3")))
    bad = quote(json.dumps({"type": "block_actions", "user": 5, "actions": [{}]}))
    problem = malformed_reason(FORM, f"payload={good}&payload={bad}".encode(), {})
    assert problem is not None and problem.status.startswith("400")
