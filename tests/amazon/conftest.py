from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.amazon.client import AmazonClient
from tests.fakes.fake_amazon import FakeAmazon


class FakeTime:
    """A monotonic clock that moves forward when the client sleeps, so retries cost no real time."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return time.monotonic() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.offset += seconds


@pytest.fixture
def fake() -> Iterator[FakeAmazon]:
    with FakeAmazon() as f:
        yield f


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake: FakeAmazon, fake_time: FakeTime) -> Iterator[AmazonClient]:
    c = AmazonClient(
        fake.token_url,
        fake.regional_sp_api_url,
        timeout=5.0,
        deadline=60.0,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    yield c
    c.close()
