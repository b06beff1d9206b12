"""The lifecycle flows return meanings (catalog keys and typed parameters) and hand the channel typed
notices: finding a target, disconnecting, rotating and re-authorizing, called directly."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from bot.amazon.client import Credentials
from bot.flows import disconnect as disconnect_flow
from bot.flows import rotation
from bot.flows.authz import Actor, Lookup, find_target
from bot.flows.lifecycle_notices import ConnectionDisconnected, ConnectionReauthorized, ConnectionRotated
from bot.flows.ports import Audience, Delivery, DeliveryError, Notice
from bot.flows.rotation import RenewKind
from bot.i18n import Marketplace, Message, Region, Strong, User
from tests.harness import OWNER, STRANGER, TEAM_ID, BotHarness


class Recording:
    """An outbox that keeps what it was given (or refuses it)."""

    def __init__(self, refuse: bool = False) -> None:
        self.refuse = refuse
        self.sent: list[Notice] = []

    def send(self, notice: Notice) -> Delivery:
        if self.refuse:
            raise DeliveryError("not_in_channel")
        self.sent.append(notice)
        return Delivery(channel="C0NOTIFY01", ts="1.0001")


def seed(world: BotHarness, name: str = "Main US") -> tuple[int, Credentials]:
    return world.seed(name, created_on=datetime.now(UTC).date() - timedelta(days=100), owner=OWNER)


def test_a_target_or_the_sentence_why_not(world: BotHarness) -> None:
    cid, _ = seed(world)
    found = find_target(world.services, team_id=TEAM_ID, actor=Actor(OWNER), name="main us")
    assert found.refusal is None and found.target is not None and found.target.id == cid
    missing = find_target(world.services, team_id=TEAM_ID, actor=Actor(OWNER), name="Nope")
    assert missing == Lookup(refusal=Message("lifecycle.not_found", name=Strong("Nope")))
    unnamed = find_target(world.services, team_id=TEAM_ID, actor=Actor(OWNER), name='""')
    assert unnamed.refusal == Message("lifecycle.not_found_unnamed")
    refused = find_target(world.services, team_id=TEAM_ID, actor=Actor(STRANGER), name="Main US")
    assert refused.refusal == Message("lifecycle.refused", name=Strong("Main US"), owner=User(OWNER))
    unsure = find_target(world.services, team_id=TEAM_ID, actor=Actor(STRANGER), name="Main US",
                         lookup_error="ratelimited")
    assert unsure.refusal == Message("lifecycle.refused_lookup_failed", name=Strong("Main US"), owner=User(OWNER),
                                     error="ratelimited")
    gone = find_target(world.services, team_id=TEAM_ID, actor=Actor(OWNER), connection_id=cid + 100)
    assert gone.refusal == Message("lifecycle.not_found_any")


def test_disconnect_says_done_announces_typed_facts_and_then_already_disconnected(world: BotHarness) -> None:
    cid, _ = seed(world)
    outbox = Recording()
    now = datetime.now(UTC)
    result = disconnect_flow.disconnect(world.services, outbox, team_id=TEAM_ID, connection_id=cid,
                                        actor=Actor(OWNER), now=now)
    assert result == disconnect_flow.DisconnectResult(ok=True, message=Message("lifecycle.disconnect.done",
                                                                               name="Main US"))
    [notice] = outbox.sent
    assert notice.kind == "connection_disconnected" and notice.audience is Audience.CHANNEL
    payload = notice.payload
    assert isinstance(payload, ConnectionDisconnected)
    assert (payload.connection_id, payload.name, payload.actor, payload.owner) == (cid, "Main US", User(OWNER),
                                                                                   User(OWNER))
    assert isinstance(payload.marketplace, Marketplace) and isinstance(payload.region, Region)
    again = disconnect_flow.disconnect(world.services, outbox, team_id=TEAM_ID, connection_id=cid,
                                       actor=Actor(OWNER), now=now)
    assert again.message == Message("lifecycle.already_disconnected", name=Strong("Main US")) and not again.ok
    assert len(outbox.sent) == 1


def test_disconnect_says_when_the_announcement_failed(world: BotHarness) -> None:
    cid, _ = seed(world)
    result = disconnect_flow.disconnect(world.services, Recording(refuse=True), team_id=TEAM_ID, connection_id=cid,
                                        actor=Actor(OWNER), now=datetime.now(UTC))
    assert result.ok and result.message == Message("lifecycle.disconnect.done_announce_failed", name="Main US",
                                                   problem="not_in_channel")


def test_renew_says_rotated_with_the_new_expiry_and_announces_it(world: BotHarness) -> None:
    cid, creds = seed(world)
    rotated = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    world.amazon.rotate_secret(creds.client_id, rotated)
    outbox = Recording()
    now = datetime.now(UTC)
    result = rotation.renew(world.services, outbox, kind=RenewKind.rotate, team_id=TEAM_ID, connection_id=cid,
                            actor=Actor(OWNER), new_value=rotated, created_on=now.date(), now=now)
    expires = now.date() + timedelta(days=180)
    assert result == rotation.RenewResult(ok=True, headline=Message("lifecycle.result.rotated", name="Main US",
                                                                    expires_on=expires))
    [notice] = outbox.sent
    assert isinstance(notice.payload, ConnectionRotated) and notice.kind == "connection_rotated"
    assert notice.payload.actor == User(OWNER) and notice.payload.expires_on == expires
    assert rotated not in repr(notice) and rotated not in repr(result)


def test_renew_refused_by_amazon_says_what_was_not_accepted(world: BotHarness) -> None:
    cid, _ = seed(world)
    wrong = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
    outbox = Recording()
    now = datetime.now(UTC)
    result = rotation.renew(world.services, outbox, kind=RenewKind.rotate, team_id=TEAM_ID, connection_id=cid,
                            actor=Actor(OWNER), new_value=wrong, created_on=None, now=now)
    assert not result.ok and result.headline == Message("lifecycle.result.failed",
                                                        what=Message("lifecycle.what.rotate"), name="Main US")
    assert result.cause and result.next_step and not outbox.sent


def test_renew_by_someone_else_is_the_refusal(world: BotHarness) -> None:
    cid, _ = seed(world)
    result = rotation.renew(world.services, Recording(), kind=RenewKind.reauthorize, team_id=TEAM_ID,
                            connection_id=cid, actor=Actor(STRANGER), new_value="Atzr|x", created_on=None,
                            now=datetime.now(UTC))
    assert result == rotation.RenewResult(ok=False, headline=Message("lifecycle.refused", name=Strong("Main US"),
                                                                     owner=User(OWNER)))
    assert ConnectionReauthorized.KIND == "connection_reauthorized"
