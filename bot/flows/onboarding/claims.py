"""The double-submit guard: one submission does the work, duplicates follow its outcome."""

from __future__ import annotations

import json
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.flows.onboarding.submission import Submission, SubmissionOutcome
from storage import repo
from storage.crypto import Crypto
from storage.db import Database
from storage.models import IdempotencyKey

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------- double-submit guard
#
# A submission claims two idempotency rows: ``view:<view id>:<hash>`` (the same modal submitted twice)
# and ``submit:<team>:<fingerprint of the values>`` (the same values from another modal). While the
# check runs, each row's ``result`` is a "verifying" marker holding a lease (``lease_until``, wall-clock
# UTC) and the holder's random token; :class:`LeaseKeeper` renews both leases every
# :data:`LEASE_RENEW_EVERY` while the holder is alive. At the end the view row's ``result`` becomes the
# outcome (for duplicates to show) and the content row becomes a "done" marker with the finishing time and
# the view row to read the outcome from. A duplicate waits while the lease it follows is renewed; a lease
# that lapsed was left by a process that died, and the duplicate takes the claim over (a compare-and-set
# UPDATE on the marker) and does the work itself. The same values submitted *before* the first finished
# are its duplicate even when a worker reaches them only afterwards (the queue runs jobs in turn); the
# same values submitted after it finished are a new attempt (a retry after a failure) and do the work.

LEASE = timedelta(seconds=10)
LEASE_RENEW_EVERY = 3.0  # seconds; several renewals fit in one lease, so a slow database write is no lapse
# A marker written before leases existed (no ``lease_until``) counts as held for this long after its
# ``created_at``, as the old code did.
LEGACY_CLAIM_HOLD = timedelta(seconds=60)
VERIFYING = "verifying"
DONE = "done"


def lease_clock() -> datetime:
    """Wall-clock UTC for leases (not ``services.clock``, which tests and the demo may move)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claim:
    first: bool  # this request does the work
    view_key: str
    content_key: str | None = None
    follow_key: str | None = None  # a duplicate waits for this key's outcome
    owner: str = ""  # the lease token of the rows this request holds ("" when it holds none)
    markers: tuple[tuple[str, str], ...] = ()  # (key, marker as stored) for every row this request holds


def _content_fingerprint(crypto: Crypto, sub: Submission) -> str:
    material = json.dumps(
        [sub.team_id, sub.user_id, sorted(sub.form.values.items()), str(sub.form.secret_created_on)],
        separators=(",", ":"),
    )
    return crypto.fingerprint(material)[:40]


def _marker(owner: str, lease_until: datetime, view_key: str | None = None) -> str:
    data: dict[str, str] = {"state": VERIFYING, "owner": owner, "lease_until": lease_until.isoformat()}
    if view_key is not None:
        data["view_key"] = view_key
    return json.dumps(data, sort_keys=True)


def _parse_marker(text: str | None) -> dict[str, Any] | None:
    """The "verifying" marker in a row's ``result``, or None when it holds something else (an outcome)."""
    if text is None:
        return {}  # a claim from before markers were written on view rows: in progress, no lease
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("state") == VERIFYING else None


def _parse_done(text: str | None) -> tuple[str, datetime] | None:
    """(view key holding the outcome, finished at) of a content row whose submission finished."""
    try:
        data = json.loads(text or "")
        if isinstance(data, dict) and data.get("state") == DONE:
            return str(data["view_key"]), datetime.fromisoformat(str(data["finished_at"]))
    except (ValueError, KeyError, TypeError):
        pass
    return None


def _held_until(marker: Mapping[str, Any], created_at: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(marker["lease_until"]))
    except (KeyError, ValueError):
        return created_at + LEGACY_CLAIM_HOLD


def _fresh(session: Session, key: str) -> IdempotencyKey | None:
    session.expire_all()
    return session.get(IdempotencyKey, key)


def _swap(session: Session, key: str, old: str | None, new: str) -> bool:
    """Compare-and-set ``key``'s result from ``old`` to ``new``; True for exactly one caller. Commits."""
    current = col(IdempotencyKey.result)
    stmt = sa.update(IdempotencyKey).where(col(IdempotencyKey.key) == key)
    stmt = stmt.where(current.is_(None) if old is None else current == old)
    taken = session.execute(stmt.values(result=new))
    session.commit()
    # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
    return int(taken.rowcount or 0) == 1  # type: ignore[attr-defined]


def _take(session: Session, key: str, marker: str, owner: str, now: datetime, wall: datetime) -> bool:
    """Hold ``key``: insert it, or keep it if this owner holds it, or take it over when its lease lapsed."""
    if repo.claim_idempotency_key(session, key, now, result=marker):
        return True
    row = _fresh(session, key)
    if row is None:  # released a moment ago
        return repo.claim_idempotency_key(session, key, now, result=marker)
    seen = _parse_marker(row.result)
    if seen is None:
        return False  # finished: its outcome is there to follow
    if not (owner and seen.get("owner") == owner) and _held_until(seen, row.created_at) > wall:
        return False  # its holder is alive
    if _swap(session, key, row.result, marker):
        if seen.get("owner") != owner:
            log.info("took over the claim %s: its holder stopped renewing the lease", key.split(":", 1)[0])
        return True
    return False  # another request took it over first


