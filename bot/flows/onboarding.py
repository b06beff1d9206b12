"""Connecting an Amazon account: who may, the form check, verification, encrypted save, announcement.

Plain Python: no Slack types. The Slack edge (``bot.listeners.onboarding``) turns payloads into the
values below, calls these functions, and renders the returned :class:`Outcome` with ``bot.views``.

Secrets (client secret, refresh token) only live in :class:`FormCheck` in memory, in the encrypted
columns of ``connections``, and (while a reconnect waits for the user's confirmation) as AES-GCM
ciphertexts in a ``pending:`` idempotency row that expires after :data:`PENDING_TTL`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.amazon.client import Credentials
from bot.amazon.marketplaces import REGION_NAMES, marketplace_by_id
from bot.amazon.validators import FIELD_KEYS, validate_credentials
from bot.amazon.verdicts import REFUSED, Verdict, explain
from bot.flows.authz import Actor, may_manage, quoted_name
from bot.flows.leak_guard import exposure_label
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox
from bot.i18n import t
from bot.redaction import mask, redact
from bot.services import Services
from bot.views.blocks import channel_link, escape, md, mention
from storage import repo
from storage.crypto import Crypto, DecryptionError
from storage.db import Database
from storage.models import SECRET_LIFETIME_DAYS, Connection, IdempotencyKey, exposed_kinds

log = logging.getLogger(__name__)

FORM_FIELDS = FIELD_KEYS
SECRET_FIELDS = ("client_secret", "refresh_token")
DATE_FIELD = "secret_created_on"
PENDING_TTL = timedelta(minutes=15)
PENDING_TABLE = "pending_connection"

# --------------------------------------------------------------------------- the form


@dataclass(frozen=True)
class Prefill:
    """The non-secret fields of the credential form, to fill a new form in again."""

    account_type: str | None = None
    selling_partner_id: str | None = None
    client_id: str | None = None
    marketplace_id: str | None = None
    connection_name: str | None = None
    secret_created_on: str | None = None  # ISO date

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v})

    @classmethod
    def from_json(cls, text: str | None) -> Prefill:
        try:
            data = json.loads(text or "{}")
        except (ValueError, RecursionError):  # private_metadata comes back from Slack: typed by anyone
            return cls()
        if not isinstance(data, dict):
            return cls()
        names = set(cls.__dataclass_fields__)
        return cls(**{k: str(v)[:300] for k, v in data.items() if k in names and isinstance(v, str)})


@dataclass(repr=False)
class FormCheck:
    """The checked form: cleaned values (secrets included, memory only) or sentences per field."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    secret_created_on: date | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def region(self) -> str | None:
        m = marketplace_by_id(self.values.get("marketplace", ""))
        return m.region if m else None

    def prefill(self, raw: Mapping[str, object] | None = None) -> Prefill:
        def pick(key: str) -> str | None:
            if key in self.values:
                return self.values[key]
            value = (raw or {}).get(key)
            return str(value).strip()[:200] if isinstance(value, str) and key not in SECRET_FIELDS else None

        return Prefill(
            account_type=pick("account_type"),
            selling_partner_id=pick("selling_partner_id"),
            client_id=pick("client_id"),
            marketplace_id=pick("marketplace"),
            connection_name=pick("connection_name"),
            secret_created_on=self.secret_created_on.isoformat() if self.secret_created_on else None,
        )

    def __repr__(self) -> str:
        shown = {k: (mask(v) if k in SECRET_FIELDS else v) for k, v in self.values.items()}
        return f"FormCheck(values={shown!r}, errors={sorted(self.errors)!r})"

    __str__ = __repr__


