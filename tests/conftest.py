"""Shared fixtures: ``bot`` (a whole bot on SQLite behind real HTTP, see tests/harness.py) and
``bot_any_db`` (the same, once on SQLite and once on PostgreSQL when TEST_DATABASE_URL answers)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import BotHarness


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, database=request.param) as harness:
        yield harness
