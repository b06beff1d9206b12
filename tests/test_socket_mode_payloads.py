"""Socket Mode has no HTTP edge (bot/server.py never sees its envelopes): wrongly typed payloads are
acknowledged and ignored, never a traceback, and a response_url outside Slack is not posted to.

The fake Slack sends each envelope over its real websocket to the bot's SocketModeHandler.
"""

from __future__ import annotations

import copy
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import block_actions_payload, slash_command_payload
from tests.harness import socket_mode_bot, wait_until
from tests.test_properties import A_VIEW, ACTION_MUTATIONS, BUTTONS, STATE_MUTATIONS
from tests.test_response_url import SECRET_PATH, Recorder


@pytest.fixture(scope="module")
def socket_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeSlack, io.StringIO]]:
    tmp_path: Path = tmp_path_factory.mktemp("socket_payloads")
    with socket_mode_bot(tmp_path) as bot:
        yield bot


def _send(fake: FakeSlack, log: io.StringIO, kind: str, payload: dict[str, Any]) -> str:
    before = len(log.getvalue())
    envelope = fake.socket_send_envelope(kind, payload)
    fake.wait_for_ack(envelope, 5)
    time.sleep(0.2)  # a lazy listener behind the ack finishes
    return log.getvalue()[before:]


def _assert_no_crash(new_log: str) -> None:
    assert "Traceback" not in new_log and "Failed to run" not in new_log, new_log[-2000:]


@pytest.mark.parametrize("mutation", sorted(ACTION_MUTATIONS))
def test_wrongly_typed_actions_are_acknowledged_and_ignored(socket_bot: tuple[FakeSlack, io.StringIO],
                                                            mutation: str) -> None:
    fake, log = socket_bot
    for action_id in BUTTONS:
        payload = block_actions_payload(action_id, "U0MEMBER", value="1", channel_id="C0TEAM",
                                        response_url=fake.response_url())
        ACTION_MUTATIONS[mutation](payload)
        new_log = _send(fake, log, "interactive", payload)
        _assert_no_crash(new_log)
        assert "ignored a Socket Mode payload" in new_log, (action_id, mutation)


@pytest.mark.parametrize("values", sorted(STATE_MUTATIONS))
def test_wrongly_typed_view_state_is_acknowledged_and_ignored(socket_bot: tuple[FakeSlack, io.StringIO],
                                                              values: str) -> None:
    fake, log = socket_bot
    for callback_id in ("connect_credentials", "lifecycle_renew"):
        view = {**copy.deepcopy(A_VIEW), "callback_id": callback_id, "state": {"values": STATE_MUTATIONS[values]}}
        payload = {"type": "view_submission", "team": {"id": fake.team.team_id},
                   "user": {"id": "U0MEMBER", "team_id": fake.team.team_id}, "view": view}
        _assert_no_crash(_send(fake, log, "interactive", payload))


def test_listener_parsing_is_defensive_without_the_shape_check() -> None:
    """The listeners' own reads: the typed accessors give plain values for every odd shape."""
    from bot.listeners.context import form_values
    from bot.listeners.context import team_id_of as _team
    from bot.listeners.context import user_id_of as _user

    for values in STATE_MUTATIONS.values():
        result = form_values({"state": {"values": values}})
        assert all(isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in result.items())
    for body in ({"team": 5, "user": [1]}, {"team": {"id": 5}, "user": {"id": {"x": 1}}}, {"user_id": 7}):
        assert _team(body) == "" and _user(body) == ""


def test_a_foreign_response_url_gets_nothing_and_the_answer_still_arrives(
        socket_bot: tuple[FakeSlack, io.StringIO]) -> None:
    fake, log = socket_bot
    with Recorder() as recorder:
        payload = slash_command_payload("/connect-amazon", "help", "U0MEMBER", fake.team.team_id, "C0TEAM",
                                        None, response_url=recorder.origin + SECRET_PATH)
        _assert_no_crash(_send(fake, log, "slash_commands", payload))
        wait_until(lambda: [c for c in fake.calls_for("chat.postEphemeral") if c.params.get("user") == "U0MEMBER"]
                   or None, 10, "the help never reached the user")
        assert recorder.hits == []
    assert "s3cr3tR3sp0nseT0ken" not in log.getvalue()
