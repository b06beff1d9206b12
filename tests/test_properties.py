"""Property-based tests (hypothesis): bad input of every shape gets a clear answer, never a crash.

- the credential validators (complementing tests/amazon's): zero-width padding, huge strings,
  wrong types, and error sentences that name the field and never repeat a secret;
- the Slack payload parsing at the edge (message events, command text);
- the whole HTTP edge: arbitrary, correctly signed payloads aimed at every callback and action id
  the bot registers never get a 5xx or a traceback.
"""

from __future__ import annotations

import importlib
import io
import json
import pkgutil
import secrets
import time
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bot.views as views_package
from bot.amazon.validators import FIELD_KEYS, label, validate_credentials
from bot.flows.leak_guard import PostedMessage, scan
from bot.i18n import LOCALES
from bot.listeners.commands import parse, to_request
from bot.listeners.leak_guard import message_texts, parse_message_event
from bot.views.blocks import Words
from tests.fakes.fake_amazon import credential_fields, make_credentials
from tests.fakes.slack_signing import FORM, JSON, sign
from tests.live_app import LiveApp

ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
JSON_ANY = st.recursive(
    JSON_LEAF,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
TEXT = st.text(max_size=200) | st.sampled_from(["", " ", "\u200b", "\x00", "\ud7ff", "🙂" * 50, "x" * 10_000])

# ------------------------------------------------------------------------------------------- validators

LABELS = {k: Words("en").text(label(k)) for k in FIELD_KEYS if k != "selling_partner_id"}
FIELD_LABELS = {
    "account_type": ["Account type", "Seller account or a Vendor account"],
    "selling_partner_id": ["Seller ID", "Vendor code", "selling partner", "Seller", "Vendor"],
    "client_id": [LABELS["client_id"]],
    "client_secret": [LABELS["client_secret"]],
    "refresh_token": [LABELS["refresh_token"]],
    "marketplace": [LABELS["marketplace"]],
    "connection_name": [LABELS["connection_name"]],
}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.sampled_from(ZERO_WIDTH + [" ", "\t", "\n", "\xa0"]), max_size=6),
    st.lists(st.sampled_from(ZERO_WIDTH + [" ", "\t", "\n"]), max_size=6),
    st.sampled_from(["seller", "vendor"]),
)
def test_zero_width_and_space_padding_never_breaks_valid_credentials(
    before: list[str], after: list[str], account_type: str
) -> None:
    creds = make_credentials(account_type=account_type)
    fields = {k: "".join(before) + v + "".join(after) for k, v in credential_fields(creds).items()}
    result = validate_credentials(fields)
    assert result.ok, result.errors
    assert result.values["client_secret"] == creds.client_secret
    assert result.values["refresh_token"] == creds.refresh_token


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELD_KEYS), JSON_ANY | TEXT, max_size=len(FIELD_KEYS)))
def test_every_rejected_field_gets_a_sentence_naming_it(fields: dict[str, Any]) -> None:
    result = validate_credentials(fields)
    assert result.ok == (not result.errors)
    for key, message in result.errors.items():
        assert key in FIELD_KEYS
        sentence = Words("en").text(message)
        assert isinstance(sentence, str) and 10 < len(sentence) < 600
        assert sentence[0].isupper() and sentence.rstrip().endswith((".", ")")), sentence
        assert any(label.lower() in sentence.lower() for label in FIELD_LABELS[key]), (key, sentence)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["client_secret", "refresh_token", "client_id", "connection_name", "marketplace"]),
       st.sampled_from(["x", "\u200b", "A", "é", "|", "0"]))
def test_huge_values_are_rejected_quickly_and_not_repeated(key: str, char: str) -> None:
    huge = char * 1_000_000
    started = time.monotonic()
    result = validate_credentials({key: huge})
    assert time.monotonic() - started < 2.0  # bounded: no pathological regex on 1 MB of input
    assert key in result.errors
    said = Words("en").text(result.errors[key]) + repr(result.errors[key])
    assert huge[:50] not in said or len(set(huge)) == 1 and huge[:12] not in said


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["client_secret", "refresh_token"]), st.integers(0, 5), st.sampled_from(FIELD_KEYS))
def test_a_secret_pasted_anywhere_is_never_repeated(which: str, cut: int, into: str) -> None:
    creds = make_credentials()
    secret = getattr(creds, which)
    value = secret[: len(secret) - cut * 7]
    fields = dict(credential_fields(creds))
    fields[into] = value
    result = validate_credentials(fields)
    for meaning in list(result.errors.values()) + list(result.notes.values()):
        for sentence in (repr(meaning), meaning.to_json(), *(Words(locale).text(meaning) for locale in LOCALES)):
            assert value[-12:] not in sentence and value[16:28] not in sentence


