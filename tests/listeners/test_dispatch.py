"""Listeners through ``app.dispatch(BoltRequest(...))`` in this process, as bolt-python tests itself: the
request is signed with the app's signing secret (slack_sdk's SignatureVerifier), the BoltResponse is the
ack Slack would get, and what the listener did afterwards is what the fake Slack received over HTTP.
Every expected sentence is rendered from the catalog (``t``/``Words.md``), never typed here."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_bolt import App, BoltResponse

from bot.flows.checklist import STEPS
from bot.i18n import t
from bot.views.blocks import Words
from storage import repo
from tests.fakes.fake_amazon import make_credentials
from tests.fakes.fake_slack import Call
from tests.fakes.slack_signing import (
    JSON,
    TEAM_ID,
    block_actions_body,
    block_actions_payload,
    event_callback_body,
    slash_command_body,
    view_submission_body,
)
from tests.harness import COMMAND, OWNER, BotHarness, initial_values, wait_until

EN = Words()  # English, the catalog the expected sentences are rendered from


def command(edge: BotHarness, text: str, user: str = OWNER) -> BoltResponse:
    body = slash_command_body(COMMAND, text, user, trigger_id=edge.slack.new_trigger_id(user_id=user),
                              response_url=edge.slack.response_url())
    return edge.dispatch(body)


def action(edge: BotHarness, action_id: str, user: str = OWNER, *,
           selected_options: list[dict[str, Any]] | None = None, **kwargs: Any) -> BoltResponse:
    payload = block_actions_payload(action_id, user, trigger_id=edge.slack.new_trigger_id(user_id=user), **kwargs)
    if selected_options is not None:
        payload["actions"][0]["selected_options"] = selected_options
    return edge.dispatch(block_actions_body(payload))


def answered(edge: BotHarness, before: int = 0) -> Call:
    """The first response_url post after the first ``before`` ones (a lazy listener's answer)."""
    return wait_until(lambda: edge.slack.calls_for("response_url")[before:], 10, "no response_url answer")[0]


def shown(call: Call) -> str:
    """Everything a person sees of a message: its fallback text and its blocks."""
    return str(call.params.get("text", "")) + "\n" + json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


def start_checklist(edge: BotHarness) -> dict[str, Any]:
    """/connect-amazon, then the checklist DM it sends."""
    assert command(edge, "").status == 200
    return edge.wait_dm(lambda m: t("onboarding.checklist.title") in json.dumps(m, ensure_ascii=False))


# -------------------------------------------------------------------------------------- the signature


def test_a_request_signed_with_another_secret_is_refused_before_any_listener(edge: BotHarness) -> None:
    body = slash_command_body(COMMAND, "help", OWNER, response_url=edge.slack.response_url())
    stale = edge.dispatch(body, timestamp=int(time.time()) - 10 * 60)
    wrong = edge.dispatch(body, signing_secret="0" * 32)
    assert (stale.status, wrong.status) == (401, 401)
    time.sleep(0.2)  # a listener that ran anyway would have answered by now
    assert edge.slack.calls_for("response_url") == []


# -------------------------------------------------------------------------------------- slash commands


def test_bolt_never_logs_a_payload_even_at_debug(edge: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    """LOG_LEVEL=DEBUG: Bolt's App logger would print each payload whole (its response_url, what was typed in
    a modal). Any ``App()`` built without a logger copies the root level onto ``slack_bolt.App`` (Bolt's
    get_bolt_logger), so the bot filters that logger rather than trusting its level."""
    root = logging.getLogger()
    old = root.level
    try:
        root.setLevel(logging.DEBUG)
        App(token="xoxb-0-unused", signing_secret="0" * 32, token_verification_enabled=False)
        assert logging.getLogger("slack_bolt.App").level == logging.DEBUG  # what Bolt does
        caplog.set_level(logging.DEBUG)
        body = slash_command_body(COMMAND, "help", OWNER, trigger_id=edge.slack.new_trigger_id(user_id=OWNER),
                                  response_url=edge.slack.response_url("s3cr3tRespPath0"))
        assert edge.dispatch(body).status == 200
        answered(edge)
    finally:
        root.setLevel(old)
    assert "s3cr3tRespPath0" not in caplog.text
    assert not [r for r in caplog.records if r.name == "slack_bolt.App" and r.levelno < logging.WARNING]


def test_web_api_calls_do_not_format_debug_messages_nobody_logs(edge: BotHarness) -> None:
    """slack_sdk builds a DEBUG line of every call's arguments and answer when its logger's own level is
    NOTSET or DEBUG (it tests ``logger.level``, not the effective level): a whole modal formatted, twice,
    for each views.open, then dropped. The bot's client logger is at WARNING."""
    from bot.app import build_web_client

    formatted: list[int] = []

    class Spy(dict[str, Any]):
        def __repr__(self) -> str:
            formatted.append(1)
            return dict.__repr__(self)

    client = build_web_client(edge.settings)
    answer = client.api_call("views.open", json={"trigger_id": edge.slack.new_trigger_id(user_id=OWNER),
                                                 "view": Spy(type="modal", title={"type": "plain_text", "text": "x"},
                                                             blocks=[])})
    assert answer["ok"] is True
    assert formatted == []
    assert logging.getLogger("slack_sdk.web").level == logging.WARNING


def test_help_is_acked_empty_and_answered_with_every_subcommand(edge: BotHarness) -> None:
    ack = command(edge, "help")
    assert (ack.status, ack.body) == (200, "")
    answer = answered(edge)
    assert answer.params["text"] == EN.md("onboarding.help.fallback")
    assert answer.params["response_type"] == "ephemeral"
    text = answer.params["blocks"][0]["text"]["text"]
    expected = [EN.md("onboarding.help.intro"),
                *(EN.md(f"onboarding.help.command.{n}") for n in ("start", "status", "help")),
                *(t(f"onboarding.help.extra.{n}") for n in ("audit", "autorotate", "disconnect", "keys", "language",
                                                                   "reauthorize", "rotate")),
                EN.md("onboarding.help.outro")]
    assert text == "\n".join(expected)


def test_an_unknown_subcommand_gets_the_help(edge: BotHarness) -> None:
    ack = command(edge, "frobnicate now")
    assert (ack.status, ack.body) == (200, "")
    assert answered(edge).params["text"] == EN.md("onboarding.help.fallback")


def test_status_without_connections_says_none_is_connected(edge: BotHarness) -> None:
    assert command(edge, "status").status == 200
    answer = answered(edge)
    assert answer.params["text"] == EN.md("onboarding.status.fallback", count=0)
    assert EN.md("onboarding.status.none") in shown(answer)


def test_status_lists_a_stored_connection_with_its_expiry(edge: BotHarness) -> None:
    created = datetime.now(UTC).date() - timedelta(days=20)
    edge.seed("Main US", created_on=created, store_name="Acme US")
    assert command(edge, "status").status == 200
    answer = answered(edge)
    assert answer.params["text"] == EN.md("onboarding.status.fallback", count=1)
    seen = shown(answer)
    assert "*Main US*" in seen and EN.md("onboarding.status.connected") in seen
    assert (created + timedelta(days=180)).isoformat() in seen
    assert EN.md("onboarding.status.days_left", days=160) in seen
    assert EN.md("onboarding.status.store", store="Acme US") in seen


def test_start_sends_its_note_and_the_checklist_dm_with_no_slack_call_before_the_ack(edge: BotHarness) -> None:
    # The person's language is not known in the web tier yet: the ack goes bare, without asking Slack, and
    # the worker (which asks) sends the note in their language, then the DM.
    ack = command(edge, "")
    assert (ack.status, ack.body) == (200, "")
    note = answered(edge)
    assert (note.params["text"], note.params["response_type"]) == (t("onboarding.start.ack"), "ephemeral")
    dm = edge.wait_dm(lambda m: bool(m.get("blocks")))
    assert dm["text"] == EN.md("onboarding.checklist.fallback_choose")
    assert dm["blocks"][0]["text"]["text"] == t("onboarding.checklist.title")
    opened = edge.slack.calls_for("conversations.open")
    assert [c.params.get("users") for c in opened] == [OWNER]
    # Once it is known here (their own choice), the note goes with the ack and is not sent twice.
    with edge.db_session() as session:
        repo.set_language(session, TEAM_ID, OWNER, "en", datetime.now(UTC))
        session.commit()
    answers = len(edge.slack.calls_for("response_url"))
    ack = command(edge, "")
    assert json.loads(ack.body) == {"text": t("onboarding.start.ack"), "response_type": "ephemeral"}
    edge.wait_dm(lambda m: len(edge.slack.calls_for("chat.postMessage")) >= 2)
    time.sleep(0.3)
    assert len(edge.slack.calls_for("response_url")) == answers


# -------------------------------------------------------------------------------------- the checklist


def test_choosing_a_path_and_ticking_a_step_updates_the_dm_and_is_saved(edge: BotHarness) -> None:
    dm = start_checklist(edge)
    channel = edge.dm_channel()
    chosen = action(edge, "checklist_path_seller", value="seller", block_id="checklist_path", channel_id=channel,
                    message=dm)
    assert (chosen.status, chosen.body) == (200, "")
    total = len(STEPS["seller"])
    progress = EN.md("onboarding.checklist.fallback", path=EN.md("onboarding.path.seller"), done=0, total=total)
    dm = edge.wait_dm(lambda m: m.get("text") == progress)

    step = next(b for b in dm["blocks"] if b.get("block_id") == "step_prerequisites")
    option = step["accessory"]["options"][0]
    ticked = action(edge, "checklist_step", block_id="step_prerequisites", action_type="checkboxes",
                    channel_id=channel, message=dm, selected_options=[option])
    assert (ticked.status, ticked.body) == (200, "")
    one_done = EN.md("onboarding.checklist.fallback", path=EN.md("onboarding.path.seller"), done=1, total=total)
    dm = edge.wait_dm(lambda m: m.get("text") == one_done)
    step = next(b for b in dm["blocks"] if b.get("block_id") == "step_prerequisites")
    assert step["accessory"]["initial_options"] == [option]
    update = edge.slack.calls_for("chat.update")[-1]
    assert update.response.get("ok") and update.params["channel"] == channel and update.params["ts"] == dm["ts"]
    # Saved: /connect-amazon again sends a new DM with the same path and the step still ticked.
    posts = len(edge.slack.calls_for("chat.postMessage"))
    assert command(edge, "").status == 200
    again = edge.slack.wait_for("chat.postMessage", lambda c: c in edge.slack.calls_for("chat.postMessage")[posts:],
                                timeout=10)
    assert again.params["text"] == one_done


def test_a_checkbox_outside_a_step_block_changes_nothing(edge: BotHarness) -> None:
    dm = start_checklist(edge)
    before = len(edge.slack.calls_for("chat.update"))
    ack = action(edge, "checklist_step", block_id="not_a_step", action_type="checkboxes",
                 channel_id=edge.dm_channel(), message=dm, selected_options=[])
    assert (ack.status, ack.body) == (200, "")
    time.sleep(0.3)
    assert len(edge.slack.calls_for("chat.update")) == before


# -------------------------------------------------------------------------------------- the credentials modal


def open_form(edge: BotHarness) -> dict[str, Any]:
    dm = start_checklist(edge)
    block = next(b for b in dm["blocks"] if any(e.get("action_id") == "open_credentials"
                                                 for e in b.get("elements") or []))
    ack = action(edge, "open_credentials", value="open", block_id=block["block_id"], channel_id=edge.dm_channel(),
                 message=dm)
    assert (ack.status, ack.body) == (200, "")
    call = edge.slack.wait_for("views.open", lambda c: bool(c.response.get("ok")), timeout=10)
    return edge.view(call.response["view"]["id"])


def submit(edge: BotHarness, view: dict[str, Any], values: dict[str, Any]) -> BoltResponse:
    merged = {**initial_values(view), **values}
    body = view_submission_body(view, merged, OWNER, trigger_id=edge.slack.new_trigger_id(user_id=OWNER))
    return edge.dispatch(body)


def test_format_errors_are_answered_in_the_ack_and_nothing_is_sent_anywhere(edge: BotHarness) -> None:
    view = open_form(edge)
    calls_before = len(edge.slack.calls)
    creds_like = {
        "account_type": "seller",
        "selling_partner_id": "A1EXAMPLESELLER",
        "client_id": "amzn1.application-oa2-client.12345",  # cut short
        "client_secret": "amzn1.oa2-cs.v1.abc",  # cut short
        "refresh_token": "Atzr|IwEB" + "x" * 300,
        "marketplace": "ATVPDKIKX0DER",
        "connection_name": "Main US",
        "secret_created_on": (date.today() + timedelta(days=3)).isoformat(),
    }
    ack = submit(edge, view, creds_like)
    assert ack.status == 200
    answer = json.loads(ack.body)
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {
        "client_id": t("amazon.error.client_id.tail"),
        "client_secret": t("amazon.error.client_secret.tail"),
        "secret_created_on": t("onboarding.form.date_future"),
    }
    time.sleep(0.3)
    assert edge.slack.calls[calls_before:] == []  # no views.update, no post: the ack said it all
    assert edge.amazon.request_log() == []  # format errors never reach Amazon
    answers = len(edge.slack.calls_for("response_url"))  # the start's note came before
    assert command(edge, "status").status == 200  # and nothing was saved
    assert answered(edge, answers).params["text"] == EN.md("onboarding.status.fallback", count=0)


def test_a_name_already_taken_is_a_form_error_on_the_name(edge: BotHarness) -> None:
    edge.seed("Main US", created_on=date.today() - timedelta(days=5))
    view = open_form(edge)
    fresh = edge.amazon.register(make_credentials())
    ack = submit(edge, view, edge.form_values(fresh, "main us"))
    answer = json.loads(ack.body)
    assert answer == {"response_action": "errors",
                      "errors": {"connection_name": t("onboarding.form.name_taken_field", name="Main US")}}
    assert edge.amazon.request_log() == []


# -------------------------------------------------------------------------------------- events


def test_an_event_is_acked_at_once(edge: BotHarness) -> None:
    body = event_callback_body({"type": "app_home_opened", "user": OWNER, "channel": "D0HOME", "tab": "home",
                                "event_ts": f"{time.time():.6f}"})
    ack = edge.dispatch(body, JSON)
    assert (ack.status, ack.body) == (200, "")
    published = edge.slack.wait_for("views.publish", timeout=10)
    assert published.params.get("user_id") == OWNER and published.response.get("ok")


def test_the_requests_that_come_in_bursts_match_one_of_the_first_listeners_and_no_other(edge: BotHarness) -> None:
    """Bolt tries a request against each listener in registration order (``bot.listeners.FIRST``): the command,
    the credential form's submission and its button are matched by the first three, and by nothing else."""
    from slack_bolt import BoltRequest

    from bot.views.credentials import CALLBACK_ID

    view = {"id": "V0ORDER", "type": "modal", "callback_id": CALLBACK_ID, "hash": "1.h", "blocks": [],
            "private_metadata": "", "state": {"values": {}}}
    bodies = {
        "command": slash_command_body(COMMAND, "", OWNER),
        "submission": view_submission_body(view, {}, OWNER),
        "click": block_actions_body(block_actions_payload("open_credentials", OWNER)),
        "home": event_callback_body({"type": "app_home_opened", "user": OWNER, "tab": "home"}),
        "message": event_callback_body({"type": "message", "user": OWNER, "channel": "C0TEAM", "text": "hi",
                                        "ts": "1.2"}),
    }
    listeners = edge.app._listeners  # Bolt's own list, in the order it tries them
    for kind, body in bodies.items():
        content_type = JSON if body.startswith("{") else "application/x-www-form-urlencoded"
        request = BoltRequest(body=body, headers={"content-type": [content_type]})
        answer = BoltResponse(status=200)
        matching = [i for i, listener in enumerate(listeners) if listener.matches(req=request, resp=answer)]
        assert len(matching) == 1, (kind, matching)
        if kind in ("command", "submission", "click"):
            assert matching[0] <= 2, (kind, matching)


# -------------------------------------------------------------------------------------- the form's language


def test_a_submission_is_answered_in_the_language_its_form_was_written_in_with_no_read_before_the_ack(
        edge: BotHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    view = open_form(edge)  # written in English (the person's Slack locale)
    assert json.loads(view["private_metadata"]) == {"locale": "en"}
    with edge.db_session() as session:  # the person then chooses Chinese while the form is open
        repo.set_language(session, TEAM_ID, OWNER, "zh-CN", datetime.now(UTC))
        session.commit()
    reads: list[str] = []
    real = repo.get_reader

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(args[2])
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "get_reader", counted)
    fresh = edge.amazon.register(make_credentials())
    ack = submit(edge, view, edge.form_values(fresh, "Main US", client_id="amzn1.application-oa2-client.12345"))
    answer = json.loads(ack.body)
    assert answer == {"response_action": "errors", "errors": {"client_id": t("amazon.error.client_id.tail")}}
    assert reads == []  # the form said its language: nobody's language was read before the ack


def test_a_form_without_its_language_or_with_a_forged_one_is_answered_in_the_persons_language(
        edge: BotHarness) -> None:
    view = open_form(edge)
    with edge.db_session() as session:
        repo.set_language(session, TEAM_ID, OWNER, "zh-CN", datetime.now(UTC))
        session.commit()
    zh = Words("zh-CN")
    fresh = edge.amazon.register(make_credentials())
    values = edge.form_values(fresh, "Main US", client_id="amzn1.application-oa2-client.12345")
    for metadata in ("", '{"locale": "fr"}', '{"locale": ["en"]}', '["en"]', "{not json", '{"locale": "EN"}'):
        ack = submit(edge, {**view, "private_metadata": metadata}, values)
        assert json.loads(ack.body)["errors"] == {"client_id": zh.text("amazon.error.client_id.tail")}, metadata
