"""Look-alike names and lasting exposure: connections.name_key (unique per team) and exposed_secrets.

``name_key`` is ``storage.names.name_key(name)`` (NFKC, invisible characters removed, case folded,
TS #39 skeleton); the unique constraint (team_id, name_key) makes the database refuse a look-alike.
``exposed_secrets`` keeps the fingerprints of secret values seen in Slack, so "exposed" no longer is
a status that a reconnect or a health recovery overwrites: rows whose status was "exposed" become
"connected" with their exposure recorded here.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from storage.names import name_key

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The key function is imported, not copied: a later change to it needs a migration that recomputes
# the keys. U+001F never occurs in a real key (names are printable: the form refuses control
# characters), so a key holding it can only come from the duplicate suffix below.
DUPLICATE_MARK = "\x1f"


def _backfill_keys(bind: sa.Connection) -> None:
    """Give every row its key. Rows that already collide under the new key (e.g. "Main" and "main"
    made before this revision) keep working: the oldest row (lowest id) gets the plain key, each later
    one its key suffixed with U+001F and its row id, so the unique constraint can be created and the
    later duplicates stay reachable by their exact name (only the oldest is found by a look-alike)."""
    rows = bind.execute(sa.text("SELECT id, team_id, name FROM connections ORDER BY id")).all()
    seen: set[tuple[str, str]] = set()
    for row_id, team_id, name in rows:
        key = name_key(name or "")
        if (team_id, key) in seen:
            key = f"{key}{DUPLICATE_MARK}{row_id}"
        seen.add((team_id, key))
        bind.execute(sa.text("UPDATE connections SET name_key = :key WHERE id = :id"), {"key": key, "id": row_id})


def _carry_exposure(bind: sa.Connection) -> None:
    """Record what earlier versions knew about leaked secrets: the leak guard's ledger entries
    (``exposed:<kind>:<fingerprint prefix>``) that match a secret still in use, and, for a row whose
    status said "exposed" without a matching entry, both secrets in use (the cautious reading)."""
    rows = bind.execute(sa.text(
        "SELECT id, status, client_secret_fp, refresh_token_fp FROM connections WHERE status <> 'disconnected'"
    )).all()
    entries = bind.execute(sa.text("SELECT connection_id, kind FROM reminder_ledger WHERE kind LIKE 'exposed:%'")).all()
    prefixes: dict[int, list[tuple[str, str]]] = {}
    for connection_id, kind in entries:
        parts = str(kind).split(":")
        if len(parts) == 3:
            prefixes.setdefault(int(connection_id), []).append((parts[1], parts[2]))
    for row_id, status, secret_fp, token_fp in rows:
        current = {"client_secret": secret_fp, "refresh_token": token_fp}
        leaked: dict[str, list[str]] = {}
        for kind, prefix in prefixes.get(int(row_id), []):
            fp = current.get(kind)
            if fp and prefix and fp.startswith(prefix):
                leaked.setdefault(kind, [fp])
        if status == "exposed" and not leaked:
            leaked = {kind: [fp] for kind, fp in current.items() if fp}
        if leaked or status == "exposed":
            bind.execute(
                sa.text("UPDATE connections SET exposed_secrets = :leaked, status = :status WHERE id = :id"),
                {"leaked": json.dumps(leaked) if leaked else None,
                 "status": "connected" if status == "exposed" else status, "id": row_id},
            )


def upgrade() -> None:
    with op.batch_alter_table("connections") as batch:
        batch.add_column(sa.Column("name_key", sa.String(), nullable=True))
        batch.add_column(sa.Column("exposed_secrets", sa.String(), nullable=True))
    bind = op.get_bind()
    _backfill_keys(bind)
    _carry_exposure(bind)
    with op.batch_alter_table("connections") as batch:
        batch.alter_column("name_key", existing_type=sa.String(), nullable=False)
        batch.create_unique_constraint("uq_connections_team_id_name_key", ["team_id", "name_key"])


def downgrade() -> None:
    bind = op.get_bind()
    # Earlier versions knew exposure only as a status.
    bind.execute(sa.text(
        "UPDATE connections SET status = 'exposed' WHERE exposed_secrets IS NOT NULL AND status = 'connected'"
    ))
    with op.batch_alter_table("connections") as batch:
        batch.drop_constraint("uq_connections_team_id_name_key", type_="unique")
        batch.drop_column("exposed_secrets")
        batch.drop_column("name_key")
