"""Writing a connection's credentials: store a verified connection (new or reconnected), replace the client
secret or the refresh token, erase both (disconnect), and record that a secret value was exposed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.meanings import Marketplace, Message, Region
from bot.redaction import mask, redact
from storage.crypto import Crypto
from storage.models import ACCOUNT_TYPES, REGIONS, Connection, IdempotencyKey, leaked_fingerprints
from storage.repo._shared import CLIENT_SECRET, REFRESH_TOKEN, _aware
from storage.repo.audit import add_audit, meaning
from storage.repo.connections import (
    ConnectionNameTaken,
    ConnectionNotFound,
    find_connection_by_name,
    get_connection_by_id,
)
from storage.repo.encryption import _set_secret
from storage.repo.expiry import secret_expiry
from storage.repo.health import HEALTH_CHECK_INTERVAL, schedule_next_health_check


@dataclass(frozen=True, repr=False)
class ConnectionValues:
    """What a verified connection is stored with: its plain fields and its two secrets (encrypted when
    stored). The repr and str show only masks of the secrets."""

    team_id: str
    name: str
    account_type: str
    selling_partner_id: str
    region: str
    marketplace_id: str
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)
    secret_created_on: date
    store_name: str | None = None

    def __repr__(self) -> str:
        return (
            f"ConnectionValues(team_id={self.team_id!r}, name={self.name!r}, account_type={self.account_type!r}, "
            f"selling_partner_id={self.selling_partner_id!r}, region={self.region!r}, "
            f"marketplace_id={self.marketplace_id!r}, client_id={self.client_id!r}, "
            f"client_secret={mask(self.client_secret)!r}, refresh_token={mask(self.refresh_token)!r}, "
            f"secret_created_on={self.secret_created_on!r}, store_name={self.store_name!r})"
        )

    __str__ = __repr__


def create_or_update_connection(
    session: Session,
    crypto: Crypto,
    values: ConnectionValues,
    *,
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
    v = values
    if v.account_type not in ACCOUNT_TYPES:
        raise ValueError(f"account type must be one of {', '.join(ACCOUNT_TYPES)}")
    if v.region not in REGIONS:
        raise ValueError(f"region must be one of {', '.join(REGIONS)}")
    if not v.name.strip():
        raise ValueError("the connection name is empty")
    clash = find_connection_by_name(session, v.team_id, v.name)

    def taken() -> ConnectionNameTaken:
        existing = clash.name if clash is not None else None
        if existing is None:  # lost a race: the row that won has committed, so a new statement sees it
            other = find_connection_by_name(session, v.team_id, v.name)
            existing = other.name if other is not None else None
        return ConnectionNameTaken(f"a connection named {redact(v.name)!r} (or one that looks the same) already "
                                   "exists in this workspace", existing_name=existing)

    if existing_id is None:
        if clash is not None:
            raise taken()
        conn = Connection(
            team_id=v.team_id,
            name=v.name,
            account_type=v.account_type,
            selling_partner_id=v.selling_partner_id,
            region=v.region,
            marketplace_id=v.marketplace_id,
            client_id=v.client_id,
            store_name=v.store_name,
            secret_created_on=v.secret_created_on,
            secret_expires_on=secret_expiry(v.secret_created_on),
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
        if found is None or found.team_id != v.team_id:
            raise ConnectionNotFound(f"connection {existing_id} does not exist in this workspace")
        conn = found
        if clash is not None and clash.id != conn.id:
            raise taken()
        if conn.client_secret_fp is None or conn.client_secret_fp not in crypto.fingerprints(v.client_secret):
            conn.secret_generation += 1
        conn.name = v.name
        conn.account_type = v.account_type
        conn.selling_partner_id = v.selling_partner_id
        conn.region = v.region
        conn.marketplace_id = v.marketplace_id
        conn.client_id = v.client_id
        conn.store_name = v.store_name
        conn.secret_created_on = v.secret_created_on
        conn.secret_expires_on = secret_expiry(v.secret_created_on)
        try:
            with session.begin_nested():  # the renamed row against a look-alike inserted meanwhile
                session.add(conn)
                session.flush()
        except IntegrityError:
            clash = None
            raise taken() from None
        action = "reconnected"
    _set_secret(crypto, conn, CLIENT_SECRET, v.client_secret)
    _set_secret(crypto, conn, REFRESH_TOKEN, v.refresh_token)
    _mark_verified(conn, now, health_check_interval)
    session.add(conn)
    add_audit(
        session,
        team_id=v.team_id,
        actor=created_by,
        action=action,
        connection=conn,
        detail=meaning("guard.audit.detail.connected",
                       account=Message(f"guard.audit.detail.account.{v.account_type}"),
                       seller=v.selling_partner_id, region=Region(v.region),
                       marketplace=Marketplace(v.marketplace_id)),
        now=now,
    )
    return conn


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
        detail=meaning("guard.audit.detail.rotated_secret", generation=connection.secret_generation,
                       expires=connection.secret_expires_on),
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
        detail=meaning("guard.audit.detail.reauthorized"), now=now,
    )
    return connection


def _mark_verified(connection: Connection, now: datetime, health_check_interval: timedelta) -> None:
    assert connection.id is not None
    connection.status = "connected"
    connection.last_verified_at = now
    connection.last_problem_kind = connection.last_problem_params = None
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
        detail=meaning("guard.audit.detail.disconnected"), now=now,
    )
    session.flush()
    return True


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
