"""What the flows need from the outside world, as plain Python protocols.

Flows never import Slack. When something must reach people they hand a ``Notice`` to an
``Outbox``; the Slack edge (``bot/outbox.py``) renders it with ``bot/views`` and posts it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol


class Audience(StrEnum):
    CHANNEL = "channel"  # the team channel (NOTIFY_CHANNEL)
    DM = "dm"  # a direct message to ``user_id``


class Payload:
    """What a notice says, as typed facts (a frozen dataclass per kind, never a secret, never words).

    Subclasses set ``KIND`` (the name the ledger and logs use); the views module of the feature
    renders them with ``@speaks(ThePayload)`` in the reader's language."""

    KIND: ClassVar[str] = ""


@dataclass(frozen=True)
class Notice:
    """A message for people: who reads it (``audience``, and ``user_id`` for a DM) and what it means
    (``payload``), never words or a secret. ``Notice.of(audience, payload, user_id=...)`` builds one."""

    audience: Audience
    payload: Payload
    user_id: str | None = None

    @classmethod
    def of(cls, audience: Audience, payload: Payload, user_id: str | None = None) -> Notice:
        return cls(audience=audience, payload=payload, user_id=user_id)

    @property
    def kind(self) -> str:
        """The payload's kind (the ledger and logs name notices by it)."""
        return self.payload.KIND


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