def check_form(raw: Mapping[str, object], today: date) -> FormCheck:
    """Trim and check every field (Amazon's format rules) before any network call. Never raises."""
    result = validate_credentials({k: raw.get(k) for k in FORM_FIELDS})
    check = FormCheck(values=dict(result.values), errors=dict(result.errors), notes=dict(result.notes))
    created = raw.get(DATE_FIELD)
    if created in (None, ""):
        check.secret_created_on = today
    else:
        try:
            check.secret_created_on = date.fromisoformat(str(created))
        except ValueError:
            check.errors[DATE_FIELD] = t("onboarding.form.date_invalid")
        else:
            if check.secret_created_on > today:
                check.errors[DATE_FIELD] = t("onboarding.form.date_future")
            elif check.secret_created_on + timedelta(days=SECRET_LIFETIME_DAYS) <= today:
                check.errors[DATE_FIELD] = t("onboarding.form.date_expired", days=SECRET_LIFETIME_DAYS)
    return check


# --------------------------------------------------------------------------- summaries


@dataclass(frozen=True)
class ConnectionSummary:
    """A connection as people see it: no secret, no ciphertext, no fingerprint."""

    id: int
    name: str
    account_type: str
    selling_partner_id: str
    region: str
    marketplace_id: str
    store_name: str | None
    status: str
    secret_expires_on: date
    last_verified_at: datetime | None
    last_error: str | None
    created_by: str
    exposed: tuple[str, ...] = ()  # secrets in use that were seen in Slack (storage.models.exposed_kinds)

    @property
    def marketplace_label(self) -> str:
        m = marketplace_by_id(self.marketplace_id)
        return f"{m.name} ({m.country_code})" if m else self.marketplace_id

    @property
    def region_label(self) -> str:
        return f"{REGION_NAMES.get(self.region, self.region)} ({self.region})"

    @classmethod
    def of(cls, conn: Connection) -> ConnectionSummary:
        assert conn.id is not None
        return cls(
            id=conn.id,
            name=conn.name,
            account_type=conn.account_type,
            selling_partner_id=conn.selling_partner_id,
            region=conn.region,
            marketplace_id=conn.marketplace_id,
            store_name=conn.store_name,
            status=conn.status,
            secret_expires_on=conn.secret_expires_on,
            last_verified_at=conn.last_verified_at,
            last_error=redact(conn.last_error) if conn.last_error else None,
            created_by=conn.created_by,
            exposed=exposed_kinds(conn),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["secret_expires_on"] = self.secret_expires_on.isoformat()
        data["last_verified_at"] = self.last_verified_at.isoformat() if self.last_verified_at else None
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConnectionSummary:
        values = dict(data)
        values["secret_expires_on"] = date.fromisoformat(values["secret_expires_on"])
        lva = values.get("last_verified_at")
        values["last_verified_at"] = datetime.fromisoformat(lva) if lva else None
        values["exposed"] = tuple(str(k) for k in values.get("exposed") or ())
        return cls(**values)


def list_summaries(session: Session, team_id: str) -> list[ConnectionSummary]:
    return [ConnectionSummary.of(c) for c in repo.list_connections(session, team_id)]


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Outcome:
    """What happened to a submission; rendered by ``bot.views.credentials``. Never holds a secret.

    kind: ``connected`` | ``failed`` | ``confirm`` (reconnect waits for the user) | ``expired``
    (the confirmation came too late) | ``cancelled`` | ``refused`` (not allowed to connect).
    """

    kind: str
    connection: ConnectionSummary | None = None
    existing: ConnectionSummary | None = None
    verdict_kind: str | None = None
    cause: str | None = None
    next_step: str | None = None
    prefill: Prefill | None = None
    pending_id: str | None = None
    announce_error: str | None = None  # mrkdwn, built with bot.views.blocks.md
    reconnected: bool = False
    notes: tuple[str, ...] = ()

    @property
    def refused_by_amazon(self) -> bool:
        """True only when Amazon answered that the credentials do not work (never for an outage, a
        check that did not finish, or a save that failed)."""
        return self.kind == "failed" and self.verdict_kind in {k.value for k in REFUSED}

    @property
    def failure_headline(self) -> str:
        """The catalog key of a failed outcome's headline, true to what happened."""
        if self.refused_by_amazon:
            return "onboarding.result.failed"
        if self.verdict_kind == "name_taken":
            return "onboarding.result.not_saved"
        return "onboarding.result.unfinished"

    def to_json(self) -> str:
        data: dict[str, Any] = {k: v for k, v in asdict(self).items() if k not in ("connection", "existing", "prefill")}
        data["notes"] = list(self.notes)
        data["connection"] = self.connection.to_dict() if self.connection else None
        data["existing"] = self.existing.to_dict() if self.existing else None
        data["prefill"] = self.prefill.to_json() if self.prefill else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        data = json.loads(text)
        data["connection"] = ConnectionSummary.from_dict(data["connection"]) if data.get("connection") else None
        data["existing"] = ConnectionSummary.from_dict(data["existing"]) if data.get("existing") else None
        data["prefill"] = Prefill.from_json(data["prefill"]) if data.get("prefill") else None
        data["notes"] = tuple(data.get("notes") or ())
        return cls(**data)


@dataclass(frozen=True, repr=False)
class Submission:
    team_id: str
    user_id: str
    view_id: str
    view_hash: str
    form: FormCheck

    def __repr__(self) -> str:
        return f"Submission(team_id={self.team_id!r}, user_id={self.user_id!r}, view_id={self.view_id!r})"


# --------------------------------------------------------------------------- double-submit guard
#
# A submission claims two idempotency rows: ``view:<view id>:<hash>`` (the same modal submitted twice)
# and ``submit:<team>:<fingerprint of the values>`` (the same values from another modal). While the
# check runs, each row's ``result`` is a "verifying" marker holding a lease (``lease_until``, wall-clock
# UTC) and the holder's random token; :class:`LeaseKeeper` renews both leases every
# :data:`LEASE_RENEW_EVERY` while the holder is alive. At the end the view row's ``result`` becomes the
# outcome (for duplicates to show) and the content row is deleted. A duplicate waits while the lease it
# follows is renewed; a lease that lapsed was left by a process that died, and the duplicate takes the
# claim over (a compare-and-set UPDATE on the marker) and does the work itself.

LEASE = timedelta(seconds=10)
LEASE_RENEW_EVERY = 3.0  # seconds; several renewals fit in one lease, so a slow database write is no lapse
# A marker written before leases existed (no ``lease_until``) counts as held for this long after its
# ``created_at``, as the old code did.
LEGACY_CLAIM_HOLD = timedelta(seconds=60)
VERIFYING = "verifying"


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


def _held_until(marker: Mapping[str, Any], created_at: datetime) -> datetime:
    try:
        return datetime.fromisoformat(str(marker["lease_until"]))
    except (KeyError, ValueError):
        return created_at + LEGACY_CLAIM_HOLD


def _fresh(session: Session, key: str) -> IdempotencyKey | None:
    session.expire_all()
    return session.get(IdempotencyKey, key)


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
    current = col(IdempotencyKey.result)
    stmt = sa.update(IdempotencyKey).where(col(IdempotencyKey.key) == key)
    stmt = stmt.where(current.is_(None) if row.result is None else current == row.result)
    taken = session.execute(stmt.values(result=marker))
    session.commit()
    if int(taken.rowcount or 0) == 1:  # type: ignore[attr-defined]
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


def finish_claim(db: Database, claim: Claim, outcome: Outcome) -> None:
    """Record the outcome for duplicates to pick up, and free the content key for a later retry (only
    if this request still holds it: a claim taken over after a lapsed lease belongs to its new holder)."""
    held = dict(claim.markers)
    with db.session(write=True) as session:
        repo.set_idempotency_result(session, claim.view_key, outcome.to_json())
        session.commit()
        if claim.content_key:
            stmt = sa.delete(IdempotencyKey).where(col(IdempotencyKey.key) == claim.content_key)
            if claim.content_key in held:
                stmt = stmt.where(col(IdempotencyKey.result) == held[claim.content_key])
            session.execute(stmt)
            session.commit()


@dataclass(frozen=True)
class Followed:
    """What a duplicate finds on the row it follows: the outcome, or whether its holder is still alive."""

    outcome: Outcome | None = None
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
        return Followed(outcome=Outcome.from_json(text or ""))
    except (ValueError, KeyError, TypeError):
        return Followed()


def claimed_outcome(db: Database, key: str) -> Outcome | None:
    return follow_state(db, key).outcome


# --------------------------------------------------------------------------- verification and save


def name_clash(session: Session, team_id: str, form: FormCheck) -> str | None:
    """The name of the connection of another store in this workspace that already has this name, or one
    that looks the same (``storage.names.name_key``): a form error naming it. None when the name is free."""
    name = form.values.get("connection_name")
    if not name:
        return None
    other = repo.find_connection_by_name(session, team_id, name)
    if other is None:
        return None
    if other.status == "disconnected":
        return other.name  # the name still belongs to the disconnected row
    same_store = other.selling_partner_id == form.values.get("selling_partner_id") and other.region == form.region
    return None if same_store else other.name


ResolveActor = Callable[[], tuple[Actor, "str | None"]]
"""Looks up the person's workspace admin/owner flags (users.info) when needed: (actor, Slack error or None)."""


def replace_refusal(
    services: Services, existing: ConnectionSummary, user_id: str, resolve: ResolveActor | None
) -> str | None:
    """None when ``user_id`` may replace the credentials of the ``existing`` connection: the same rule as rotate,
    re-authorize and disconnect (``bot.flows.authz.may_manage``: the owner, workspace admins and owners,
    ADMIN_USER_IDS). Otherwise the sentence that says why not and what to do."""
    actor, lookup_error = resolve() if resolve is not None else (Actor(user_id=user_id), None)
    if actor.user_id != user_id:  # facts about someone else never count for this person
        actor = Actor(user_id=user_id)
    if may_manage(actor, created_by=existing.created_by, admin_user_ids=services.settings.admin_user_ids):
        return None
    key = "onboarding.confirm.not_allowed_lookup_failed" if lookup_error else "onboarding.confirm.not_allowed"
    return md(key, name=quoted_name(existing.name), owner=mention(existing.created_by), error=lookup_error or "")


def _failed(verdict: Verdict, form: FormCheck) -> Outcome:
    cause, step = explain(verdict)
    return Outcome(
        kind="failed", verdict_kind=verdict.kind.value, cause=cause, next_step=step, prefill=form.prefill()
    )


def _announce(outbox: Outbox, summary: ConnectionSummary, user_id: str, reconnected: bool, channel: str) -> str | None:
    """Post the team announcement; a sentence for the user when it could not be posted."""
    notice = Notice(
        kind="connection_connected",
        audience=Audience.CHANNEL,
        data={**summary.to_dict(), "connected_by": user_id, "reconnected": reconnected},
    )
    try:
        outbox.send(notice)
    except DeliveryError as exc:
        reason = str(exc)
        for code in ("not_in_channel", "channel_not_found", "is_archived"):
            if code in reason:
                shown = escape(channel) if code == "channel_not_found" else channel_link(channel)
                return md(f"onboarding.announce.{code}", channel=shown)
        return md("onboarding.announce.failed", channel=channel_link(channel), reason=redact(reason))
    return None


def _save(
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
    notes: tuple[str, ...] = (),
) -> Outcome:
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
            return Outcome(
                kind="failed",
                verdict_kind="name_taken",
                cause=t("onboarding.form.name_taken", name=taken.existing_name or values["connection_name"]),
                next_step=t("onboarding.form.name_taken_step"),
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
        notes = (*notes, t("onboarding.result.still_exposed", what=exposure_label(summary.exposed),
                           name=summary.name))
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
    return Outcome(
        kind="connected",
        connection=summary,
        announce_error=announce_error,
        reconnected=existing_id is not None,
        notes=notes,
    )


def verify_and_save(
    services: Services, outbox: Outbox, sub: Submission, resolve: ResolveActor | None = None
) -> Outcome:
    """Verify with Amazon (after the Slack ack), then save and announce, or ask to confirm a reconnect.

    A reconnect (the same seller or vendor and region is connected already) is offered only to someone who
    may replace that connection's credentials (``replace_refusal``); anyone else is told so and nothing is
    kept. ``resolve`` looks up the person's admin flags, only on that path."""
    form = sub.form
    verdict = services.amazon.verify(Credentials.from_fields(form.values))
    now = services.clock()
    log.info("verification for team %s by %s: %s", sub.team_id, sub.user_id, verdict.kind.value)
    if not verdict.ok:
        return _failed(verdict, form)
    region = form.region
    assert region is not None and form.secret_created_on is not None
    notes = tuple(form.notes.values())
    with services.db.session(write=True) as session:
        existing = repo.find_connection_by_partner(session, sub.team_id, form.values["selling_partner_id"], region)
        existing_summary = ConnectionSummary.of(existing) if existing is not None else None
        if existing_summary is not None:
            session.rollback()  # hold no transaction while Slack answers users.info
            refusal = replace_refusal(services, existing_summary, sub.user_id, resolve)
            if refusal is not None:
                log.info("reconnect of connection %s by %s refused: not its owner or an admin",
                         existing_summary.id, sub.user_id)
                return Outcome(kind="refused", cause=refusal)
            pending_id = store_pending(
                session, services.crypto, sub, verdict.store_name, existing_summary.id, now
            )
            return Outcome(
                kind="confirm",
                existing=existing_summary,
                pending_id=pending_id,
                prefill=form.prefill(),
                notes=notes,
            )
    return _save(
        services,
        outbox,
        team_id=sub.team_id,
        user_id=sub.user_id,
        values=form.values,
        client_secret=form.values["client_secret"],
        refresh_token=form.values["refresh_token"],
        secret_created_on=form.secret_created_on,
        store_name=verdict.store_name,
        existing_id=None,
        now=now,
        notes=notes,
    )


# --------------------------------------------------------------------------- pending reconnects


def _pending_key(pending_id: str) -> str:
    return f"pending:{pending_id}"


def purge_expired_pending(session: Session, now: datetime) -> int:
    result = session.execute(
        sa.delete(IdempotencyKey).where(
            col(IdempotencyKey.key).like("pending:%"), col(IdempotencyKey.created_at) < now - PENDING_TTL
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def store_pending(
    session: Session, crypto: Crypto, sub: Submission, store_name: str | None, existing_id: int, now: datetime
) -> str:
    """Keep verified secrets encrypted (bound to this pending row) until the user confirms. Commits."""
    purge_expired_pending(session, now)
    pending_id = secrets.token_urlsafe(18)
    row_id = secrets.randbits(62)

    def seal(name: str) -> str:
        blob = crypto.encrypt(sub.form.values[name], table=PENDING_TABLE, row_id=row_id, field=name)
        return base64.b64encode(blob).decode("ascii")

    non_secret = {k: v for k, v in sub.form.values.items() if k not in SECRET_FIELDS}
    assert sub.form.secret_created_on is not None
    data = {
        "team_id": sub.team_id,
        "user_id": sub.user_id,
        "values": non_secret,
        "secret_created_on": sub.form.secret_created_on.isoformat(),
        "store_name": store_name,
        "existing_id": existing_id,
        "row_id": row_id,
        "notes": list(sub.form.notes.values()),
        "sealed": {name: seal(name) for name in SECRET_FIELDS},
    }
    repo.claim_idempotency_key(session, _pending_key(pending_id), now, result=json.dumps(data))
    return pending_id


def _take_pending(db: Database, pending_id: str, now: datetime) -> tuple[dict[str, Any] | None, bool]:
    """(data, expired). Deletes the row so a confirmation is used once."""
    key = _pending_key(pending_id)
    with db.session(write=True) as session:
        row = session.get(IdempotencyKey, key)
        if row is None:
            return None, True
        text, created_at = row.result, row.created_at
        deleted = session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.key) == key))
        session.commit()
        if int(deleted.rowcount or 0) != 1:  # type: ignore[attr-defined]
            return None, False  # another click took it a moment ago
    if created_at < now - PENDING_TTL:
        return None, True
    try:
        return json.loads(text or ""), False
    except ValueError:
        return None, True


def confirm_pending(
    services: Services, outbox: Outbox, pending_id: str, team_id: str, user_id: str,
    resolve: ResolveActor | None = None,
) -> Outcome | None:
    """The user confirmed updating the existing connection. None when a concurrent click already did.

    Checked again here: only the person who entered the credentials confirms, and only while they may
    replace that connection's credentials (``replace_refusal``); otherwise nothing changes."""
    now = services.clock()
    existing: ConnectionSummary | None = None
    with services.db.session() as session:
        row = session.get(IdempotencyKey, _pending_key(pending_id))
        owner_ok = True
        if row is not None and row.result:
            try:
                meta = json.loads(row.result)
                owner_ok = meta.get("team_id") == team_id and meta.get("user_id") == user_id
                current = (repo.get_team_connection(session, team_id, meta["existing_id"])
                           if owner_ok and isinstance(meta.get("existing_id"), int) else None)
                existing = ConnectionSummary.of(current) if current is not None else None
            except ValueError:
                owner_ok = False
    if not owner_ok:
        return Outcome(kind="refused", cause=md("onboarding.confirm.not_yours"))
    if existing is not None and existing.status != "disconnected":
        refusal = replace_refusal(services, existing, user_id, resolve)
        if refusal is not None:
            log.info("confirmation of a reconnect of connection %s by %s refused: not its owner or an admin",
                     existing.id, user_id)
            return Outcome(kind="refused", cause=refusal)
    data, expired = _take_pending(services.db, pending_id, now)
    if data is None:
        return Outcome(kind="expired") if expired else None
    row_id = int(data["row_id"])
    try:
        opened = {
            name: services.crypto.decrypt(
                base64.b64decode(data["sealed"][name]), table=PENDING_TABLE, row_id=row_id, field=name
            )
            for name in SECRET_FIELDS
        }
    except (DecryptionError, KeyError, binascii.Error, ValueError):
        log.warning("a pending reconnect for team %s could not be decrypted; asking the user to start again", team_id)
        return Outcome(kind="expired")
    values: dict[str, str] = dict(data["values"])
    return _save(
        services,
        outbox,
        team_id=team_id,
        user_id=user_id,
        values=values,
        client_secret=opened["client_secret"],
        refresh_token=opened["refresh_token"],
        secret_created_on=date.fromisoformat(data["secret_created_on"]),
        store_name=data.get("store_name"),
        existing_id=int(data["existing_id"]),
        now=now,
        notes=tuple(data.get("notes") or ()),
    )


def cancel_pending(db: Database, pending_id: str, team_id: str, user_id: str) -> Outcome:
    key = _pending_key(pending_id)
    with db.session(write=True) as session:
        row = session.get(IdempotencyKey, key)
        if row is not None:
            try:
                meta = json.loads(row.result or "{}")
            except ValueError:
                meta = {}
            if meta.get("team_id") != team_id or meta.get("user_id") != user_id:
                return Outcome(kind="refused", cause=md("onboarding.confirm.not_yours"))
            session.delete(row)
            session.commit()
    return Outcome(kind="cancelled")
