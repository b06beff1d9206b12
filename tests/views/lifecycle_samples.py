"""Typed lifecycle notice payloads and targets for the view tests, from a few facts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.flows.autorotate_notices import AutoRotated, AutoRotationUnverified, RotationRequestFailed
from bot.flows.lifecycle_notices import (
    AboutConnection,
    ConnectionDisconnected,
    ConnectionReauthorized,
    ConnectionRotated,
    ExpiryReminder,
    SecretExpired,
)
from bot.flows.ports import Payload
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message, User

LIFECYCLE_KINDS = (ExpiryReminder.KIND, SecretExpired.KIND, ConnectionRotated.KIND, ConnectionReauthorized.KIND,
                   ConnectionDisconnected.KIND)


def sample_summary(name: str, *, marketplace: str = "ATVPDKIKX0DER", region: str = "NA", owner: str = "U0OWNER",
               expires_on: date = date(2026, 6, 30), exposed: tuple[str, ...] = ()) -> ConnectionSummary:
    return ConnectionSummary(id=7, name=name, account_type="seller", selling_partner_id="A1B2C3D4E5F6G7",
                             region=region, marketplace_id=marketplace, store_name=None, status="connected",
                             secret_expires_on=expires_on, last_verified_at=None, last_problem=None,
                             created_by=owner, exposed=exposed)


def lifecycle_payload(kind: str, about: ConnectionSummary, *, actor: str = "U0ADMIN", days_left: int = 3
                      ) -> Payload | None:
    """The payload of a lifecycle notice kind about ``about`` (None: not a lifecycle kind)."""
    facts: dict[str, Any] = AboutConnection.facts(about)
    if kind == ExpiryReminder.KIND:
        return ExpiryReminder(**facts, days_left=days_left, via_amazon=True)
    if kind == SecretExpired.KIND:
        return SecretExpired(**facts, via_amazon=True)
    # automatic rotation (bot.views.autorotate)
    old_until = datetime(2026, 7, 7, 22, 9, tzinfo=UTC)
    if kind == AutoRotated.KIND:
        return AutoRotated(**facts, old_works_until=old_until)
    if kind == AutoRotationUnverified.KIND:
        return AutoRotationUnverified(**facts, cause=Message("amazon.verdict.invalid_client.cause"),
                                      next_step=Message("lifecycle.autorotate.unverified.next", name=about.name),
                                      old_works_until=old_until)
    if kind == RotationRequestFailed.KIND:
        return RotationRequestFailed(**facts, cause=Message("lifecycle.autorotate.request.not_enrolled",
                                                            name=about.name, request="r-1"))
    announcements: dict[str, type[ConnectionRotated | ConnectionReauthorized | ConnectionDisconnected]] = {
        ConnectionRotated.KIND: ConnectionRotated, ConnectionReauthorized.KIND: ConnectionReauthorized,
        ConnectionDisconnected.KIND: ConnectionDisconnected,
    }
    if kind in announcements:
        return announcements[kind](**facts, actor=User(actor))
    return None
