"""What the lifecycle tells the team channel, as typed facts: expiry reminders, the "expired" alert and
the announcements of a rotation, a re-authorization and a disconnect.

Each notice is a frozen ``Payload`` (``Notice.of(Audience.CHANNEL, payload)``); ``bot.views.lifecycle``
renders them in the reader's language. No secret and no words travel in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from bot.flows.ports import Payload
from bot.flows.summary import ConnectionSummary
from bot.i18n import Marketplace, Region


@dataclass(frozen=True)
class ConnectionFacts:
    """The secret-free facts every lifecycle notice about a connection carries (``exposed``: the secrets in
    use that were seen in Slack, so every notice keeps saying so until they are replaced)."""

    connection_id: int
    name: str
    account_type: str
    marketplace: Marketplace
    region: Region
    owner: str  # the Slack user id of the person who connected it
    expires_on: date  # the client secret's expiry
    exposed: tuple[str, ...] = ()

    @classmethod
    def of(cls, summary: ConnectionSummary) -> ConnectionFacts:
        return cls(
            connection_id=summary.id,
            name=summary.name,
            account_type=summary.account_type,
            marketplace=Marketplace(summary.marketplace_id),
            region=Region(summary.region),
            owner=summary.created_by,
            expires_on=summary.secret_expires_on,
            exposed=tuple(summary.exposed),
        )


@dataclass(frozen=True)
class ExpiryReminder(Payload):
    """The client secret expires in ``days_left`` days."""

    KIND: ClassVar[str] = "expiry_reminder"
    connection: ConnectionFacts
    days_left: int


@dataclass(frozen=True)
class SecretExpired(Payload):
    """The client secret expired (on ``connection.expires_on``)."""

    KIND: ClassVar[str] = "secret_expired"
    connection: ConnectionFacts


@dataclass(frozen=True)
class ConnectionRotated(Payload):
    """``actor`` (a Slack user id) gave the connection a new client secret that Amazon accepted."""

    KIND: ClassVar[str] = "connection_rotated"
    connection: ConnectionFacts
    actor: str


@dataclass(frozen=True)
class ConnectionReauthorized(Payload):
    """``actor`` gave the connection a new refresh token that Amazon accepted."""

    KIND: ClassVar[str] = "connection_reauthorized"
    connection: ConnectionFacts
    actor: str


@dataclass(frozen=True)
class ConnectionDisconnected(Payload):
    """``actor`` disconnected the connection: its secrets are erased."""

    KIND: ClassVar[str] = "connection_disconnected"
    connection: ConnectionFacts
    actor: str