# ------------------------------------------------------------------------------- Slack payload parsing


@settings(max_examples=200, deadline=None)
@given(JSON_ANY, st.one_of(st.none(), st.text(max_size=12)), st.one_of(st.none(), st.text(max_size=12)))
def test_parse_message_event_never_raises(body: Any, bot_user_id: str | None, bot_id: str | None) -> None:
    result = parse_message_event(body, bot_user_id=bot_user_id, bot_id=bot_id)
    assert result is None or isinstance(result, PostedMessage)


MESSAGE_EVENT = st.fixed_dictionaries(
    {"type": st.just("message"), "channel": st.text(min_size=1, max_size=12)},
    optional={
        "subtype": st.sampled_from(["message_changed", "thread_broadcast", "file_share", "bot_message"]) | JSON_ANY,
        "user": TEXT | JSON_ANY,
        "text": TEXT | JSON_ANY,
        "ts": TEXT | JSON_ANY,
        "thread_ts": TEXT | JSON_ANY,
        "bot_id": TEXT | JSON_ANY,
        "blocks": JSON_ANY,
        "attachments": JSON_ANY,
        "message": JSON_ANY,
        "previous_message": JSON_ANY,
    },
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGE_EVENT, JSON_ANY, JSON_ANY)
def test_message_events_of_any_shape_give_plain_values(event: dict[str, Any], team: Any, event_id: Any) -> None:
    result = parse_message_event({"type": "event_callback", "team_id": team, "event_id": event_id, "event": event})
    if result is not None:
        assert all(isinstance(getattr(result, f), str) for f in ("team_id", "channel_id", "ts", "event_id"))
        assert all(isinstance(t, str) for t in result.texts + result.previous_texts)
        assert sum(len(t) for t in result.texts) <= 200_000
        scan(result.texts, result.previous_texts)  # the scanner takes whatever the parser gives


@settings(max_examples=50, deadline=None)
@given(st.sampled_from(["text", "blocks", "attachments", "files"]), st.integers(0, 6))
def test_a_secret_is_found_wherever_a_person_can_read_it(where: str, depth: int) -> None:
    secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    leaf = {"type": "text", "text": f"my secret is {secret}"}
    node: Any = leaf
    for _ in range(depth):
        node = {"type": "rich_text_section", "elements": [node]}
    message: dict[str, Any] = {"type": "message", "channel": "C1", "user": "U1", "ts": "1.2"}
    message[where] = leaf["text"] if where == "text" else [node]
    parsed = parse_message_event({"team_id": "T1", "event_id": "Ev1", "event": message})
    assert parsed is not None
    assert [f.kind for f in scan(parsed.texts)] == ["client_secret"]


def test_message_texts_is_bounded_on_hostile_structures() -> None:
    wide = {"blocks": [{"text": "x" * 1000} for _ in range(10_000)]}
    assert sum(len(t) for t in message_texts(wide)) <= 200_000
    deep: Any = "leaf"
    for _ in range(5000):
        deep = [deep]
    assert message_texts({"blocks": deep}) == ()  # deeper than any real block: ignored, no RecursionError


@settings(max_examples=300, deadline=None)
@given(TEXT | st.none())
def test_command_text_parsing_never_raises_or_echoes(text: str | None) -> None:
    entry, args = parse(text)
    if entry is None:
        assert args == ""
    request = to_request({"text": text, "user_id": text, "team_id": None}, args)
    assert isinstance(request.user_id, str) and isinstance(request.team_id, str)


# --------------------------------------------------------------------------------------- the HTTP edge


