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
from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.amazon.client import Credentials
from bot.amazon.marketplaces import REGION_NAMES, marketplace_by_id
from bot.amazon.validators import FIELD_KEYS, validate_credentials
from bot.amazon.verdicts import Verdict, explain
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox
from bot.i18n import t
from bot.redaction import mask, redact
from bot.services import Services
from storage import repo
from storage.crypto import Crypto, DecryptionError
from storage.db import Database
from storage.models import SECRET_LIFETIME_DAYS, Connection, IdempotencyKey

log = logging.getLogger(__name__)

FORM_FIELDS = FIELD_KEYS
SECRET_FIELDS = ("client_secret", "refresh_token")
DATE_FIELD = "secret_created_on"
PENDING_TTL = timedelta(minutes=15)
# Longer than a verification can take (the Amazon client's 30 s deadline plus the save), shorter than
# the 90 s a duplicate submission waits: a claim older than this was left by a process that died.
CLAIM_STALE_AFTER = timedelta(seconds=60)
PENDING_TABLE = "pending_connection"

# --------------------------------------------------------------------------- who may connect


@dataclass(frozen=True)
class UserFacts:
    """What the Slack edge learned about the person (users.info, usergroups.users.list)."""

    user_id: str
    is_admin: bool = False  # workspace admin or owner
    groups: frozenset[str] = frozenset()  # the CONNECT_ALLOWED user groups (S…) the user is in


def policy_ids(connect_allowed: str) -> list[str]:
    if connect_allowed in ("everyone", "admins"):
        return []
    return [p.strip() for p in connect_allowed.split(",") if p.strip()]


def usergroups_to_check(connect_allowed: str) -> list[str]:
    """The user-group ids (S…) whose members the edge must look up for this policy."""
    return [i for i in policy_ids(connect_allowed) if i.startswith("S")]


def needs_admin_lookup(connect_allowed: str, user_id: str, admin_user_ids: Collection[str]) -> bool:
    return connect_allowed == "admins" and user_id not in admin_user_ids


def may_connect(connect_allowed: str, facts: UserFacts, admin_user_ids: Collection[str] = ()) -> bool:
    """CONNECT_ALLOWED: ``everyone``; ``admins`` (workspace admins/owners and ADMIN_USER_IDS); or a
    list of user ids (U…/W…) and user-group ids (S…)."""
    if not facts.user_id:
        return False
    if connect_allowed == "everyone":
        return True
    if facts.user_id in admin_user_ids:
        return True
    if connect_allowed == "admins":
        return facts.is_admin
    ids = policy_ids(connect_allowed)
    if facts.user_id in ids:
        return True
    return any(g in facts.groups for g in ids if g.startswith("S"))


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
    announce_error: str | None = None
    reconnected: bool = False
    notes: tuple[str, ...] = ()

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


@dataclass(frozen=True)
class Claim:
    first: bool  # this request does the work
    view_key: str
    content_key: str | None = None
    follow_key: str | None = None  # a duplicate waits for this key's outcome


def _content_fingerprint(crypto: Crypto, sub: Submission) -> str:
    material = json.dumps(
        [sub.team_id, sub.user_id, sorted(sub.form.values.items()), str(sub.form.secret_created_on)],
        separators=(",", ":"),
    )
    return crypto.fingerprint(material)[:40]


def claim_submission(db: Database, crypto: Crypto, sub: Submission, now: datetime) -> Claim:
    """Race-safe across processes: the same view submitted twice, or the same values submitted again
    while the first is still verifying, is a duplicate that follows the first's outcome."""
    view_key = f"view:{sub.view_id}:{sub.view_hash}"
    content_key = f"submit:{sub.team_id}:{_content_fingerprint(crypto, sub)}"
    with db.session() as session:
        if not repo.claim_idempotency_key(session, view_key, now):
            return Claim(first=False, view_key=view_key, follow_key=view_key)
        marker = json.dumps({"state": "verifying", "view_key": view_key})
        if repo.claim_idempotency_key(session, content_key, now, result=marker):
            return Claim(first=True, view_key=view_key, content_key=content_key)
        row = session.get(IdempotencyKey, content_key)
        if row is not None and row.created_at < now - CLAIM_STALE_AFTER:
            # Left behind by a process that died mid-verification: take it over.
            repo.release_idempotency_key(session, content_key)
            if repo.claim_idempotency_key(session, content_key, now, result=marker):
                return Claim(first=True, view_key=view_key, content_key=content_key)
            row = session.get(IdempotencyKey, content_key)
        follow = None
        if row is not None and row.result:
            try:
                follow = json.loads(row.result).get("view_key")
            except (ValueError, AttributeError):
                follow = None
        return Claim(first=False, view_key=view_key, follow_key=follow)


def finish_claim(db: Database, claim: Claim, outcome: Outcome) -> None:
    """Record the outcome for duplicates to pick up, and free the content key for a later retry."""
    with db.session(write=True) as session:
        repo.set_idempotency_result(session, claim.view_key, outcome.to_json())
        session.commit()
        if claim.content_key:
            repo.release_idempotency_key(session, claim.content_key)


def claimed_outcome(db: Database, key: str) -> Outcome | None:
    with db.session() as session:
        text = repo.get_idempotency_result(session, key)
    if not text:
        return None
    try:
        return Outcome.from_json(text)
    except (ValueError, KeyError, TypeError):
        return None


# --------------------------------------------------------------------------- verification and save


def name_clash(session: Session, team_id: str, form: FormCheck) -> bool:
    """True when the connection name belongs to another store in this workspace (a form error)."""
    name = form.values.get("connection_name")
    if not name:
        return False
    other = repo.get_connection(session, team_id, name)
    if other is None:
        return False
    if other.status == "disconnected":
        return True  # the name still belongs to the disconnected row
    return not (
        other.selling_partner_id == form.values.get("selling_partner_id") and other.region == form.region
    )


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
                return t(f"onboarding.announce.{code}", channel=channel)
        return t("onboarding.announce.failed", channel=channel, reason=redact(reason))
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
                created_by=user_id,
                now=now,
                existing_id=existing_id,
            )
            session.commit()
        except repo.ConnectionNameTaken:
            session.rollback()
            return Outcome(
                kind="failed",
                verdict_kind="name_taken",
                cause=t("onboarding.form.name_taken", name=values["connection_name"]),
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


def verify_and_save(services: Services, outbox: Outbox, sub: Submission) -> Outcome:
    """Verify with Amazon (after the Slack ack), then save and announce, or ask to confirm a reconnect."""
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


def confirm_pending(services: Services, outbox: Outbox, pending_id: str, team_id: str, user_id: str) -> Outcome | None:
    """The user confirmed updating the existing connection. None when a concurrent click already did."""
    now = services.clock()
    with services.db.session() as session:
        row = session.get(IdempotencyKey, _pending_key(pending_id))
        owner_ok = True
        if row is not None and row.result:
            try:
                meta = json.loads(row.result)
                owner_ok = meta.get("team_id") == team_id and meta.get("user_id") == user_id
            except ValueError:
                owner_ok = False
    if not owner_ok:
        return Outcome(kind="refused", cause=t("onboarding.confirm.not_yours"))
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
                return Outcome(kind="refused", cause=t("onboarding.confirm.not_yours"))
            session.delete(row)
            session.commit()
    return Outcome(kind="cancelled")
