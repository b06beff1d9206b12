"""Typed lifecycle notice payloads for the view tests: one per kind, from a few facts."""

from __future__ import annotations

from datetime import date

from bot.flows.lifecycle_notices import (
    ConnectionDisconnected,
    ConnectionFacts,
    ConnectionReauthorized,
    ConnectionRotated,
    ExpiryReminder,
    SecretExpired,
)
from bot.flows.ports import Payload
from bot.i18n import Marketplace, Region

LIFECYCLE_KINDS = (ExpiryReminder.KIND, SecretExpired.KIND, ConnectionRotated.KIND, ConnectionReauthorized.KIND,
                   ConnectionDisconnected.KIND)


def connection_facts(name: str, *, marketplace: str = "ATVPDKIKX0DER", region: str = "NA", owner: str = "U0OWNER",
                     expires_on: date = date(2026, 6, 30), exposed: tuple[str, ...] = ()) -> ConnectionFacts:
    return ConnectionFacts(connection_id=7, name=name, account_type="seller", marketplace=Marketplace(marketplace),
                           region=Region(region), owner=owner, expires_on=expires_on, exposed=exposed)


def lifecycle_payload(kind: str, facts: ConnectionFacts, *, actor: str = "U0ADMIN", days_left: int = 3
                      ) -> Payload | None:
    """The payload of a lifecycle notice kind (None: not a lifecycle kind)."""
    if kind == ExpiryReminder.KIND:
        return ExpiryReminder(facts, days_left=days_left)
    if kind == SecretExpired.KIND:
        return SecretExpired(facts)
    announcements: dict[str, type[ConnectionRotated | ConnectionReauthorized | ConnectionDisconnected]] = {
        ConnectionRotated.KIND: ConnectionRotated, ConnectionReauthorized.KIND: ConnectionReauthorized,
        ConnectionDisconnected.KIND: ConnectionDisconnected,
    }
    if kind in announcements:
        return announcements[kind](facts, actor=actor)
    return None