def known_ids() -> list[str]:
    """Every action id and callback id the bot's views modules declare (constants named *_ACTION/_CALLBACK/_ID)."""
    ids: set[str] = set()
    for info in pkgutil.iter_modules(views_package.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and name.endswith(("_ACTION", "_CALLBACK", "_ID")):
                ids.add(value)
    return sorted(ids) or ["none"]


IDS = known_ids()
RESPONSE_URL = "__RESPONSE_URL__"  # replaced by one the fake Slack serves
ID = st.sampled_from(IDS) | st.text(max_size=20)
USER = st.fixed_dictionaries({"id": st.sampled_from(["U0ALICE", "U0ADMIN", ""]) | TEXT},
                             optional={"team_id": TEXT, "username": TEXT})
STATE_VALUES = st.dictionaries(
    st.sampled_from(IDS) | st.text(max_size=10),
    st.dictionaries(
        st.sampled_from(IDS) | st.text(max_size=10),
        st.fixed_dictionaries({"type": st.sampled_from(["plain_text_input", "static_select", "datepicker",
                                                          "radio_buttons", "checkboxes"]) | JSON_LEAF},
                              optional={"value": TEXT | JSON_ANY, "selected_date": TEXT | JSON_ANY,
                                        "selected_option": JSON_ANY, "selected_options": JSON_ANY}) | JSON_ANY,
        max_size=3) | JSON_ANY,
    max_size=8)
VIEW = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=12), "type": st.sampled_from(["modal", "home"]), "callback_id": ID},
    optional={"private_metadata": TEXT | st.builds(json.dumps, JSON_ANY) | JSON_ANY, "hash": TEXT | JSON_LEAF, "state":
              st.fixed_dictionaries({"values": STATE_VALUES}), "root_view_id": TEXT, "blocks": JSON_ANY},
)
ACTION = st.fixed_dictionaries(
    {"action_id": ID | JSON_LEAF, "type": st.sampled_from(["button", "static_select", "checkboxes", "datepicker"])},
    optional={"value": TEXT | JSON_ANY, "block_id": TEXT | JSON_LEAF, "selected_option": JSON_ANY,
              "selected_options": JSON_ANY, "action_ts": TEXT},
)
TEAM = st.fixed_dictionaries({"id": st.sampled_from(["T0FAKETEAM"]) | TEXT}, optional={"domain": TEXT})
VIEW_PAYLOAD = st.fixed_dictionaries(
    {"type": st.sampled_from(["view_submission", "view_closed"]), "view": VIEW},
    optional={"user": USER, "team": TEAM, "trigger_id": TEXT, "api_app_id": TEXT},
)
ACTION_PAYLOAD = st.fixed_dictionaries(
    {"type": st.just("block_actions"), "actions": st.lists(ACTION, min_size=1, max_size=2)},
    optional={"user": USER, "team": TEAM, "trigger_id": TEXT, "response_url": st.just(RESPONSE_URL),
              "view": VIEW, "container": JSON_ANY.filter(lambda v: isinstance(v, dict)),
              "channel": st.fixed_dictionaries({"id": TEXT})},
)
ANY_PAYLOAD = JSON_ANY


@st.composite
def slash_command(draw: st.DrawFn) -> str:
    fields = {
        "command": draw(st.sampled_from(["/connect-amazon", "/other"])),
        "text": draw(st.sampled_from(["", "start", "status", "help", "audit", "rotate", "disconnect", "reauthorize"])
                     .map(lambda w: w + " ") .flatmap(lambda w: TEXT.map(lambda rest: w + rest))),
        "user_id": draw(st.sampled_from(["U0ALICE", "U0ADMIN"]) | TEXT),
        "team_id": draw(st.sampled_from(["T0FAKETEAM"]) | TEXT),
        "channel_id": "C0TEAM", "trigger_id": draw(TEXT), "response_url": RESPONSE_URL,
    }
    # Slack always sends the command and its response_url; any other field may be missing here.
    return "&".join(f"{k}={quote(v)}" for k, v in fields.items()
                    if draw(st.booleans()) or k in ("command", "response_url"))


def _post(edge: LiveApp, body: str, content_type: str) -> tuple[str, bytes]:
    wsgi, secret = edge.wsgi, edge.signing_secret
    url = edge.fake.response_url()
    body = body.replace(RESPONSE_URL, url if content_type == JSON else quote(url, safe=""))
    raw = body.encode("utf-8", "surrogatepass")
    seen: dict[str, str] = {}
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "QUERY_STRING": "",
               "SERVER_PROTOCOL": "HTTP/1.1",
               "CONTENT_TYPE": content_type, "CONTENT_LENGTH": str(len(raw)), "wsgi.input": io.BytesIO(raw)}
    for name, value in sign(secret, raw.decode("utf-8", "surrogatepass")).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: object = None) -> None:
        seen["status"] = status

    out = b"".join(wsgi(environ, start_response))
    return seen["status"], out


