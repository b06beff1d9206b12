"""The sweep's batches: claims that another process already holds, posts made several at a time, and a
post that fails in the middle of a batch (only its own claim is given back)."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from bot.flows.ports import Delivery, DeliveryError, Notice
from bot.flows.sweep import HEALTH_GENERATION, STALE_CLAIM, run_sweep
from bot.views.blocks import Words
from bot.views.notices import render
from storage import repo
from storage.db import Database
from storage.models import Connection
from tests.harness import NOTIFY_CHANNEL, BotHarness
from tests.repo_helpers import reminders

NOW = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
LEADS = (30, 14, 7, 3, 1)


def name_of(notice: Notice) -> str:
    """The connection a notice is about (a typed payload's ``name``, or the older ``data``)."""
    if notice.payload is not None:
        return str(getattr(notice.payload, "name", ""))
    return str(notice.data.get("name"))


class ScriptedOutbox:
    """Renders and records notices, from any thread; refuses (DeliveryError) or breaks (RuntimeError)
    the posts about the connections named in ``refuse`` / ``explode``, and can hold the first
    ``together`` posts at a barrier until that many are in flight at once."""

    def __init__(self, *, refuse: Iterable[str] = (), explode: Iterable[str] = (), together: int = 0) -> None:
        self.refuse = set(refuse)
        self.explode = set(explode)
        self.sent: list[Notice] = []
        self.attempts: list[Notice] = []
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(together) if together > 1 else None
        self._held = 0

    def send(self, notice: Notice) -> Delivery:
        with self._lock:
            self.attempts.append(notice)
            hold = self._barrier is not None and self._held < self._barrier.parties
            self._held += 1
        if hold:
            assert self._barrier is not None
            self._barrier.wait(timeout=10)  # breaks (and fails the test) unless posts run concurrently
        name = name_of(notice)
        if name in self.refuse:
            raise DeliveryError("Slack answered not_in_channel")
        if name in self.explode:
            raise RuntimeError("renderer bug")
        render(notice, Words())
        with self._lock:
            self.sent.append(notice)
        return Delivery(channel=NOTIFY_CHANNEL, ts=f"{len(self.sent)}.000100")

    def names(self, kind: str | None = None) -> list[str]:
        return sorted(name_of(n) for n in self.sent if kind is None or n.kind == kind)


def seed_expiring(world: BotHarness, days_left: dict[str, int]) -> dict[str, int]:
    """Connections whose secret expires in the given days; their health checks are a day away."""
    ids = {}
    for name, left in days_left.items():
        ids[name], _ = world.seed(name, created_on=TODAY + timedelta(days=left - 180), now=NOW)
    return ids


def test_batch_claim_skips_what_another_process_holds(any_world: BotHarness) -> None:
    world = any_world
    ids = seed_expiring(world, {"A 14": 14, "B 7": 7, "C 0": 0, "D 30": 30})
    with world.services.db.session() as s:  # another sweeper got to "B 7" first and is posting it
        assert repo.claim_reminder(s, ids["B 7"], 1, "expiry:7", "other-host:1:1", NOW)

    outbox = ScriptedOutbox()
    report = run_sweep(world.services, outbox, NOW)
    assert report.ok, report.summary()
    assert outbox.names() == ["A 14", "C 0", "D 30"]
    assert report.reminders_sent == 2 and report.expired_alerts_sent == 1
    # Superseded marks were written only for the claims this pass won: 14 -> 30; expired -> all five.
    assert report.reminders_superseded == 1 + 5
    assert world.ledger(ids["B 7"]) == [(1, "expiry:7", False)]  # still the other process's, untouched
    assert sorted(world.ledger(ids["A 14"])) == [(1, "expiry:14", True), (1, "expiry:30", True)]
    with world.services.db.session() as s:
        rows = reminders(s, ids["A 14"])
        assert {r.kind: r.claimed_by for r in rows}["expiry:30"] == "superseded by expiry:14"

    # The other process's post went out; nothing is left to do, nothing is posted twice.
    with world.services.db.session() as s:
        repo.mark_reminder_sent(s, ids["B 7"], 1, "expiry:7", NOW)
    again = ScriptedOutbox()
    assert run_sweep(world.services, again, NOW + timedelta(minutes=15)).ok
    assert again.attempts == []


def test_batch_claims_are_each_won_by_one_caller(any_world: BotHarness) -> None:
    world = any_world
    ids = seed_expiring(world, {f"S{i}": 40 for i in range(6)})
    keys = [(cid, 1, "expiry:7") for cid in ids.values()]
    with world.services.db.session() as s:
        first, added = repo.claim_reminders_superseding(s, [(k, ["expiry:30", "expiry:14"]) for k in keys[:4]],
                                                        "one", NOW)
        assert sorted(first) == sorted(keys[:4]) and added == 8
        second, added = repo.claim_reminders_superseding(s, [(k, ["expiry:30", "expiry:14"]) for k in keys],
                                                         "two", NOW)
        assert sorted(second) == sorted(keys[4:]) and added == 4
        assert len(set(first.values()) | set(second.values())) == 6  # ledger row ids, one per claim
        # Settling by row id: one sent, one released; the released one can be claimed again.
        sent_id, released_id = second[keys[4]], second[keys[5]]
        repo.settle_reminder_claims(s, [sent_id], [released_id], NOW)
        assert repo.claim_reminders(s, [keys[4], keys[5]], "three", NOW).keys() == {keys[5]}
        sent_row = (keys[4][0], "expiry:7")
        assert repo.ledger_entries(s, [keys[4][0]], 1).get(sent_row) == NOW
        # A release never deletes a row that was already sent.
        repo.settle_reminder_claims(s, [], [sent_id], NOW)
        assert sent_row in repo.ledger_entries(s, [keys[4][0]], 1)


def test_a_refused_post_in_a_concurrent_batch_releases_only_its_own_claim(world: BotHarness) -> None:
    names = {f"Store {i}": 7 for i in range(6)}
    ids = seed_expiring(world, names)
    outbox = ScriptedOutbox(refuse={"Store 3"}, together=3)  # three posts must be in flight at once
    report = run_sweep(world.services, outbox, NOW)
    assert report.ok, report.summary()
    assert outbox.names() == sorted(n for n in names if n != "Store 3")
    assert report.reminders_sent == 5 and report.delivery_failures == 1
    for name, cid in ids.items():
        sent = {kind: done for _g, kind, done in world.ledger(cid)}
        if name == "Store 3":
            assert "expiry:7" not in sent  # released: the next pass retries it
        else:
            assert sent["expiry:7"] is True
        assert sent["expiry:30"] and sent["expiry:14"]  # superseded marks stay either way

    retry = ScriptedOutbox()
    report = run_sweep(world.services, retry, NOW + timedelta(minutes=15))
    assert retry.names() == ["Store 3"] and report.reminders_sent == 1


def test_an_unexpected_error_in_a_batch_is_reported_and_the_others_are_settled(world: BotHarness) -> None:
    ids = seed_expiring(world, {"Good 1": 3, "Broken": 3, "Good 2": 3})
    outbox = ScriptedOutbox(explode={"Broken"})
    report = run_sweep(world.services, outbox, NOW)
    assert not report.ok and "expiry reminders stopped early: RuntimeError" in report.summary()
    assert outbox.names() == ["Good 1", "Good 2"] and report.reminders_sent == 2
    assert (1, "expiry:3", True) in world.ledger(ids["Good 1"])
    # Left claimed, as if the process had died while posting: not retried until the claim is stale.
    assert (1, "expiry:3", False) in world.ledger(ids["Broken"])
    soon = ScriptedOutbox()
    assert run_sweep(world.services, soon, NOW + timedelta(minutes=5)).ok and soon.attempts == []
    later = ScriptedOutbox()
    assert run_sweep(world.services, later, NOW + STALE_CLAIM + timedelta(minutes=1)).ok
    assert later.names() == ["Broken"]


def test_health_batch_claim_skips_checks_another_process_claimed(any_world: BotHarness) -> None:
    world = any_world
    ids = [world.seed(f"H{i}", created_on=TODAY - timedelta(days=10), now=NOW - timedelta(days=2))[0]
           for i in range(5)]
    with world.services.db.session() as s:
        due = repo.due_health_check_ids(s, NOW)
        assert sorted(due) == sorted(ids)
        seen = s.get(Connection, ids[1])
        assert seen is not None
        # Another process claimed H1's check; H4 was disconnected meanwhile.
        assert repo.claim_health_checks(s, {ids[1]: NOW + timedelta(hours=24)}, NOW) == [ids[1]]
        s.execute(sa.update(Connection).where(Connection.id == ids[4]).values(status="disconnected"))
        s.commit()
        wanted = {cid: NOW + timedelta(hours=20 + i) for i, cid in enumerate(ids)}
        assert repo.claim_health_checks(s, wanted, NOW) == sorted([ids[0], ids[2], ids[3]])
        assert repo.claim_health_checks(s, wanted, NOW) == []  # nothing is due any more
        nexts = {c.id: c.next_health_check_at for c in repo.connections_by_ids(s, ids).values()}
    assert nexts[ids[0]] == wanted[ids[0]] and nexts[ids[3]] == wanted[ids[3]]
    assert nexts[ids[1]] == NOW + timedelta(hours=24)  # the other process's value stays


def test_health_batch_claim_skips_rows_another_process_is_claiming(pg_world: BotHarness) -> None:
    """PostgreSQL: a row locked by another process's unfinished claim is skipped, not waited for."""
    world = pg_world
    ids = [world.seed(f"L{i}", created_on=TODAY - timedelta(days=10), now=NOW - timedelta(days=2))[0]
           for i in range(3)]
    wanted = {cid: NOW + timedelta(hours=24) for cid in ids}
    with world.services.db.engine.connect() as other:
        with other.begin():
            other.execute(sa.select(Connection.id).where(Connection.id == ids[1]).with_for_update())
            with world.services.db.session() as s:
                s.execute(sa.text("SET LOCAL lock_timeout = '5s'"))  # a wait would fail, not hang
                assert repo.claim_health_checks(s, wanted, NOW) == [ids[0], ids[2]]
        # The other process let go without claiming: the next claim gets it.
    with world.services.db.session() as s:
        assert repo.claim_health_checks(s, wanted, NOW) == [ids[1]]


def test_overlapping_batch_claims_in_two_threads_never_share_or_deadlock(pg_world: BotHarness) -> None:
    world = pg_world
    ids = seed_expiring(world, {f"P{i}": 40 for i in range(40)})
    other = Database(world.env["DATABASE_URL"])
    try:
        for round_ in range(10):
            keys = [(cid, 1, f"round:{round_}") for cid in ids.values()]
            orders = [keys, list(reversed(keys))]
            won: list[dict[repo.LedgerKey, int]] = [{}, {}]
            errors: list[BaseException] = []
            barrier = threading.Barrier(2)

            def claim(i: int, db: Database, orders: list = orders, won: list = won, round_: int = round_,
                      errors: list = errors, barrier: threading.Barrier = barrier) -> None:
                try:
                    barrier.wait(5)
                    with db.session() as s:
                        won[i] = repo.claim_reminders_superseding(
                            s, [(k, [f"older:{round_}"]) for k in orders[i]], f"t{i}", NOW)[0]
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=claim, args=(i, db))
                       for i, db in enumerate((world.services.db, other))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(30)
            assert not errors, errors
            assert not set(won[0]) & set(won[1])
            assert set(won[0]) | set(won[1]) == set(keys)
    finally:
        other.dispose()


