"""Tool keys (``amzc_…``): made, listed, revoked, checked, and what they used (issue 15).

A key is ``amzc_`` and 43 URL-safe random characters (``secrets.token_urlsafe(32)``, 256 bits). It is shown
once and never stored: a row keeps its first ``PREFIX_LENGTH`` characters (``prefix``, for recognition in
``keys list`` and for the look-up) and ``key_hash``, HMAC-SHA256 of the whole key under a key derived by HKDF
from one ``ENCRYPTION_KEYS`` entry (``Crypto.tool_key_hash``; ``hash_kid`` names that entry).

Checking a presented key (``authenticate``): rows with the same prefix (almost always one), then a
constant-time comparison (``hmac.compare_digest``) of the HMAC under each row's own ``hash_kid``.

Rotating ``ENCRYPTION_KEYS`` does not break keys: while the old entry stays in ``ENCRYPTION_KEYS`` (as it must
anyway until ``rotate-key`` has re-encrypted the secrets), a key hashed under it still checks, and the first
successful use re-hashes it under the newest entry (the plaintext is in hand only then). A key whose
``hash_kid`` is no longer in ``ENCRYPTION_KEYS`` cannot be checked and is refused like an unknown key: make
a new one. ``keys_hashed_under_old_kids`` tells how many wait for their first use.

Like the rest of ``storage.repo``: functions flush, the caller commits.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.crypto import Crypto
from storage.models import Connection, ToolKey, ToolKeyExport, ToolKeyScope
from storage.names import name_key
from storage.repo._shared import _aware

KEY_PREFIX = "amzc_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8
KEY_SHAPE = re.compile(r"amzc_[A-Za-z0-9_-]{32,128}")


class ToolKeyNameTaken(ValueError):
    """The workspace already has a live key with this tool name."""


def new_key_text() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def create_tool_key(
    session: Session, crypto: Crypto, *, team_id: str, name: str, connection_ids: Sequence[int] | None,
    export: bool, created_by: str, now: datetime,
) -> tuple[ToolKey, str]:
    """A new live key (``connection_ids`` None: every connection of the workspace, also later ones) and its
    text, which the caller shows once. Raises ToolKeyNameTaken when ``name`` has a live key."""
    if get_active_tool_key(session, team_id, name) is not None:
        raise ToolKeyNameTaken(f"a live key named {name!r} exists")
    text = new_key_text()
    digest = crypto.tool_key_hash(text)
    assert digest is not None
    row = ToolKey(team_id=team_id, name=name, active_name=name, prefix=text[:PREFIX_LENGTH], key_hash=digest,
                  hash_kid=crypto.newest_kid, export=export, all_connections=connection_ids is None,
                  created_by=created_by, created_at=_aware(now))
    session.add(row)
    try:
        session.flush()
    except sa.exc.IntegrityError:
        session.rollback()
        raise ToolKeyNameTaken(f"a live key named {name!r} exists") from None
    assert row.id is not None
    for connection_id in dict.fromkeys(connection_ids or ()):
        session.add(ToolKeyScope(tool_key_id=row.id, connection_id=connection_id))
    session.flush()
    return row, text


def get_active_tool_key(session: Session, team_id: str, name: str) -> ToolKey | None:
    stmt = select(ToolKey).where(ToolKey.team_id == team_id, ToolKey.active_name == name)
    return session.exec(stmt).first()


def get_tool_key(session: Session, key_id: int) -> ToolKey | None:
    return session.get(ToolKey, key_id)


def list_tool_keys(session: Session, team_id: str) -> list[ToolKey]:
    """The workspace's live keys, by name."""
    stmt = select(ToolKey).where(ToolKey.team_id == team_id, col(ToolKey.revoked_at).is_(None))
    return list(session.exec(stmt.order_by(col(ToolKey.name), col(ToolKey.id))).all())


def scope_ids(session: Session, key_ids: Sequence[int]) -> dict[int, list[int]]:
    """{key id: the connection ids in its scope rows} (keys with ``all_connections`` have none)."""
    if not key_ids:
        return {}
    stmt = select(ToolKeyScope).where(col(ToolKeyScope.tool_key_id).in_(list(key_ids)))
    out: dict[int, list[int]] = {k: [] for k in key_ids}
    for scope in session.exec(stmt.order_by(col(ToolKeyScope.connection_id))).all():
        out[scope.tool_key_id].append(scope.connection_id)
    return out


def in_scope(session: Session, key: ToolKey, connection_id: int) -> bool:
    if key.all_connections:
        return True
    stmt = select(ToolKeyScope).where(ToolKeyScope.tool_key_id == key.id, ToolKeyScope.connection_id == connection_id)
    return session.exec(stmt).first() is not None


def revoke_tool_key(session: Session, key: ToolKey, *, by: str, now: datetime) -> None:
    key.revoked_at = _aware(now)
    key.revoked_by = by
    key.active_name = None
    session.add(key)
    session.flush()


