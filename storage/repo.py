"""The queries the flows need, one function each.

Transactions: functions take a ``Session`` and *flush* but do not commit; the caller commits (one
transaction per user action: ``with db.session() as s: ...; s.commit()``). The exceptions, which
commit the session they are given so other processes see the result at once, are the claim and
ledger functions: ``claim_idempotency_key``, ``release_idempotency_key``, ``claim_reminder``,
``mark_reminder_sent``, ``release_reminder``, ``release_stale_reminder_claims``. ``rotate_keys``
manages its own sessions.

Every ``now`` is a timezone-aware UTC datetime supplied by the caller (so ``sweep --now`` works).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from bot.redaction import mask, redact
from storage.crypto import Crypto, DecryptionError
from storage.db import Database
from storage.models import (
    ACCOUNT_TYPES,
    CONNECTION_STATUSES,
    REGIONS,
    SECRET_LIFETIME_DAYS,
    AuditEntry,
    ChecklistProgress,
    Connection,
    IdempotencyKey,
    ReminderLedger,
    leaked_fingerprints,
)
from storage.names import name_key

TABLE = "connections"
CLIENT_SECRET = "client_secret"
REFRESH_TOKEN = "refresh_token"
_FIELD_LABEL = {CLIENT_SECRET: "client secret", REFRESH_TOKEN: "refresh token"}
HEALTH_CHECK_INTERVAL = timedelta(hours=24)
SYSTEM_ACTOR = "system"


class ConnectionNameTaken(ValueError):
    """Another connection in the same workspace already has this name, or one that looks the same
    (``storage.names.name_key``). ``existing_name`` is that connection's name when known."""

    def __init__(self, message: str, existing_name: str | None = None) -> None:
        super().__init__(message)
        self.existing_name = existing_name


class ConnectionNotFound(LookupError):
    """The connection id does not exist (in that workspace)."""


class SecretsErased(DecryptionError):
    """The connection was disconnected: its secrets are gone, there is nothing to decrypt."""


@dataclass(frozen=True)
class RotationFailure:
    connection_id: int
    team_id: str
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{redact(self.name)!r} (row {self.connection_id}, team {self.team_id}): {self.reason}"


class KeyRotationError(Exception):
    """Raised by ``rotate_keys`` after it has finished every row it could: names the rows it could not."""

    def __init__(self, rotated: int, failures: list[RotationFailure]) -> None:
        self.rotated = rotated
        self.failures = failures
        listed = "; ".join(str(f) for f in failures)
        super().__init__(
            f"re-encrypted {rotated} connection(s); could not decrypt {len(failures)}: {listed}. "
            "Add the missing key to ENCRYPTION_KEYS (after the newest) and run rotate-key again, "
            "or reconnect those connections."
        )


@dataclass(repr=False, frozen=True)
class ConnectionSecrets:
    """Decrypted secrets of one connection. Its repr and str show only masks."""

    client_secret: str
    refresh_token: str

    def __repr__(self) -> str:
        return (
            f"ConnectionSecrets(client_secret={mask(self.client_secret)!r}, "
            f"refresh_token={mask(self.refresh_token)!r})"
        )

    __str__ = __repr__


# --------------------------------------------------------------------------- helpers


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware UTC datetime")
    return now.astimezone(UTC)


def secret_expiry(created_on: date) -> date:
    """The day a client secret created on ``created_on`` expires (created-on + 180 days)."""
    return created_on + timedelta(days=SECRET_LIFETIME_DAYS)


