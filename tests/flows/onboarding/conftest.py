"""One bot for the whole onboarding module (starting one costs a second); each test uses its own
Slack user and its own credentials, so tests do not see each other's state."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from tests.harness import BotHarness


@pytest.fixture(scope="module")
def shared_bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotHarness]:
    with BotHarness(tmp_path_factory.mktemp("onboarding")) as harness:
        yield harness


@pytest.fixture
def user(shared_bot: BotHarness) -> str:
    """A fresh member of the fake workspace."""
    user_id = "U" + secrets.token_hex(4).upper()
    shared_bot.slack.add_user(user_id, f"member{user_id.lower()}")
    shared_bot.slack.channels["C0TEAM"].members.add(user_id)
    shared_bot.slack.channels["C0NOTIFY01"].members.add(user_id)
    return user_id
