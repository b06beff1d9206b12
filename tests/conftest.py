"""Shared fixtures: ``bot`` (a whole bot on SQLite behind real HTTP, see tests/harness.py) and
``bot_any_db`` (the same, once on SQLite and once on PostgreSQL when TEST_DATABASE_URL answers);
``world`` / ``pg_world`` / ``any_world``, the same harness whose Amazon retries do not sleep, so
transient-error tests stay fast (``world`` on SQLite, ``pg_world`` on an isolated PostgreSQL schema,
``any_world`` once on each); ``live_app`` (tests/live_app.py), the bot's server without Amazon."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import BotHarness
from tests.live_app import live_app  # noqa: F401  (a fixture, shared through this conftest)


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path) as harness:
        yield harness


@pytest.fixture(params=["sqlite", "postgresql"])
def bot_any_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, database=request.param) as harness:
        yield harness


def _no_sleep(_seconds: float) -> None:
    return None


def _world(tmp_path: Path, database: str) -> Iterator[BotHarness]:
    with BotHarness(tmp_path, database=database, amazon_timeout=10.0, amazon_deadline=30.0,
                    amazon_sleep=_no_sleep) as harness:
        yield harness


@pytest.fixture
def world(tmp_path: Path) -> Iterator[BotHarness]:
    yield from _world(tmp_path, "sqlite")


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[BotHarness]:
    yield from _world(tmp_path, "postgresql")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BotHarness]:
    yield from _world(tmp_path, request.param)
