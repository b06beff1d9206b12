"""Fixtures for the lifecycle tests: the shared harness (tests/harness.py) whose Amazon retries do not
sleep, so transient-error tests stay fast. ``world`` runs on SQLite, ``pg_world`` on an isolated
PostgreSQL schema, ``any_world`` once on each."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import BotHarness


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
