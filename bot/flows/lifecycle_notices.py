"""What the lifecycle tells the team channel, as typed facts: expiry reminders, the "expired" alert and
the announcements of a rotation, a re-authorization and a disconnect.

Each notice is a frozen ``Payload`` (``Notice.of(Audience.CHANNEL, payload)``); ``bot.views.lifecycle``
renders them in the reader's language. No secret and no words travel in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from bot.flows.ports import Payload
from bot.flows.summary import ConnectionSummary
from bot.i18n import Marketplace, Region, User


@dataclass(frozen=True, kw_only=True)
class AboutConnection(Payload):
    """The secret-free facts every lifecycle notice about a connection carries (``exposed``: the secrets in
    use that were seen in Slack, so every notice keeps saying so until they are replaced). Each notice
    kind below adds its own facts."""

    connection_id: int
    name: str
    account_type: str
    marketplace: Marketplace
    region: Region
    owner: User  # who connected it
    expires_on: date  # the client secret's expiry
    exposed: tuple[str, ...] = ()

    @staticmethod
    def facts(c: ConnectionSummary) -> dict[str, Any]:
        """The fields above for connection ``c`` (``ExpiryReminder(**AboutConnection.facts(c), days_left=3)``)."""
        return {"connection_id": c.id, "name": c.name, "account_type": c.account_type,
                "marketplace": Marketplace(c.marketplace_id), "region": Region(c.region), "owner": User(c.created_by),
                "expires_on": c.secret_expires_on, "exposed": tuple(c.exposed)}


@dataclass(frozen=True, kw_only=True)
class ExpiryReminder(AboutConnection):
    """The client secret expires in ``days_left`` days."""

    KIND: ClassVar[str] = "expiry_reminder"
    days_left: int
    exporters: tuple[str, ...] = ()  # tools that exported the current secret and need the new one (issue 15)
    via_amazon: bool = False  # the rotation queue is configured: offer "Rotate now via Amazon"


@dataclass(frozen=True, kw_only=True)
class SecretExpired(AboutConnection):
    """The client secret expired (on ``expires_on``)."""

    KIND: ClassVar[str] = "secret_expired"
    exporters: tuple[str, ...] = ()  # tools that exported the current secret and need the new one (issue 15)
    via_amazon: bool = False  # the rotation queue is configured: offer "Rotate now via Amazon"


@dataclass(frozen=True, kw_only=True)
class ConnectionRotated(AboutConnection):
    """``actor`` gave the connection a new client secret that Amazon accepted."""

    KIND: ClassVar[str] = "connection_rotated"
    actor: User


@dataclass(frozen=True, kw_only=True)
class ConnectionReauthorized(AboutConnection):
    """``actor`` gave the connection a new refresh token that Amazon accepted."""

    KIND: ClassVar[str] = "connection_reauthorized"
    actor: User


@dataclass(frozen=True, kw_only=True)
class ConnectionDisconnected(AboutConnection):
    """``actor`` disconnected the connection: its secrets are erased."""

    KIND: ClassVar[str] = "connection_disconnected"
    actor: User
