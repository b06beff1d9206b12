"""What the flows need from the outside world, as plain Python protocols.

Flows never import Slack. When something must reach people they hand a ``Notice`` to an
``Outbox``; the Slack edge (``bot/outbox.py``) renders it with ``bot/views`` and posts it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class Audience(StrEnum):
    CHANNEL = "channel"  # the team channel (NOTIFY_CHANNEL)
    DM = "dm"  # a direct message to ``user_id``


@dataclass(frozen=True)
class Notice:
    """A message for people, described by kind and plain data (never a secret)."""

    kind: str
    audience: Audience
    data: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    channel: str
    ts: str


class Outbox(Protocol):
    def send(self, notice: Notice) -> Delivery:
        """Deliver the notice or raise ``DeliveryError``; returns where it landed."""
        ...


class DeliveryError(Exception):
    """The notice could not be delivered (Slack error, rate limit, network); safe to retry later."""