def _assert_no_5xx(status: str, body: bytes) -> None:
    assert int(status[:3]) < 500, (status, body[:200])
    assert b"Traceback" not in body


@pytest.fixture(scope="module")
def edge(live_app: LiveApp) -> LiveApp:
    return live_app


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(VIEW_PAYLOAD | ACTION_PAYLOAD | ANY_PAYLOAD)
def test_signed_interaction_payloads_of_any_shape_never_get_a_5xx(edge: LiveApp, payload: Any) -> None:
    status, body = _post(edge, "payload=" + quote(json.dumps(payload)), FORM)
    _assert_no_5xx(status, body)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(slash_command())
def test_signed_slash_commands_of_any_shape_never_get_a_5xx(edge: LiveApp, body: str) -> None:
    status, out = _post(edge, body, FORM)
    _assert_no_5xx(status, out)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                    HealthCheck.too_slow])
@given(st.fixed_dictionaries({"type": st.just("event_callback"), "event": MESSAGE_EVENT | JSON_ANY},
                             optional={"event_id": TEXT, "team_id": TEXT}) | JSON_ANY)
def test_signed_event_bodies_of_any_shape_never_get_a_5xx(edge: LiveApp, body: Any) -> None:
    status, out = _post(edge, json.dumps(body), JSON)
    _assert_no_5xx(status, out)


# ------------------------------------------------- wrongly typed fields in signed payloads, over real HTTP

BUTTONS = ["open_credentials", "checklist_path_seller", "checklist_step", "retry_credentials", "confirm_update",
           "cancel_update", "rotate_now", "reauthorize_now", "disconnect_confirm", "disconnect_cancel"]
A_VIEW = {"id": "V0TYPED01", "type": "modal", "callback_id": "connect_credentials", "hash": "1.a",
          "private_metadata": "{}", "state": {"values": {}}}


