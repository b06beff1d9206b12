"""The double-submit guard's lease (issue 11 item 9), on a real database: a live claim is followed, a
lapsed one is taken over by exactly one request, and the old holder cannot free what it no longer holds.
And the words: only a refusal by Amazon is ever shown as "Amazon did not accept"."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

import bot.flows.onboarding as flow
from bot.amazon.verdicts import REFUSED, VerdictKind
from bot.flows.onboarding import claims
from bot.i18n import Channel, Items, Message, Strong
from bot.views.blocks import Words
from bot.views.credentials import outcome_view
from storage.crypto import Crypto, generate_key
from storage.db import Database, migrate
from storage.models import IdempotencyKey
from tests.catalog import says
from tests.fakes.fake_amazon import credential_fields, make_credentials

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'claims.db'}")
    migrate(database.engine)
    return database


def submission(view_id: str) -> flow.Submission:
    form = flow.check_form(credential_fields(make_credentials(selling_partner_id="A1B2C3D4E5F6G7",
                                                              client_id="amzn1.application-oa2-client." + "a" * 32,
                                                              client_secret="amzn1.oa2-cs.v1." + "b" * 64,
                                                              refresh_token="Atzr|IwEB" + "c" * 300)),
                           date(2026, 5, 1))
    assert form.ok, form.errors
    return flow.Submission(team_id="T1", user_id="U1", view_id=view_id, view_hash="h", form=form)


def test_a_live_claim_is_followed_and_a_lapsed_one_is_taken_over_once(db: Database,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    crypto = Crypto([generate_key("k")])
    first = flow.claim_submission(db, crypto, submission("V1"), NOW)
    assert first.first and first.content_key
    dup = flow.claim_submission(db, crypto, submission("V2"), NOW)
    assert not dup.first and dup.follow_key == first.view_key
    assert flow.follow_state(db, first.view_key).alive

    # The first holder renews: the lease moves forward, the duplicate keeps following.
    renewed = flow.renew_lease(db, first)
    assert [k for k, _ in renewed.markers] == [first.view_key, first.content_key]

    # The first holder dies (stops renewing): a lease later it is no longer alive.
    later = datetime.now(UTC) + flow.LEASE + timedelta(seconds=1)
    monkeypatch.setattr(claims, "lease_clock", lambda: later)
    assert not flow.follow_state(db, first.view_key).alive and flow.follow_state(db, first.view_key).outcome is None

    # Two duplicates claim again at the same moment: exactly one takes over and does the work.
    results: list[flow.Claim] = []
    barrier = threading.Barrier(2)

    def retry(view_id: str) -> None:
        barrier.wait()
        results.append(flow.claim_submission(db, crypto, submission(view_id), NOW))

    threads = [threading.Thread(target=retry, args=(v,)) for v in ("V2", "V3")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    winners = [c for c in results if c.first]
    assert len(winners) == 1, results
    loser = next(c for c in results if not c.first)
    assert loser.follow_key == winners[0].view_key

    # The dead holder comes back late: its finish records its own view's outcome but does not free the
    # content claim that now belongs to the new holder.
    flow.finish_claim(db, renewed, flow.SubmissionOutcome(kind="cancelled"))
    with db.session() as s:
        row = s.get(IdempotencyKey, winners[0].content_key)
        assert row is not None and json.loads(row.result or "{}").get("owner") == winners[0].owner
    assert flow.follow_state(db, first.view_key).outcome == flow.SubmissionOutcome(kind="cancelled")

    flow.finish_claim(db, winners[0], flow.SubmissionOutcome(kind="expired"))
    with db.session() as s:
        row = s.get(IdempotencyKey, winners[0].content_key)
        assert row is not None and json.loads(row.result or "{}")["state"] == "done"
    assert flow.follow_state(db, loser.follow_key or "").outcome == flow.SubmissionOutcome(kind="expired")

    # The same values submitted before it finished (a worker reaches them late) follow its outcome; the
    # same values submitted after it finished are a new attempt, which does the work again.
    early = flow.claim_submission(db, crypto, replace(submission("V4"), submitted_at=later - timedelta(seconds=1)), NOW)
    assert not early.first and early.follow_key == winners[0].view_key
    after = replace(submission("V5"), submitted_at=later + timedelta(seconds=1))
    retry_later = flow.claim_submission(db, crypto, after, NOW)
    assert retry_later.first and retry_later.content_key == winners[0].content_key
    unknown = flow.claim_submission(db, crypto, submission("V6"), NOW)  # no submission time: follows the live one
    assert not unknown.first and unknown.follow_key == retry_later.view_key


def test_a_claim_written_before_leases_counts_as_held_for_a_minute(db: Database) -> None:
    """Rolling upgrade: a row from the previous version (no lease) is not taken over at once."""
    from storage import repo

    with db.session() as s:
        repo.claim_idempotency_key(s, "view:OLD:h", datetime.now(UTC))
    assert flow.follow_state(db, "view:OLD:h").alive
    with db.session() as s:
        repo.claim_idempotency_key(s, "view:OLDER:h", datetime.now(UTC) - timedelta(minutes=2))
    assert not flow.follow_state(db, "view:OLDER:h").alive


@pytest.mark.parametrize("kind", [*(k.value for k in VerdictKind if k is not VerdictKind.verified),
                                  "unexpected", "interrupted", "name_taken"])
def test_only_a_refusal_by_amazon_says_amazon_did_not_accept(kind: str) -> None:
    outcome = flow.SubmissionOutcome(kind="failed", verdict_kind=kind, cause=Message("onboarding.result.stuck_cause"),
                                     next_step=Message("onboarding.result.interrupted_step"))
    view = outcome_view(Words(), outcome)
    refused = kind in {k.value for k in REFUSED}
    assert says(view, "onboarding.result.failed") is refused
    assert says(view, "onboarding.result.try_again")
    if not refused and kind != "name_taken":
        assert says(view, "onboarding.result.unfinished")


def test_a_stored_outcome_holds_meanings_and_reads_back() -> None:
    outcome = flow.SubmissionOutcome(
        kind="failed", verdict_kind="name_taken", prefill=flow.Prefill(client_id="amzn1.application-oa2-client.x"),
        cause=Message("onboarding.form.name_taken", name=Strong("Main")),
        next_step=Message("onboarding.form.name_taken_step"),
        notes=(Message("onboarding.result.still_exposed", what=Items((Message("guard.leak.label.refresh_token"),)),
                       name=Strong("Main")),),
        announce_error=Message("onboarding.announce.not_in_channel", channel=Channel("C0TEAM")))
    stored = outcome.to_json()
    assert "Another connection" not in stored and "Choose a different" not in stored  # no English is stored
    assert flow.SubmissionOutcome.from_json(stored) == outcome


def test_an_outcome_stored_in_english_reads_as_expired() -> None:
    """An outcome stored before outcomes held meanings: its sentences are not shown again."""
    old = json.dumps({"kind": "failed", "verdict_kind": "invalid_grant", "cause": "Amazon refused the token.",
                      "next_step": "Authorize again.", "prefill": None, "pending_id": None, "announce_error": None,
                      "reconnected": False, "notes": [], "connection": None, "existing": None})
    assert flow.SubmissionOutcome.from_json(old).kind == flow.OutcomeKind.EXPIRED
    cancelled = json.dumps({"kind": "cancelled", "notes": [], "connection": None, "existing": None, "prefill": None})
    assert flow.SubmissionOutcome.from_json(cancelled) == flow.SubmissionOutcome(kind="cancelled")