def claim_submission(db: Database, crypto: Crypto, sub: Submission, now: datetime, owner: str = "") -> Claim:
    """Race-safe across processes: the same view submitted twice, or the same values submitted again
    while the first is still verifying, is a duplicate that follows the first's outcome. A claim whose
    lease lapsed (its process died) is taken over. ``owner``: the token of an earlier claim of this
    request (a duplicate that claims again after the request it followed died)."""
    view_key = f"view:{sub.view_id}:{sub.view_hash}"
    content_key = f"submit:{sub.team_id}:{_content_fingerprint(crypto, sub)}"
    owner = owner or secrets.token_hex(8)
    wall = lease_clock()
    view_marker = _marker(owner, wall + LEASE)
    with db.session(write=True) as session:  # read-then-write: SQLite takes the write lock first
        if not _take(session, view_key, view_marker, owner, now, wall):
            return Claim(first=False, view_key=view_key, follow_key=view_key)
        held = ((view_key, view_marker),)
        content_marker = _marker(owner, wall + LEASE, view_key=view_key)
        if _take(session, content_key, content_marker, owner, now, wall):
            return Claim(first=True, view_key=view_key, content_key=content_key, owner=owner,
                         markers=(*held, (content_key, content_marker)))
        row = _fresh(session, content_key)
        finished = _parse_done(row.result) if row is not None else None
        if row is not None and finished is not None:
            done_view, finished_at = finished
            if sub.submitted_at is not None and sub.submitted_at <= finished_at:
                return Claim(first=False, view_key=view_key, follow_key=done_view, owner=owner, markers=held)
            # a new attempt after the earlier one finished: this one does the work
            if _swap(session, content_key, row.result, content_marker):
                return Claim(first=True, view_key=view_key, content_key=content_key, owner=owner,
                             markers=(*held, (content_key, content_marker)))
            row = _fresh(session, content_key)  # another attempt took it a moment ago: follow that one
        marker = _parse_marker(row.result) if row is not None else None
        follow = marker.get("view_key") if marker else None
        return Claim(first=False, view_key=view_key, follow_key=str(follow) if follow else None, owner=owner,
                     markers=held)


def renew_lease(db: Database, claim: Claim) -> Claim:
    """Move the lease of every row ``claim`` holds forward (compare-and-set on the stored marker, so a
    row taken over or finished meanwhile is left alone). Returns the claim with the new markers."""
    wall = lease_clock()
    renewed: list[tuple[str, str]] = []
    with db.session() as session:
        for key, old in claim.markers:
            view_key = claim.view_key if key != claim.view_key else None
            new = _marker(claim.owner, wall + LEASE, view_key=view_key)
            res = session.execute(
                sa.update(IdempotencyKey)
                .where(col(IdempotencyKey.key) == key, col(IdempotencyKey.result) == old)
                .values(result=new)
            )
            # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
            if int(res.rowcount or 0) == 1:  # type: ignore[attr-defined]
                renewed.append((key, new))
        session.commit()
    return replace(claim, markers=tuple(renewed))


class LeaseKeeper:
    """Renews a claim's lease on a small background thread until stopped (``with LeaseKeeper(...)``).

    The claim as last renewed is in :attr:`claim` (``finish_claim`` needs the current markers)."""

    def __init__(self, db: Database, claim: Claim, every: float | None = None) -> None:
        self.db = db
        self.claim = claim
        self.every = LEASE_RENEW_EVERY if every is None else every
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="claim-lease", daemon=True)

    def __enter__(self) -> LeaseKeeper:
        if self.claim.markers:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                with self._lock:
                    self.claim = renew_lease(self.db, self.claim)
            except Exception:  # a missed renewal is retried; the lease outlasts a few of them
                log.warning("renewing a submission's lease failed; retrying in %.0f s", self.every, exc_info=True)


def finish_claim(db: Database, claim: Claim, outcome: SubmissionOutcome) -> None:
    """Record the outcome for duplicates to pick up, and mark the content key done with the time (only if
    this request still holds it: a claim taken over after a lapsed lease belongs to its new holder). The
    same values submitted before now follow this outcome; submitted later, they are a new attempt."""
    held = dict(claim.markers)
    done = json.dumps({"state": DONE, "view_key": claim.view_key, "finished_at": lease_clock().isoformat()},
                      sort_keys=True)
    with db.session(write=True) as session:
        repo.set_idempotency_result(session, claim.view_key, outcome.to_json())
        session.commit()
        if claim.content_key:
            stmt = sa.update(IdempotencyKey).where(col(IdempotencyKey.key) == claim.content_key)
            if claim.content_key in held:
                stmt = stmt.where(col(IdempotencyKey.result) == held[claim.content_key])
            session.execute(stmt.values(result=done))
            session.commit()


@dataclass(frozen=True)
class Followed:
    """What a duplicate finds on the row it follows: the outcome, or whether its holder is still alive."""

    outcome: SubmissionOutcome | None = None
    alive: bool = False


def follow_state(db: Database, key: str) -> Followed:
    with db.session() as session:
        row = session.get(IdempotencyKey, key)
        text, created_at = (row.result, row.created_at) if row is not None else (None, None)
    if created_at is None:
        return Followed()  # the row is gone: nobody is working on it
    marker = _parse_marker(text)
    if marker is not None:
        return Followed(alive=_held_until(marker, created_at) > lease_clock())
    try:
        return Followed(outcome=SubmissionOutcome.from_json(text or ""))
    except (ValueError, KeyError, TypeError):
        return Followed()