def test_health_alerts_failed_post_releases_only_that_connections_claims(world: BotHarness) -> None:
    revoked = {}
    for name in ("Bad A", "Bad B", "Bad C"):
        cid, creds = world.seed(name, created_on=TODAY - timedelta(days=10), now=NOW - timedelta(days=2))
        world.amazon.revoke_refresh_token(creds.refresh_token)
        revoked[name] = cid
    outbox = ScriptedOutbox(refuse={"Bad B"})
    report = run_sweep(world.services, outbox, NOW)
    assert report.ok, report.summary()
    assert report.health_failing == 3 and report.delivery_failures == 1
    assert outbox.names("health_failing") == ["Bad A", "Bad C"]
    assert outbox.names("health_failing_dm") == ["Bad A", "Bad C"]
    assert [name_of(n) for n in outbox.attempts].count("Bad B") == 1  # no DM after the refused alert
    with world.services.db.session() as s:
        assert repo.ledger_entries(s, [revoked["Bad B"]], HEALTH_GENERATION) == {}
        assert set(repo.ledger_entries(s, [revoked["Bad A"]], HEALTH_GENERATION)) == {
            (revoked["Bad A"], "health_failing:1"), (revoked["Bad A"], "health_failing_dm:1")}
    assert world.connection(revoked["Bad B"]).next_health_check_at == NOW  # looked at again next pass
    assert world.connection(revoked["Bad A"]).next_health_check_at > NOW + timedelta(hours=12)

    retry = ScriptedOutbox()
    assert run_sweep(world.services, retry, NOW + timedelta(minutes=15)).ok
    assert retry.names() == ["Bad B", "Bad B"]
    assert sorted(n.kind for n in retry.sent) == ["health_failing", "health_failing_dm"]


