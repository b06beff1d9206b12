"""Saving verified credentials (encrypted) and announcing the connection; who may replace an
existing connection's credentials; whether a name is taken."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import ClassVar

from bot.amazon.marketplaces import marketplace_by_id
from bot.flows.authz import Actor, may_manage
from bot.flows.leak_guard import exposure_label
from bot.flows.onboarding.form import FormCheck, Prefill
from bot.flows.onboarding.submission import OutcomeKind, SubmissionOutcome
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox, Payload
from bot.flows.summary import ConnectionSummary
from bot.i18n import Channel, Message, Strong, User
from bot.redaction import redact
from bot.services import Services
from storage import repo
from storage.repo import Reads

log = logging.getLogger(__name__)


def name_clash(reads: Reads, team_id: str, form: FormCheck) -> str | None:
    """The name of the connection of another store in this workspace that already has this name, or one
    that looks the same (``storage.names.name_key``): a form error naming it. None when the name is free."""
    name = form.values.get("connection_name")
    if not name:
        return None
    other = repo.name_holder(reads, team_id, name)
    if other is None:
        return None
    if other.status == "disconnected":
        return other.name  # the name still belongs to the disconnected row
    same_store = other.selling_partner_id == form.values.get("selling_partner_id") and other.region == form.region
    return None if same_store else other.name


@dataclass(frozen=True)
class ConnectionConnected(Payload):
    """The team-channel post after a connection is saved (``bot.views.connections``): the connection,
    who connected it (a user id) and whether it replaced the credentials of an existing one."""

    KIND: ClassVar[str] = "connection_connected"
    summary: ConnectionSummary
    actor: str
    replaced: bool = False


ResolveActor = Callable[[], tuple[Actor, "str | None"]]
"""Looks up the person's workspace admin/owner flags (users.info) when needed: (actor, Slack error or None)."""


def replace_refusal(
    services: Services, existing: ConnectionSummary, user_id: str, resolve: ResolveActor | None
) -> Message | None:
    """None when ``user_id`` may replace the credentials of the ``existing`` connection: the same rule as rotate,
    re-authorize and disconnect (``bot.flows.authz.may_manage``: the owner, workspace admins and owners,
    ADMIN_USER_IDS). Otherwise what says why not and what to do."""
    actor, lookup_error = resolve() if resolve is not None else (Actor(user_id=user_id), None)
    if actor.user_id != user_id:  # facts about someone else never count for this person
        actor = Actor(user_id=user_id)
    if may_manage(actor, created_by=existing.created_by, admin_user_ids=services.settings.admin_user_ids):
        return None
    name, owner = Strong(redact(existing.name[:80])), User(existing.created_by)  # as authz's refusals show it
    if lookup_error:
        return Message("onboarding.confirm.not_allowed_lookup_failed", name=name, owner=owner, error=lookup_error)
    return Message("onboarding.confirm.not_allowed", name=name, owner=owner)


def _announce(
    outbox: Outbox, summary: ConnectionSummary, user_id: str, reconnected: bool, channel: str
) -> Message | None:
    """Post the team announcement; what to tell the user when it could not be posted."""
    notice = Notice.of(Audience.CHANNEL, ConnectionConnected(summary=summary, actor=user_id, replaced=reconnected))
    try:
        outbox.send(notice)
    except DeliveryError as exc:
        reason = str(exc)
        for code in ("not_in_channel", "channel_not_found", "is_archived"):
            if code in reason:  # a channel that is not found is named as configured, not linked
                return Message(f"onboarding.announce.{code}",
                               channel=channel if code == "channel_not_found" else Channel(channel))
        return Message("onboarding.announce.failed", channel=Channel(channel), reason=redact(reason))
    return None


def save_connection(
    services: Services,
    outbox: Outbox,
    *,
    team_id: str,
    user_id: str,
    values: Mapping[str, str],
    client_secret: str,
    refresh_token: str,
    secret_created_on: date,
    store_name: str | None,
    existing_id: int | None,
    now: datetime,
    notes: tuple[Message, ...] = (),
) -> SubmissionOutcome:
    """Save the verified credentials (encrypted), or replace those of ``existing_id``, and announce it in the
    team channel; the outcome says whether the announcement could be posted."""
    marketplace = marketplace_by_id(values["marketplace"])
    assert marketplace is not None
    with services.db.session(write=True) as session:
        if existing_id is not None:
            current = repo.get_connection_by_id(session, existing_id)
            if current is None or current.team_id != team_id or current.status == "disconnected":
                existing_id = None
        try:
            conn = repo.create_or_update_connection(
                session,
                services.crypto,
                repo.ConnectionValues(
                    team_id=team_id,
                    name=values["connection_name"],
                    account_type=values["account_type"],
                    selling_partner_id=values["selling_partner_id"],
                    region=marketplace.region,
                    marketplace_id=marketplace.marketplace_id,
                    client_id=values["client_id"],
                    client_secret=client_secret,
                    refresh_token=refresh_token,
                    secret_created_on=secret_created_on,
                    store_name=store_name,
                ),
                created_by=user_id,
                now=now,
                existing_id=existing_id,
                health_check_interval=timedelta(hours=services.settings.health_check_hours),
            )
            session.commit()
        except repo.ConnectionNameTaken as taken:
            session.rollback()
            return SubmissionOutcome(
                kind=OutcomeKind.FAILED,
                verdict_kind="name_taken",
                cause=Message("onboarding.form.name_taken",
                              name=Strong(taken.existing_name or values["connection_name"])),
                next_step=Message("onboarding.form.name_taken_step"),
                prefill=Prefill(
                    account_type=values["account_type"],
                    selling_partner_id=values["selling_partner_id"],
                    client_id=values["client_id"],
                    marketplace_id=values["marketplace"],
                    secret_created_on=secret_created_on.isoformat(),
                ),
            )
        summary = ConnectionSummary.of(conn)
    if summary.exposed:  # the same leaked value entered again: replacing the others does not clear it
        notes = (*notes, Message("onboarding.result.still_exposed", what=exposure_label(summary.exposed),
                                 name=Strong(summary.name)))
    log.info(
        "connection %s %s for team %s by %s (%s, %s)",
        summary.id,
        "reconnected" if existing_id else "connected",
        team_id,
        user_id,
        summary.account_type,
        summary.region,
    )
    announce_error = _announce(outbox, summary, user_id, existing_id is not None, services.settings.notify_channel)
    return SubmissionOutcome(
        kind=OutcomeKind.CONNECTED,
        connection=summary,
        announce_error=announce_error,
        reconnected=existing_id is not None,
        notes=notes,
    )