def _set(path: str, value: Any) -> Any:
    """A mutation that sets ``path`` (dots; ``actions.0`` is the first action) in a payload."""
    def apply(payload: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = payload
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return apply


ACTION_MUTATIONS = {
    "action_id a number": _set("actions.0.action_id", 5),
    "action_id missing": lambda p: p["actions"][0].pop("action_id"),
    "action_id an object": _set("actions.0.action_id", {"id": "open_credentials"}),
    "block_id a number": _set("actions.0.block_id", 7),
    "value an object": _set("actions.0.value", {"connection_id": 1}),
    "value a list": _set("actions.0.value", ["1"]),
    "selected_option a string": _set("actions.0.selected_option", "seller"),
    "selected_option.value a number": _set("actions.0.selected_option", {"value": 3}),
    "selected_options a string": _set("actions.0.selected_options", "submitted"),
    "selected_options of numbers": _set("actions.0.selected_options", [1, 2]),
    "action is a string": _set("actions.0", "open_credentials"),
    "container.channel_id a number": _set("container.channel_id", 5),
    "container.message_ts an object": _set("container.message_ts", {"ts": "1"}),
    "channel.id a number": _set("channel.id", 5),
    "user.team_id a number": _set("user.team_id", 5),
    "response_url a number": _set("response_url", 5),
    "view.private_metadata a number": _set("view", {**A_VIEW, "private_metadata": 5}),
    "view.private_metadata an object": _set("view", {**A_VIEW, "private_metadata": {"kind": "rotate"}}),
    "view.hash a number": _set("view", {**A_VIEW, "hash": 5}),
    "view.state.values a list": _set("view", {**A_VIEW, "state": {"values": []}}),
    "view.state.values.block a list": _set("view", {**A_VIEW, "state": {"values": {"b": []}}}),
}
STATE_MUTATIONS = {
    "values a list": [],
    "a block a list": {"b": []},
    "a block a string": {"b": "x"},
    "an element a string": {"b": {"connection_name": "x"}},
    "an element a list": {"b": {"connection_name": [1]}},
    "type a number": {"b": {"connection_name": {"type": 5, "value": "x"}}},
    "selected_option a string": {"b": {"account_type": {"type": "static_select", "selected_option": "seller"}}},
    "selected_option a list": {"b": {"account_type": {"type": "radio_buttons", "selected_option": ["seller"]}}},
    "value an object": {"b": {"connection_name": {"type": "plain_text_input", "value": {"x": 1}}}},
    "value a number": {"client_secret": {"client_secret": {"type": "plain_text_input", "value": 12}}},
    "selected_date a number": {"created_on": {"created_on": {"type": "datepicker", "selected_date": 20260101}}},
    "selected_options an object": {"b": {"x": {"type": "checkboxes", "selected_options": {"value": "a"}}}},
}
METADATA = ["{}", '{"kind": "rotate", "connection_id": 1}', "[1]", "[" * 2000, 5, None]


def _post_over_http(edge: LiveApp, payload: Any) -> tuple[int, str, str]:
    from tests.fakes.slack_signing import post_signed

    before = len(edge.log_text())
    resp = post_signed(edge.url, "payload=" + quote(json.dumps(payload)), edge.signing_secret, FORM)
    time.sleep(0.05)  # a lazy listener behind an ack finishes (test_zz below checks the whole log again)
    return resp.status_code, resp.text, edge.log_text()[before:]


def _assert_clean(status: int, text: str, log: str) -> None:
    assert status in (200, 400, 404), (status, text[:200])
    assert "Traceback" not in text and "Traceback" not in log and "Failed to run" not in log, log[-2000:]


@pytest.mark.parametrize("mutation", sorted(ACTION_MUTATIONS))
@pytest.mark.parametrize("action_id", BUTTONS)
def test_wrongly_typed_action_fields_get_a_400_or_a_clean_ignore(edge: LiveApp, action_id: str,
                                                                  mutation: str) -> None:
    from tests.fakes.slack_signing import block_actions_payload

    payload = block_actions_payload(action_id, "U0ALICE", value="1", channel_id="C0TEAM",
                                    response_url=edge.fake.response_url())
    ACTION_MUTATIONS[mutation](payload)
    status, text, log = _post_over_http(edge, payload)
    _assert_clean(status, text, log)
    assert status == 400, (mutation, status, text)


@pytest.mark.parametrize("metadata", METADATA, ids=lambda m: repr(m)[:20])
@pytest.mark.parametrize("values", sorted(STATE_MUTATIONS))
@pytest.mark.parametrize("callback_id", ["connect_credentials", "lifecycle_renew"])
def test_wrongly_typed_view_state_gets_a_400_or_a_clean_answer(edge: LiveApp, callback_id: str, values: str,
                                                                metadata: Any) -> None:
    view = {**A_VIEW, "callback_id": callback_id, "private_metadata": metadata,
            "state": {"values": STATE_MUTATIONS[values]}}
    payload = {"type": "view_submission", "team": {"id": "T0FAKETEAM"},
               "user": {"id": "U0ALICE", "team_id": "T0FAKETEAM"}, "view": view}
    status, text, log = _post_over_http(edge, payload)
    _assert_clean(status, text, log)
    assert status == 400, (values, metadata, status, text)


@pytest.mark.parametrize("metadata", ["[" * 2000, '{"kind": "rotate", "connection_id": 1}', "not json"])
@pytest.mark.parametrize("callback_id", ["connect_credentials", "lifecycle_renew"])
def test_odd_private_metadata_of_the_right_type_gets_a_clean_answer(edge: LiveApp, callback_id: str,
                                                                     metadata: str) -> None:
    payload = {"type": "view_submission", "team": {"id": "T0FAKETEAM"},
               "user": {"id": "U0ALICE", "team_id": "T0FAKETEAM"},
               "view": {**A_VIEW, "callback_id": callback_id, "private_metadata": metadata}}
    _assert_clean(*_post_over_http(edge, payload))
    retry = {"type": "block_actions", "team": {"id": "T0FAKETEAM"}, "user": {"id": "U0ALICE"},
             "actions": [{"action_id": "retry_credentials", "type": "button", "value": "x"}],
             "view": {**A_VIEW, "private_metadata": metadata}}
    _assert_clean(*_post_over_http(edge, retry))


def test_zz_no_listener_crashed_on_any_of_the_above(edge: LiveApp) -> None:
    """Runs last in this module: the acks and the lazy listeners behind them logged no traceback."""
    time.sleep(1.0)  # lazy listeners finish in the background
    log = edge.log_text()
    crashes = [chunk.splitlines()[0] for chunk in log.split("Traceback (most recent call last):")[1:]]
    failures = [line for line in log.splitlines() if "Failed to run" in line]
    assert not failures and not crashes, "\n".join(failures[:10] + [log[-3000:]])
