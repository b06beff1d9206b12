"""Key rotation: re-encrypt every stored secret under the newest key (``rotate-key``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import col, select

from bot.redaction import redact
from storage.crypto import Crypto, DecryptionError
from storage.db import Database
from storage.models import Connection, leaked_fingerprints
from storage.repo._shared import CLIENT_SECRET, REFRESH_TOKEN, SYSTEM_ACTOR
from storage.repo.audit import add_audit, meaning
from storage.repo.encryption import _decrypt_field, _set_secret


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


def _refingerprint_exposure(connection: Connection, field: str, old_fp: str | None) -> None:
    """After ``field`` was fingerprinted again under a new key: a leaked value still in use keeps its mark."""
    new_fp = getattr(connection, f"{field}_fp")
    leaked = leaked_fingerprints(connection.exposed_secrets)
    if old_fp and new_fp and old_fp != new_fp and old_fp in leaked.get(field, []):
        leaked[field] = [new_fp if fp == old_fp else fp for fp in leaked[field]]
        connection.exposed_secrets = json.dumps(leaked)


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
                    detail=meaning("guard.audit.detail.key_rotated", count=count, key=newest), now=now,
                )
            session.commit()
        rotated += sum(per_team.values())
        if on_batch is not None:
            on_batch(rotated)
    if failures:
        raise KeyRotationError(rotated, failures)
    return rotated
