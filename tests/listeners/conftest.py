"""In-process listener tests, the way bolt-python tests itself: ``app.dispatch(BoltRequest(...))`` with
signed headers against the bot's real ``build_app(services)``, the fake Slack (tests/fakes/fake_slack.py)
as its Web API and a SQLite database. No HTTP server for the bot (``BotHarness(serve=False)``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import BotHarness


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, serve=False) as harness:
        yield harness