def authenticate(session: Session, crypto: Crypto, presented: str, *, now: datetime) -> ToolKey | None:
    """The live key whose text is ``presented``, else None (unknown, revoked, or hashed under a key id no
    longer in ENCRYPTION_KEYS). Re-hashes a key made under an older ENCRYPTION_KEYS entry."""
    if not KEY_SHAPE.fullmatch(presented):
        return None
    stmt = select(ToolKey).where(ToolKey.prefix == presented[:PREFIX_LENGTH])
    found: ToolKey | None = None
    for row in session.exec(stmt).all():
        digest = crypto.tool_key_hash(presented, row.hash_kid)
        if digest is not None and hmac.compare_digest(digest, row.key_hash) and found is None:
            found = row
    if found is None or found.revoked_at is not None:
        return None
    if found.hash_kid != crypto.newest_kid:
        newest = crypto.tool_key_hash(presented)
        assert newest is not None
        found.key_hash, found.hash_kid = newest, crypto.newest_kid
        session.add(found)
        session.flush()
    return found


def keys_hashed_under_old_kids(session: Session, newest_kid: str) -> int:
    """How many live keys are still hashed under an ENCRYPTION_KEYS entry other than the newest."""
    stmt = sa.select(sa.func.count()).select_from(ToolKey).where(
        col(ToolKey.revoked_at).is_(None), col(ToolKey.hash_kid) != newest_kid)
    return int(session.execute(stmt).scalar_one())


def touch(session: Session, key_id: int, now: datetime) -> None:
    """Record a use (``keys list``'s "last used")."""
    session.execute(sa.update(ToolKey).where(col(ToolKey.id) == key_id).values(last_used_at=_aware(now)))


def is_revoked(session: Session, key_id: int) -> bool:
    stmt = sa.select(col(ToolKey.revoked_at)).where(col(ToolKey.id) == key_id)
    row = session.execute(stmt).first()
    return row is None or row[0] is not None


def record_export(session: Session, key_id: int, connection: Connection, now: datetime) -> None:
    """The tool ``key_id`` now holds ``connection``'s current client secret."""
    assert connection.id is not None
    row = session.get(ToolKeyExport, (key_id, connection.id))
    if row is None:
        row = ToolKeyExport(tool_key_id=key_id, connection_id=connection.id, exported_at=_aware(now))
    row.client_secret_fp = connection.client_secret_fp
    row.secret_generation = connection.secret_generation
    row.exported_at = _aware(now)
    session.add(row)
    session.flush()


def tools_by_connection(session: Session, team_id: str, connection_ids: Sequence[int]) -> dict[int, list[str]]:
    """{connection id: the names of the live keys that may use it}, names sorted; every id is present."""
    out: dict[int, list[str]] = {cid: [] for cid in connection_ids}
    if not connection_ids:
        return out
    live = list_tool_keys(session, team_id)
    scopes = scope_ids(session, [k.id for k in live if k.id is not None and not k.all_connections])
    for key in live:
        reach = connection_ids if key.all_connections else scopes.get(key.id or 0, [])
        for cid in reach:
            if cid in out:
                out[cid].append(key.name)
    return {cid: sorted(set(names)) for cid, names in out.items()}


def exporters_of_current_secret(session: Session, connection_ids: Sequence[int]) -> dict[int, list[str]]:
    """{connection id: the names of live keys that exported its current client secret}; every id is present."""
    out: dict[int, list[str]] = {cid: [] for cid in connection_ids}
    if not connection_ids:
        return out
    stmt = (
        sa.select(col(ToolKeyExport.connection_id), col(ToolKey.name))
        .join(ToolKey, col(ToolKey.id) == col(ToolKeyExport.tool_key_id))
        .join(Connection, col(Connection.id) == col(ToolKeyExport.connection_id))
        .where(col(ToolKeyExport.connection_id).in_(list(connection_ids)), col(ToolKey.revoked_at).is_(None),
               col(ToolKeyExport.client_secret_fp) == col(Connection.client_secret_fp))
    )
    for cid, name in session.execute(stmt).all():
        out[int(cid)].append(str(name))
    return {cid: sorted(set(names)) for cid, names in out.items()}


_TOKEN_COLUMNS = (
    col(Connection.id), col(Connection.name), col(Connection.status), col(Connection.region),
    col(Connection.marketplace_id), col(Connection.selling_partner_id), col(Connection.client_id),
    col(Connection.client_secret_fp), col(Connection.refresh_token_fp), col(Connection.secret_generation),
    col(Connection.last_problem_kind), col(Connection.last_problem_params),
)


def token_view(session: Session, team_id: str, name: str) -> sa.Row[Any] | None:
    """The secret-free columns a token request needs, for the connection a person means by ``name`` (the exact
    name, else the same ``name_key``), in one indexed query: the hot path of the tools' API. A disconnected
    connection has no fingerprints (``client_secret_fp`` NULL)."""
    stmt = (
        sa.select(*_TOKEN_COLUMNS)
        .where(col(Connection.team_id) == team_id,
               sa.or_(col(Connection.name) == name, col(Connection.name_key) == name_key(name)))
        .order_by(sa.case((col(Connection.name) == name, 0), else_=1))
        .limit(1)
    )
    return session.execute(stmt).first()


def connections_named(session: Session, name: str, team_id: str | None = None) -> list[Connection]:
    """Connections called ``name`` (exactly, else by ``name_key``) in ``team_id``, or in any workspace
    (``python -m bot token NAME`` on the bot's own host)."""
    for clause in (col(Connection.name) == name, col(Connection.name_key) == name_key(name)):
        stmt = select(Connection).where(clause)
        if team_id is not None:
            stmt = stmt.where(Connection.team_id == team_id)
        found = list(session.exec(stmt.order_by(col(Connection.team_id), col(Connection.id))).all())
        if found:
            return found
    return []