def schedule_next_health_check(
    connection_id: int, now: datetime, interval: timedelta = HEALTH_CHECK_INTERVAL
) -> datetime:
    """``now + interval`` shifted by a deterministic per-connection jitter of up to +-1/12 of it.

    Spreads the daily checks of many connections over the day instead of bunching them.
    """
    span = max(int(interval.total_seconds() // 12), 1)
    digest = hashlib.sha256(f"health:{connection_id}".encode()).digest()
    offset = int.from_bytes(digest[:4], "big") % (2 * span) - span
    return _aware(now) + interval + timedelta(seconds=offset)


def _set_secret(crypto: Crypto, conn: Connection, field: str, secret: str) -> None:
    if not secret:
        raise ValueError(f"the {_FIELD_LABEL[field]} is empty")
    assert conn.id is not None
    blob = crypto.encrypt(secret, table=TABLE, row_id=conn.id, field=field)
    setattr(conn, f"{field}_enc", blob)
    setattr(conn, f"{field}_fp", crypto.fingerprint(secret))


def _decrypt_field(crypto: Crypto, conn: Connection, field: str) -> str:
    blob = getattr(conn, f"{field}_enc")
    label = _FIELD_LABEL[field]
    if blob is None:
        raise SecretsErased(
            f"connection {conn.label()} has no stored {label}: it was disconnected; connect it again",
            table=TABLE, row_id=conn.id, field=field, reason="erased", detail="it was disconnected",
        )
    assert conn.id is not None
    try:
        return crypto.decrypt(blob, table=TABLE, row_id=conn.id, field=field)
    except DecryptionError as exc:
        raise DecryptionError(
            f"cannot decrypt the {label} of connection {conn.label()}: {exc.detail}",
            table=TABLE, row_id=conn.id, field=field, kid=exc.kid, reason=exc.reason, detail=exc.detail,
        ) from None


# --------------------------------------------------------------------------- audit


def add_audit(
    session: Session,
    *,
    team_id: str,
    actor: str,
    action: str,
    connection: Connection | None = None,
    detail: str | None = None,
    now: datetime,
) -> AuditEntry:
    entry = AuditEntry(
        team_id=team_id,
        connection_id=connection.id if connection is not None else None,
        connection_name=connection.name if connection is not None else None,
        actor=actor,
        action=action,
        detail=redact(detail) if detail is not None else None,
        created_at=_aware(now),
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    session: Session, team_id: str, connection_name: str | None = None, limit: int = 50
) -> list[AuditEntry]:
    """Newest first."""
    stmt = select(AuditEntry).where(AuditEntry.team_id == team_id)
    if connection_name is not None:
        stmt = stmt.where(AuditEntry.connection_name == connection_name)
    stmt = stmt.order_by(col(AuditEntry.created_at).desc(), col(AuditEntry.id).desc()).limit(limit)
    return list(session.exec(stmt).all())


# --------------------------------------------------------------------------- connections


def get_connection(session: Session, team_id: str, name: str) -> Connection | None:
    """The connection called ``name`` in the workspace, whatever its status."""
    stmt = select(Connection).where(Connection.team_id == team_id, Connection.name == name)
    return session.exec(stmt).first()


def get_connection_by_key(session: Session, team_id: str, name: str) -> Connection | None:
    """The connection whose name is the same as ``name`` by ``name_key`` (``main`` finds ``Main``,
    so does ``Ｍａｉｎ`` or a Cyrillic look-alike), whatever its status. At most one: the key is unique."""
    stmt = select(Connection).where(Connection.team_id == team_id, Connection.name_key == name_key(name))
    return session.exec(stmt).first()


def find_connection_by_name(session: Session, team_id: str, name: str) -> Connection | None:
    """What a person means by ``name`` in a command: the exact name, else the one with the same key."""
    return get_connection(session, team_id, name) or get_connection_by_key(session, team_id, name)


def get_connection_by_id(session: Session, connection_id: int) -> Connection | None:
    return session.get(Connection, connection_id)


def list_connections(session: Session, team_id: str, include_disconnected: bool = False) -> list[Connection]:
    stmt = select(Connection).where(Connection.team_id == team_id)
    if not include_disconnected:
        stmt = stmt.where(Connection.status != "disconnected")
    return list(session.exec(stmt.order_by(col(Connection.name), col(Connection.id))).all())


def find_connection_by_partner(
    session: Session, team_id: str, selling_partner_id: str, region: str
) -> Connection | None:
    """A live (not disconnected) connection of this workspace for the same seller/vendor and region."""
    stmt = select(Connection).where(
        Connection.team_id == team_id,
        Connection.selling_partner_id == selling_partner_id,
        Connection.region == region,
        Connection.status != "disconnected",
    )
    return session.exec(stmt.order_by(col(Connection.id))).first()


def find_connections_by_fingerprint(session: Session, fingerprints: Sequence[str]) -> list[Connection]:
    """Connections whose client secret or refresh token has one of ``fingerprints``."""
    fps = [f for f in fingerprints if f]
    if not fps:
        return []
    stmt = select(Connection).where(
        sa.or_(col(Connection.client_secret_fp).in_(fps), col(Connection.refresh_token_fp).in_(fps))
    )
    return list(session.exec(stmt.order_by(col(Connection.id))).all())


def find_connections_by_secret(session: Session, crypto: Crypto, secret: str) -> list[Connection]:
    """Connections holding ``secret`` (matched by fingerprint under every known key; nothing decrypted)."""
    return find_connections_by_fingerprint(session, crypto.fingerprints(secret))


def create_or_update_connection(
    session: Session,
    crypto: Crypto,
    *,
    team_id: str,
    name: str,
    account_type: str,
    selling_partner_id: str,
    region: str,
    marketplace_id: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    secret_created_on: date,
    store_name: str | None,
    created_by: str,
    now: datetime,
    existing_id: int | None = None,
    health_check_interval: timedelta = HEALTH_CHECK_INTERVAL,
) -> Connection:
    """Store a verified connection; the caller commits (all of it is one transaction).

    Without ``existing_id`` a new row is inserted (``ConnectionNameTaken`` if the name, or a name
    with the same ``name_key``, is used in the workspace) and ``created_by`` owns it. With it, that
    row is updated in place ("reconnected") and keeps its owner: ``created_by`` is then only the
    actor of the audit entry (whether the actor may replace the credentials is the caller's check).
    A changed client secret starts a new secret generation.
    """
    now = _aware(now)
    if account_type not in ACCOUNT_TYPES:
        raise ValueError(f"account type must be one of {', '.join(ACCOUNT_TYPES)}")
    if region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}")
    if not name.strip():
        raise ValueError("the connection name is empty")
    clash = find_connection_by_name(session, team_id, name)

    def taken() -> ConnectionNameTaken:
        existing = clash.name if clash is not None else None
        if existing is None:  # lost a race: the row that won has committed, so a new statement sees it
            other = find_connection_by_name(session, team_id, name)
            existing = other.name if other is not None else None
        return ConnectionNameTaken(f"a connection named {redact(name)!r} (or one that looks the same) already "
                                   "exists in this workspace", existing_name=existing)

    if existing_id is None:
        if clash is not None:
            raise taken()
        conn = Connection(
            team_id=team_id,
            name=name,
            account_type=account_type,
            selling_partner_id=selling_partner_id,
            region=region,
            marketplace_id=marketplace_id,
            client_id=client_id,
            store_name=store_name,
            secret_created_on=secret_created_on,
            secret_expires_on=secret_expiry(secret_created_on),
            secret_generation=1,
            status="connected",
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )
        try:
            with session.begin_nested():
                session.add(conn)
                session.flush()
        except IntegrityError:
            raise taken() from None
        action = "connected"
    else:
        found = get_connection_by_id(session, existing_id)
        if found is None or found.team_id != team_id:
            raise ConnectionNotFound(f"connection {existing_id} does not exist in this workspace")
        conn = found
        if clash is not None and clash.id != conn.id:
            raise taken()
        if conn.client_secret_fp is None or conn.client_secret_fp not in crypto.fingerprints(client_secret):
            conn.secret_generation += 1
        conn.name = name
        conn.account_type = account_type
        conn.selling_partner_id = selling_partner_id
        conn.region = region
        conn.marketplace_id = marketplace_id
        conn.client_id = client_id
        conn.store_name = store_name
        conn.secret_created_on = secret_created_on
        conn.secret_expires_on = secret_expiry(secret_created_on)
        try:
            with session.begin_nested():  # the renamed row against a look-alike inserted meanwhile
                session.add(conn)
                session.flush()
        except IntegrityError:
            clash = None
            raise taken() from None
        action = "reconnected"
    _set_secret(crypto, conn, CLIENT_SECRET, client_secret)
    _set_secret(crypto, conn, REFRESH_TOKEN, refresh_token)
    assert conn.id is not None
    conn.status = "connected"
    conn.last_verified_at = now
    conn.last_error = None
    conn.transient_failures = 0
    conn.next_health_check_at = schedule_next_health_check(conn.id, now, health_check_interval)
    conn.updated_at = now
    session.add(conn)
    add_audit(
        session,
        team_id=team_id,
        actor=created_by,
        action=action,
        connection=conn,
        detail=f"{account_type} {selling_partner_id} in {region} ({marketplace_id})",
        now=now,
    )
    return conn


def load_secrets(session: Session, crypto: Crypto, connection: Connection) -> ConnectionSecrets:
    """Decrypt both secrets. Raises ``DecryptionError`` naming the connection (``SecretsErased`` if gone)."""
    return ConnectionSecrets(
        client_secret=_decrypt_field(crypto, connection, CLIENT_SECRET),
        refresh_token=_decrypt_field(crypto, connection, REFRESH_TOKEN),
    )


def replace_client_secret(
    session: Session,
    crypto: Crypto,
    connection: Connection,
    new_secret: str,
    created_on: date,
    actor: str,
    now: datetime,
    health_check_interval: timedelta = HEALTH_CHECK_INTERVAL,
) -> Connection:
    """Store a verified new client secret: new generation, expiry clock reset, status connected."""
    now = _aware(now)
    if connection.status == "disconnected":
        raise ValueError(f"connection {connection.label()} is disconnected; connect it again instead")
    _set_secret(crypto, connection, CLIENT_SECRET, new_secret)
    connection.secret_generation += 1
    connection.secret_created_on = created_on
    connection.secret_expires_on = secret_expiry(created_on)
    _mark_verified(connection, now, health_check_interval)
    session.add(connection)
    add_audit(
        session, team_id=connection.team_id, actor=actor, action="rotated_secret", connection=connection,
        detail=f"secret generation {connection.secret_generation}, expires {connection.secret_expires_on}",
        now=now,
    )
    return connection


def replace_refresh_token(
    session: Session, crypto: Crypto, connection: Connection, new_token: str, actor: str, now: datetime,
    health_check_interval: timedelta = HEALTH_CHECK_INTERVAL,
) -> Connection:
    """Store a verified new refresh token (re-authorization); status back to connected."""
    now = _aware(now)
    if connection.status == "disconnected":
        raise ValueError(f"connection {connection.label()} is disconnected; connect it again instead")
    _set_secret(crypto, connection, REFRESH_TOKEN, new_token)
    _mark_verified(connection, now, health_check_interval)
    session.add(connection)
    add_audit(
        session, team_id=connection.team_id, actor=actor, action="reauthorized", connection=connection,
        detail="new refresh token", now=now,
    )
    return connection


def _mark_verified(connection: Connection, now: datetime, health_check_interval: timedelta) -> None:
    assert connection.id is not None
    connection.status = "connected"
    connection.last_verified_at = now
    connection.last_error = None
    connection.transient_failures = 0
    connection.next_health_check_at = schedule_next_health_check(connection.id, now, health_check_interval)
    connection.updated_at = now


def erase_secrets(session: Session, connection: Connection, actor: str, now: datetime,
                  *, claim_key: str | None = None) -> bool:
    """Disconnect: delete both ciphertexts and fingerprints (set to NULL), keep the row and its audit trail.

    With ``claim_key``, the key is claimed in the same transaction as the erase (a savepoint, nothing is
    committed here): False, and nothing changed, when it was claimed before. So a claim exists exactly when
    an erase was committed; a failed commit rolls both back and a retry runs again. Caller commits.
    """
    now = _aware(now)
    if claim_key is not None:
        try:
            with session.begin_nested():
                session.add(IdempotencyKey(key=claim_key, created_at=now))
        except IntegrityError:
            return False
    connection.client_secret_enc = None
    connection.refresh_token_enc = None
    connection.client_secret_fp = None
    connection.refresh_token_fp = None
    connection.status = "disconnected"
    connection.next_health_check_at = None
    connection.transient_failures = 0
    connection.updated_at = now
    session.add(connection)
    add_audit(
        session, team_id=connection.team_id, actor=actor, action="disconnected", connection=connection,
        detail="secrets erased", now=now,
    )
    session.flush()
    return True


def set_status(
    session: Session,
    connection: Connection,
    status: str,
    *,
    now: datetime,
    error: str | None = None,
    actor: str = SYSTEM_ACTOR,
    audit_action: str | None = None,
) -> Connection:
    """Change status (and last error, redacted); add an audit entry when ``audit_action`` is given."""
    now = _aware(now)
    if status not in CONNECTION_STATUSES:
        raise ValueError(f"unknown connection status {status!r}")
    connection.status = status
    connection.last_error = error
    connection.updated_at = now
    session.add(connection)
    if audit_action:
        add_audit(session, team_id=connection.team_id, actor=actor, action=audit_action,
                  connection=connection, detail=error, now=now)
    else:
        session.flush()
    return connection


def mark_exposed(
    session: Session, connection: Connection, which: str, fingerprint: str, *, detail: str, actor: str, now: datetime
) -> bool:
    """Record that the secret value with ``fingerprint`` (``which``: client_secret/refresh_token) was seen
    in Slack; audited once per value. The status is left as it is: the exposure stands beside it until
    that value is replaced (``storage.models.exposed_kinds``). True when it was not recorded before."""
    if which not in (CLIENT_SECRET, REFRESH_TOKEN) or not fingerprint:
        raise ValueError(f"unknown secret kind {which!r}")
    leaked = leaked_fingerprints(connection.exposed_secrets)
    known = leaked.setdefault(which, [])
    if fingerprint in known:
        return False
    known.append(fingerprint)
    connection.exposed_secrets = json.dumps(leaked)
    connection.updated_at = _aware(now)
    session.add(connection)
    add_audit(session, team_id=connection.team_id, actor=actor, action="exposed", connection=connection,
              detail=detail, now=now)
    return True


def _refingerprint_exposure(connection: Connection, field: str, old_fp: str | None) -> None:
    """After ``field`` was fingerprinted again under a new key: a leaked value still in use keeps its mark."""
    new_fp = getattr(connection, f"{field}_fp")
    leaked = leaked_fingerprints(connection.exposed_secrets)
    if old_fp and new_fp and old_fp != new_fp and old_fp in leaked.get(field, []):
        leaked[field] = [new_fp if fp == old_fp else fp for fp in leaked[field]]
        connection.exposed_secrets = json.dumps(leaked)


def list_due_health_checks(session: Session, now: datetime, limit: int = 500) -> list[Connection]:
    """Live connections whose next health check is due, most overdue first (uses the index)."""
    stmt = (
        select(Connection)
        .where(col(Connection.next_health_check_at) <= _aware(now), Connection.status != "disconnected")
        .order_by(col(Connection.next_health_check_at), col(Connection.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


def list_expiring_connections(session: Session, on_or_before: date, limit: int = 500) -> list[Connection]:
    """Live connections whose client secret expires on or before ``on_or_before``, soonest first."""
    stmt = (
        select(Connection)
        .where(col(Connection.secret_expires_on) <= on_or_before, Connection.status != "disconnected")
        .order_by(col(Connection.secret_expires_on), col(Connection.id))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


# --------------------------------------------------------------------------- checklist


def get_checklist(session: Session, team_id: str, user_id: str) -> ChecklistProgress | None:
    stmt = select(ChecklistProgress).where(
        ChecklistProgress.team_id == team_id, ChecklistProgress.user_id == user_id
    )
    return session.exec(stmt).first()


def save_checklist(session: Session, progress: ChecklistProgress, now: datetime | None = None) -> ChecklistProgress:
    """Insert or update; sets ``updated_at``. The caller commits."""
    progress.updated_at = _aware(now) if now is not None else datetime.now(UTC)
    session.add(progress)
    session.flush()
    return progress


def checklist_steps(progress: ChecklistProgress) -> list[str]:
    """The completed step ids (an unreadable value counts as none done)."""
    try:
        value = json.loads(progress.completed_steps or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def set_checklist_steps(progress: ChecklistProgress, steps: Sequence[str]) -> None:
    progress.completed_steps = json.dumps(list(dict.fromkeys(steps)))


def list_due_nudges(session: Session, now: datetime, limit: int = 500) -> list[ChecklistProgress]:
    """Checklists whose nudge is due and not sent yet."""
    stmt = (
        select(ChecklistProgress)
        .where(col(ChecklistProgress.nudge_due_at) <= _aware(now), col(ChecklistProgress.nudge_sent_at).is_(None))
        .order_by(col(ChecklistProgress.nudge_due_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())


# --------------------------------------------------------------------------- idempotency


def _insert_once(session: Session, row: SQLModel) -> bool:
    """Insert ``row`` in a savepoint; False when a unique constraint says it exists already. Commits."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        session.commit()
        return False
    session.commit()
    return True


def claim_idempotency_key(session: Session, key: str, now: datetime, result: str | None = None) -> bool:
    """True if this call claimed ``key`` first (across processes); False if it was claimed before.

    Inserts in a savepoint and relies on the primary key; commits the session.
    """
    return _insert_once(session, IdempotencyKey(key=key, created_at=_aware(now), result=result))


def get_idempotency_result(session: Session, key: str) -> str | None:
    row = session.get(IdempotencyKey, key)
    return row.result if row is not None else None


def set_idempotency_result(session: Session, key: str, result: str | None) -> None:
    """Record a small JSON result (never a secret; redacted anyway) for a claimed key. Caller commits."""
    row = session.get(IdempotencyKey, key)
    if row is None:
        raise LookupError(f"idempotency key {key!r} was never claimed")
    row.result = result
    session.add(row)
    session.flush()


def release_idempotency_key(session: Session, key: str) -> None:
    """Forget a claim (e.g. the work failed and a retry should run). Commits."""
    session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.key) == key))
    session.commit()


def purge_idempotency_keys(session: Session, older_than: datetime) -> int:
    """Delete claims created before ``older_than``; returns how many. Caller commits."""
    res = session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.created_at) < _aware(older_than)))
    session.flush()
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- reminder ledger


def _ledger_row(connection_id: int, generation: int, kind: str) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(ReminderLedger.connection_id) == connection_id,
        col(ReminderLedger.generation) == generation,
        col(ReminderLedger.kind) == kind,
    )


def claim_reminder(
    session: Session, connection_id: int, generation: int, kind: str, claimed_by: str, now: datetime
) -> bool:
    """Claim the right to send (connection, generation, kind) once. True for exactly one caller.

    The claim is committed immediately so that other processes see it. Post, then call
    ``mark_reminder_sent``; if posting fails, ``release_reminder`` so a later sweep retries.
    """
    return _insert_once(session, ReminderLedger(
        connection_id=connection_id, generation=generation, kind=kind, claimed_at=_aware(now), claimed_by=claimed_by
    ))


def mark_reminder_sent(session: Session, connection_id: int, generation: int, kind: str, now: datetime) -> bool:
    """Record that the claimed reminder went out. Commits. False if there was no such claim."""
    res = session.execute(
        sa.update(ReminderLedger).where(_ledger_row(connection_id, generation, kind)).values(sent_at=_aware(now))
    )
    session.commit()
    return bool(res.rowcount)  # type: ignore[attr-defined]


def release_reminder(session: Session, connection_id: int, generation: int, kind: str) -> None:
    """Delete an unsent claim so the next sweep retries it. A reminder already sent stays recorded. Commits."""
    session.execute(
        sa.delete(ReminderLedger).where(
            _ledger_row(connection_id, generation, kind), col(ReminderLedger.sent_at).is_(None)
        )
    )
    session.commit()


def release_stale_reminder_claims(session: Session, older_than: datetime) -> int:
    """Delete claims never marked sent and made before ``older_than`` (their process died). Commits."""
    res = session.execute(
        sa.delete(ReminderLedger).where(
            col(ReminderLedger.sent_at).is_(None), col(ReminderLedger.claimed_at) < _aware(older_than)
        )
    )
    session.commit()
    return int(res.rowcount or 0)  # type: ignore[attr-defined]


def list_reminders(session: Session, connection_id: int, generation: int | None = None) -> list[ReminderLedger]:
    stmt = select(ReminderLedger).where(ReminderLedger.connection_id == connection_id)
    if generation is not None:
        stmt = stmt.where(ReminderLedger.generation == generation)
    return list(session.exec(stmt.order_by(col(ReminderLedger.id))).all())


# --------------------------------------------------------------------------- key rotation


def rotate_keys(
    db: Database,
    crypto: Crypto,
    batch_size: int = 200,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Re-encrypt every stored secret not already under the newest key; recompute its fingerprints.

    Works through the rows in id order, ``batch_size`` rows per transaction, so it is safe to
    interrupt and to run again (rows already under the newest key are left alone). Rows are locked
    while rewritten (``FOR UPDATE`` on PostgreSQL) so a concurrent rotation of a secret is not lost.
    ``on_batch(total_so_far)`` is called after each committed batch (progress output).
    Returns the number of connections re-encrypted; raises ``KeyRotationError`` at the end, naming
    every connection it could not decrypt, after finishing all the others.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    newest = crypto.newest_kid
    rotated = 0
    failures: list[RotationFailure] = []
    last_id = 0
    while True:
        with db.session(write=True) as session:
            stmt = (
                select(Connection)
                .where(
                    col(Connection.id) > last_id,
                    sa.or_(
                        col(Connection.client_secret_enc).is_not(None),
                        col(Connection.refresh_token_enc).is_not(None),
                    ),
                )
                .order_by(col(Connection.id))
                .limit(batch_size)
                .with_for_update()
            )
            rows = list(session.exec(stmt).all())
            if not rows:
                break
            per_team: dict[str, int] = {}
            now = datetime.now(UTC)
            for conn in rows:
                assert conn.id is not None
                last_id = conn.id
                fields = [f for f in (CLIENT_SECRET, REFRESH_TOKEN) if getattr(conn, f"{f}_enc") is not None]
                try:
                    if all(crypto.key_id_of(getattr(conn, f"{f}_enc")) == newest for f in fields):
                        continue
                except DecryptionError:
                    pass  # malformed: let decrypt below report it properly
                try:
                    plain = {f: _decrypt_field(crypto, conn, f) for f in fields}
                except DecryptionError as exc:
                    failures.append(RotationFailure(conn.id, conn.team_id, conn.name, exc.detail))
                    continue
                for f, secret in plain.items():
                    old_fp = getattr(conn, f"{f}_fp")
                    _set_secret(crypto, conn, f, secret)
                    _refingerprint_exposure(conn, f, old_fp)
                session.add(conn)
                per_team[conn.team_id] = per_team.get(conn.team_id, 0) + 1
            for team_id, count in per_team.items():
                add_audit(
                    session, team_id=team_id, actor=SYSTEM_ACTOR, action="key_rotated",
                    detail=f"re-encrypted {count} connection(s) under key {newest!r}", now=now,
                )
            session.commit()
        rotated += sum(per_team.values())
        if on_batch is not None:
            on_batch(rotated)
    if failures:
        raise KeyRotationError(rotated, failures)
    return rotated


# --- lifecycle ---
# Queries of the lifecycle sweep (bot/flows/sweep.py) and of rotation/disconnect.

LIVE_STATUSES = ("connected", "failing", "exposed")


def _reminder_kind_expr(today: date, lead_days: Sequence[int]) -> sa.ColumnElement[str]:
    """SQL for the most urgent expiry reminder of a connection on ``today``: ``expired`` or ``expiry:L``."""
    expires = col(Connection.secret_expires_on)
    whens: list[tuple[sa.ColumnElement[bool], sa.ColumnElement[str]]] = [(expires <= today, sa.literal("expired"))]
    for lead in sorted(set(lead_days)):
        whens.append((expires <= today + timedelta(days=lead), sa.literal(f"expiry:{lead}")))
    return sa.case(*whens, else_=sa.literal(""))


def due_expiry_reminders_statement(
    today: date, lead_days: Sequence[int], limit: int
) -> sa.Select[tuple[int, str, int]]:
    """The query behind ``due_expiry_reminders`` (exposed so tests can check its plan uses an index).

    Picks live connections whose secret expires within the largest lead time and whose most urgent
    pending reminder is not in the ledger for the current secret generation. The range on the
    indexed ``secret_expires_on`` drives it; the ledger is probed through its unique index. The
    status test is wrapped in ``coalesce`` so that a planner without statistics (SQLite) cannot prefer
    the low-selectivity status index over the date range.
    """
    kind = _reminder_kind_expr(today, lead_days)
    horizon = today + timedelta(days=max(lead_days))
    already = (
        sa.select(sa.literal(1))
        .where(
            col(ReminderLedger.connection_id) == col(Connection.id),
            col(ReminderLedger.generation) == col(Connection.secret_generation),
            col(ReminderLedger.kind) == kind,
        )
        .exists()
    )
    return (
        sa.select(col(Connection.id), kind.label("kind"), col(Connection.secret_generation))
        .where(
            col(Connection.secret_expires_on) <= horizon,
            sa.func.coalesce(col(Connection.status), "").in_(LIVE_STATUSES),
            ~already,
        )
        .order_by(col(Connection.secret_expires_on), col(Connection.id))
        .limit(limit)
    )


def due_expiry_reminders(
    session: Session, *, today: date, lead_days: Sequence[int], limit: int = 2000
) -> list[tuple[Connection, str]]:
    """(connection, kind) for each live connection with an expiry reminder due and not yet claimed."""
    if not lead_days:
        return []
    rows = session.execute(due_expiry_reminders_statement(today, lead_days, limit)).all()
    result: list[tuple[Connection, str]] = []
    for connection_id, kind, _generation in rows:
        conn = session.get(Connection, connection_id)
        if conn is not None and kind:
            result.append((conn, str(kind)))
    return result


def claim_health_check(
    session: Session, connection_id: int, expected_next: datetime | None, new_next: datetime
) -> bool:
    """Move a due check to ``new_next`` if nobody else did: True for exactly one process. Commits.

    The conditional UPDATE (compare-and-set on ``next_health_check_at``) is the claim, so two
    sweeps never check the same connection in the same round.
    """
    current = col(Connection.next_health_check_at)
    stmt = sa.update(Connection).where(col(Connection.id) == connection_id)
    stmt = stmt.where(current.is_(None) if expected_next is None else current == _aware(expected_next))
    res = session.execute(stmt.values(next_health_check_at=_aware(new_next)))
    session.commit()
    return int(res.rowcount or 0) == 1  # type: ignore[attr-defined]


def reschedule_health_check(session: Session, connection_id: int, when: datetime) -> None:
    """Make a live connection's next health check due at ``when`` (e.g. retry an alert next pass). Commits."""
    session.execute(
        sa.update(Connection)
        .where(col(Connection.id) == connection_id, col(Connection.status).in_(LIVE_STATUSES))
        .values(next_health_check_at=_aware(when))
    )
    session.commit()


def count_audit_actions_statement(connection_id: int, action: str) -> sa.Select[tuple[int]]:
    """Served by ``ix_audit_log_connection_id_action``: cost ∝ the connection's own entries."""
    return (
        sa.select(sa.func.count())
        .select_from(AuditEntry)
        .where(col(AuditEntry.connection_id) == connection_id, col(AuditEntry.action) == action)
    )


def count_audit_actions(session: Session, connection_id: int, action: str) -> int:
    """How many audit entries with ``action`` a connection has (health episodes are numbered by it)."""
    return int(session.execute(count_audit_actions_statement(connection_id, action)).scalar_one())


def ledger_entry(session: Session, connection_id: int, generation: int, kind: str) -> ReminderLedger | None:
    """The ledger row for (connection, generation, kind), claimed or sent, or None."""
    return session.exec(select(ReminderLedger).where(_ledger_row(connection_id, generation, kind))).first()


def get_team_connection(session: Session, team_id: str, connection_id: int) -> Connection | None:
    """A connection by id, only if it belongs to ``team_id`` (ids from buttons are never trusted alone)."""
    conn = session.get(Connection, connection_id)
    return conn if conn is not None and conn.team_id == team_id else None


def claim_reminder_superseding(
    session: Session,
    connection_id: int,
    generation: int,
    kind: str,
    superseded: Sequence[str],
    claimed_by: str,
    now: datetime,
) -> tuple[bool, int]:
    """Claim ``kind`` like ``claim_reminder`` and, in the same committed transaction, record each of the
    ``superseded`` (less urgent) kinds as done so they never go out. Returns (claimed, how many superseded).

    Nothing is recorded when the claim is lost to another process.
    """
    now = _aware(now)
    try:
        with session.begin_nested():
            session.add(ReminderLedger(connection_id=connection_id, generation=generation, kind=kind,
                                       claimed_at=now, claimed_by=claimed_by))
    except IntegrityError:
        session.commit()
        return False, 0
    existing = set(session.exec(
        select(ReminderLedger.kind).where(
            ReminderLedger.connection_id == connection_id,
            ReminderLedger.generation == generation,
            col(ReminderLedger.kind).in_(list(superseded)),
        )
    ).all()) if superseded else set()
    added = 0
    for older in superseded:
        if older in existing:
            continue
        try:
            with session.begin_nested():
                session.add(ReminderLedger(connection_id=connection_id, generation=generation, kind=older,
                                           claimed_at=now, claimed_by=f"superseded by {kind}", sent_at=now))
            added += 1
        except IntegrityError:
            continue
    session.commit()
    return True, added


# Batch forms of the sweep's claims and look-ups: one statement per batch of due items instead of a
# round trip (and a commit) per item. Claims stay claims: a row is claimed by exactly one caller
# across processes (unique constraint with ON CONFLICT DO NOTHING, or a conditional UPDATE), and
# every claiming function commits before it returns, so the claim is visible before anything is posted.

LedgerKey = tuple[int, int, str]
"""(connection_id, generation, kind): one row of ``reminder_ledger``."""

def _ledger_insert_ignoring_duplicates(session: Session) -> sa.Insert:
    """``INSERT INTO reminder_ledger ... ON CONFLICT DO NOTHING RETURNING ...`` in the session's dialect
    (on the Core table: executed with a list of rows, SQLAlchemy sends them as multi-row VALUES pages
    of one cached statement)."""
    from sqlalchemy.dialects import postgresql, sqlite

    table = ReminderLedger.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - make_engine accepts only these two
        raise ValueError(f"unsupported database dialect {dialect!r}")
    return stmt.on_conflict_do_nothing(index_elements=["connection_id", "generation", "kind"]).returning(
        table.c.id, table.c.connection_id, table.c.generation, table.c.kind
    )


def _insert_ledger_rows(session: Session, rows: Sequence[dict[str, object]]) -> dict[LedgerKey, int]:
    """Insert ledger rows, skipping any whose key exists (or is being inserted by another process,
    which PostgreSQL waits for). Returns the keys this call inserted, each with its row id.

    Rows go in key order, so two processes inserting overlapping batches take the same order and
    cannot deadlock on each other's unique-index entries.
    """
    ordered = [row for _key, row in sorted({(r["connection_id"], r["generation"], r["kind"]): r
                                            for r in rows}.items())]  # type: ignore[type-var]
    if not ordered:
        return {}
    result = session.execute(_ledger_insert_ignoring_duplicates(session), ordered)
    return {(int(cid), int(generation), str(kind)): int(row_id) for row_id, cid, generation, kind in result.all()}


def claim_reminders(
    session: Session, keys: Sequence[LedgerKey], claimed_by: str, now: datetime
) -> dict[LedgerKey, int]:
    """Batch ``claim_reminder``: claim each (connection, generation, kind) that nobody holds yet, in one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING``. Returns the keys this call claimed (each exactly
    one caller's, across processes) with their ledger row ids. Commits.
    """
    now = _aware(now)
    claimed = _insert_ledger_rows(session, [
        {"connection_id": c, "generation": g, "kind": k, "claimed_at": now, "claimed_by": claimed_by, "sent_at": None}
        for c, g, k in keys
    ]) if keys else {}
    session.commit()
    return claimed


def claim_reminders_superseding(
    session: Session,
    claims: Sequence[tuple[LedgerKey, Sequence[str]]],
    claimed_by: str,
    now: datetime,
) -> tuple[dict[LedgerKey, int], int]:
    """Batch ``claim_reminder_superseding``: claim each key and, in the same committed transaction,
    record the less urgent kinds it supersedes as done (only for the keys this call won).

    Returns (the keys claimed with their ledger row ids, how many superseded kinds were recorded).
    """
    now = _aware(now)
    won = _insert_ledger_rows(session, [
        {"connection_id": c, "generation": g, "kind": k, "claimed_at": now, "claimed_by": claimed_by, "sent_at": None}
        for (c, g, k), _older in claims
    ]) if claims else {}
    superseded = [
        {"connection_id": c, "generation": g, "kind": older, "claimed_at": now,
         "claimed_by": f"superseded by {k}", "sent_at": now}
        for (c, g, k), olders in claims if (c, g, k) in won for older in olders
    ]
    added = len(_insert_ledger_rows(session, superseded)) if superseded else 0
    session.commit()
    return won, added


def settle_reminder_claims(
    session: Session, sent: Sequence[int], released: Sequence[int], now: datetime
) -> None:
    """Batch ``mark_reminder_sent`` and ``release_reminder`` by ledger row id, in one transaction:
    ``sent`` rows are recorded as sent; ``released`` rows, if still unsent, are deleted so the next
    sweep retries them. Commits."""
    if sent:
        session.execute(
            sa.update(ReminderLedger).where(col(ReminderLedger.id).in_(list(sent))).values(sent_at=_aware(now))
        )
    if released:
        session.execute(
            sa.delete(ReminderLedger).where(
                col(ReminderLedger.id).in_(list(released)), col(ReminderLedger.sent_at).is_(None)
            )
        )
    session.commit()


def due_expiry_reminder_keys(
    session: Session, *, today: date, lead_days: Sequence[int], limit: int = 2000
) -> list[LedgerKey]:
    """Like ``due_expiry_reminders`` without loading the connections: (connection id, secret generation,
    most urgent pending kind) of each live connection with an expiry reminder due, soonest expiry first."""
    if not lead_days:
        return []
    rows = session.execute(due_expiry_reminders_statement(today, lead_days, limit)).all()
    return [(int(cid), int(generation), str(kind)) for cid, kind, generation in rows if kind]


def connection_summaries(session: Session, connection_ids: Sequence[int]) -> dict[int, sa.Row]:
    """The plain (secret-free) columns a notice about a connection needs, for many connections in one
    query: id, team_id, name, account_type, marketplace_id, region, created_by, secret_expires_on,
    secret_generation, status, and what ``exposed_kinds`` reads (fingerprints, exposed_secrets)."""
    if not connection_ids:
        return {}
    stmt = sa.select(
        col(Connection.id), col(Connection.team_id), col(Connection.name), col(Connection.account_type),
        col(Connection.marketplace_id), col(Connection.region), col(Connection.created_by),
        col(Connection.secret_expires_on), col(Connection.secret_generation), col(Connection.status),
        col(Connection.client_secret_fp), col(Connection.refresh_token_fp), col(Connection.exposed_secrets),
    ).where(col(Connection.id).in_(list(connection_ids)))
    return {int(row.id): row for row in session.execute(stmt).all()}


def connections_by_ids(session: Session, connection_ids: Sequence[int]) -> dict[int, Connection]:
    """Many connections (whole rows) in one query, by id; ids that do not exist are left out."""
    if not connection_ids:
        return {}
    rows = session.exec(select(Connection).where(col(Connection.id).in_(list(connection_ids)))).all()
    return {conn.id: conn for conn in rows if conn.id is not None}


def due_health_check_ids(session: Session, now: datetime, limit: int = 500) -> list[int]:
    """Ids of live connections whose next health check is due, most overdue first (uses the index):
    ``list_due_health_checks`` without loading the rows."""
    stmt = (
        sa.select(col(Connection.id))
        .where(col(Connection.next_health_check_at) <= _aware(now), col(Connection.status) != "disconnected")
        .order_by(col(Connection.next_health_check_at), col(Connection.id))
        .limit(limit)
    )
    return [int(i) for i in session.execute(stmt).scalars().all()]


def claim_health_checks(session: Session, next_checks: dict[int, datetime], now: datetime) -> list[int]:
    """Batch ``claim_health_check``: for each connection id still live and due at ``now``, move its next
    check to its new time, in one ``UPDATE ... RETURNING``; returns the ids this call claimed. Commits.

    Moving the check out of the due range is the claim: once committed, no other process finds it
    due. On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` first, so rows another
    process is claiming at this moment are left to it instead of waited for (no lock-order deadlock);
    the due test is re-evaluated on the newest row version. SQLite serialises writers.
    """
    if not next_checks:
        return []
    ids = sorted(next_checks)
    current = col(Connection.next_health_check_at)
    claimable = (
        sa.select(col(Connection.id))
        .where(col(Connection.id).in_(ids), current <= _aware(now), col(Connection.status).in_(LIVE_STATUSES))
        .with_for_update(skip_locked=True)
    )
    column_type = Connection.__table__.c.next_health_check_at.type  # type: ignore[attr-defined]
    new_next = sa.case(
        {cid: sa.literal(_aware(next_checks[cid]), type_=column_type) for cid in ids},
        value=col(Connection.id),
        else_=current,
    )
    stmt = (
        sa.update(Connection)
        .where(col(Connection.id).in_(claimable.scalar_subquery()))
        .values(next_health_check_at=new_next)
        .returning(col(Connection.id))
    )
    claimed = sorted(int(i) for i in session.execute(stmt).scalars().all())
    session.commit()
    return claimed


def reschedule_health_checks(session: Session, connection_ids: Sequence[int], when: datetime) -> None:
    """Batch ``reschedule_health_check``. Commits."""
    if connection_ids:
        session.execute(
            sa.update(Connection)
            .where(col(Connection.id).in_(list(connection_ids)), col(Connection.status).in_(LIVE_STATUSES))
            .values(next_health_check_at=_aware(when))
        )
    session.commit()


def count_audit_actions_by_connection(session: Session, connection_ids: Sequence[int], action: str) -> dict[int, int]:
    """``count_audit_actions`` for many connections in one grouped query (served by
    ``ix_audit_log_connection_id_action``); connections with none are left out."""
    if not connection_ids:
        return {}
    stmt = (
        sa.select(col(AuditEntry.connection_id), sa.func.count())
        .where(col(AuditEntry.connection_id).in_(list(connection_ids)), col(AuditEntry.action) == action)
        .group_by(col(AuditEntry.connection_id))
    )
    return {int(cid): int(n) for cid, n in session.execute(stmt).all()}


def ledger_entries(
    session: Session, connection_ids: Sequence[int], generation: int
) -> dict[tuple[int, str], datetime | None]:
    """Every ledger row of one generation for many connections: (connection id, kind) -> sent_at
    (None while only claimed)."""
    if not connection_ids:
        return {}
    stmt = sa.select(col(ReminderLedger.connection_id), col(ReminderLedger.kind), col(ReminderLedger.sent_at)).where(
        col(ReminderLedger.connection_id).in_(list(connection_ids)), col(ReminderLedger.generation) == generation
    )
    return {(int(cid), str(kind)): sent_at for cid, kind, sent_at in session.execute(stmt).all()}