@pytest.mark.parametrize("workers", [1, 8])
def test_the_same_posts_with_one_network_thread_or_eight(world: BotHarness, workers: int,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.flows.sweep import batches

    monkeypatch.setattr(batches, "NETWORK_WORKERS", workers)
    monkeypatch.setattr(batches, "CLAIM_BATCH", 4)  # several batches
    days = {f"W{i}": left for i, left in enumerate((30, 14, 7, 3, 1, 0, 20, 9, 2, -5, 45))}
    seed_expiring(world, days)
    outbox = ScriptedOutbox()
    report = run_sweep(world.services, outbox, NOW)
    assert report.ok, report.summary()
    assert outbox.names() == sorted(n for n, left in days.items() if left <= 30)
    assert report.reminders_sent == 8 and report.expired_alerts_sent == 2
    assert run_sweep(world.services, ScriptedOutbox(), NOW + timedelta(hours=1)).reminders_sent == 0


def test_pipeline_finishes_every_started_batch_and_raises_the_first_error() -> None:
    from bot.flows.sweep.batches import pipelined

    log: list[str] = []

    def start(batch: int) -> int:
        log.append(f"start {batch}")
        if batch == 4:
            raise RuntimeError("cannot start 4")
        return batch

    def finish(batch: int) -> None:
        log.append(f"finish {batch}")
        if batch == 2:
            raise ValueError("cannot finish 2")

    with pytest.raises(ValueError, match="cannot finish 2"):
        pipelined(range(1, 6), start, finish)
    # Batch k+1 starts before batch k finishes; 3 had started when 2 failed, so it was finished too.
    assert log == ["start 1", "start 2", "finish 1", "start 3", "finish 2", "finish 3"]
    log.clear()
    with pytest.raises(RuntimeError, match="cannot start 4"):
        pipelined([1, 3, 4, 5], start, finish)
    assert log == ["start 1", "start 3", "finish 1", "start 4", "finish 3"]


def test_an_error_in_one_batch_settles_the_batch_already_under_way(world: BotHarness,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.flows.sweep import batches

    monkeypatch.setattr(batches, "CLAIM_BATCH", 2)
    ids = seed_expiring(world, {f"E{left}": left for left in (1, 2, 3, 4, 5, 6)})  # due in this order
    outbox = ScriptedOutbox(explode={"E1"})
    report = run_sweep(world.services, outbox, NOW)
    assert not report.ok and "RuntimeError" in report.summary()
    # Batch 1 (E1, E2) failed; batch 2 (E3, E4) was already claimed and posting: it was settled;
    # batch 3 (E5, E6) was never claimed.
    assert outbox.names() == ["E2", "E3", "E4"]
    sent = {name: {k: done for _g, k, done in world.ledger(cid)} for name, cid in ids.items()}
    assert sent["E1"]["expiry:1"] is False and sent["E2"]["expiry:3"] is True
    assert sent["E3"]["expiry:3"] is True and sent["E4"]["expiry:7"] is True
    assert sent["E5"] == {} and sent["E6"] == {}
    nxt = ScriptedOutbox()
    assert run_sweep(world.services, nxt, NOW + timedelta(minutes=5)).ok
    assert nxt.names() == ["E5", "E6"]  # nothing twice; E1 waits for its claim to go stale
