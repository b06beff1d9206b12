"""The leak guard in Socket Mode (the default way to run): the fake Slack sends events_api envelopes
over its websocket; a redelivery (retry_attempt 1, same event_id) gets acknowledged but never a second
warning."""

from __future__ import annotations

import io
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import event_callback_payload
from tests.harness import socket_mode_bot, wait_until


@pytest.fixture
def socket_bot(tmp_path: Path) -> Iterator[tuple[FakeSlack, io.StringIO]]:
    with socket_mode_bot(tmp_path) as bot:
        yield bot


def test_socket_mode_redelivery_warns_once(socket_bot: tuple[FakeSlack, io.StringIO]) -> None:
    fake, log = socket_bot
    secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    event = {"type": "message", "channel": "C0TEAM", "user": "U0MEMBER", "text": f"secret: {secret}",
             "ts": f"{time.time():.6f}", "channel_type": "channel"}
    payload = event_callback_payload(event, "EvSOCKET001")
    first = fake.socket_send_envelope("events_api", payload)
    fake.wait_for_ack(first, 5)
    fake.wait_for("chat.postEphemeral", lambda c: c.params.get("user") == "U0MEMBER", 10)
    again = fake.socket_send_envelope("events_api", payload, retry_attempt=1, retry_reason="timeout")
    fake.wait_for_ack(again, 5)
    # The redelivery is the job already queued for the event (its dedupe key), or a duplicate scan.
    wait_until(lambda: "event EvSOCKET001 done: found=client_secret duplicate=True" in log.getvalue()
               or "leak_guard:event:EvSOCKET001) is already queued" in log.getvalue(), 10,
               "the redelivery was not handled")
    assert len(fake.calls_for("chat.postEphemeral")) == 1
    assert secret not in fake.all_text() and secret[-4:] not in str(fake.calls_for("chat.postEphemeral")[0].params)
