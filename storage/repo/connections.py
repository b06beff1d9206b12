"""Looking connections up: by name (exact, then by ``name_key``), id, seller/vendor and region, fingerprint,
and the secret-free columns a notice needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from storage.models import Connection
from storage.names import name_key
from storage.repo._shared import Reads


class ConnectionNameTaken(ValueError):
    """Another connection in the same workspace already has this name, or one that looks the same
    (``storage.names.name_key``). ``existing_name`` is that connection's name when known."""

    def __init__(self, message: str, existing_name: str | None = None) -> None:
        super().__init__(message)
        self.existing_name = existing_name


class ConnectionNotFound(LookupError):
    """The connection id does not exist (in that workspace)."""


def get_connection(session: Session, team_id: str, name: str) -> Connection | None:
    """The connection called ``name`` in the workspace, whatever its status."""
    stmt = select(Connection).where(Connection.team_id == team_id, Connection.name == name)
    return session.exec(stmt).first()


def get_connection_by_key(session: Session, team_id: str, name: str) -> Connection | None:
    """The connection whose name is the same as ``name`` by ``name_key`` (``main`` finds ``Main``,
    so does ``Ｍａｉｎ`` or a Cyrillic look-alike), whatever its status. At most one: the key is unique."""
    stmt = select(Connection).where(Connection.team_id == team_id, Connection.name_key == name_key(name))
    return session.exec(stmt).first()


# The exact name or the same key (``storage.names.name_key``) in one workspace: one statement for both.
_NAME_OR_KEY = sa.and_(col(Connection.team_id) == sa.bindparam("team_id"),
                       sa.or_(col(Connection.name) == sa.bindparam("name"),
                              col(Connection.name_key) == sa.bindparam("key")))


def _named(rows: Sequence[Any], name: str, key: str) -> Any:
    """Of the rows ``_NAME_OR_KEY`` found (at most two), the one named exactly ``name``, else the one with its key."""
    return next((r for r in rows if r.name == name), None) or next((r for r in rows if r.name_key == key), None)


def find_connection_by_name(session: Session, team_id: str, name: str) -> Connection | None:
    """What a person means by ``name`` in a command: the exact name, else the one with the same key
    (one query for both: a new name, as every credential submission has, would otherwise cost two)."""
    key = name_key(name)
    rows = session.exec(select(Connection).where(_NAME_OR_KEY), params={"team_id": team_id, "name": name,
                                                                       "key": key}).all()
    return _named(rows, name, key)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class NameHolder:
    """The connection that holds a name (or a look-alike of it): what a credential submission's check needs."""

    name: str
    status: str
    selling_partner_id: str
    region: str


_NAME_HOLDERS = sa.select(col(Connection.name), col(Connection.name_key), col(Connection.status),
                          col(Connection.selling_partner_id), col(Connection.region)).where(_NAME_OR_KEY)


def name_holder(reads: Reads, team_id: str, name: str) -> NameHolder | None:
    """``find_connection_by_name``'s answer as plain values, in one prebuilt statement: a credential
    submission asks it before its ack, where an ORM object and session cost six times the query (BENCHMARKS.md)."""
    key = name_key(name)
    row = _named(reads.execute(_NAME_HOLDERS, {"team_id": team_id, "name": name, "key": key}).all(), name, key)
    return None if row is None else NameHolder(row.name, row.status, row.selling_partner_id, row.region)


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


def get_team_connection(session: Session, team_id: str, connection_id: int) -> Connection | None:
    """A connection by id, only if it belongs to ``team_id`` (ids from buttons are never trusted alone)."""
    conn = session.get(Connection, connection_id)
    return conn if conn is not None and conn.team_id == team_id else None


def connection_summaries(session: Session, connection_ids: Sequence[int]) -> dict[int, sa.Row[*tuple[Any, ...]]]:
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
