"""Which encryption keys the database needs: the key ids of every stored ciphertext.

Every ciphertext column is named ``*_enc`` (see storage/models.py) and every blob starts with
``version (1 byte) | kid length (1 byte) | kid`` (see storage/crypto.py), so the key ids in use are
read in SQL from the first bytes of each blob, one ``SELECT DISTINCT`` per column: the database sends
back one short value per key id, not the ciphertexts.

The tables and columns are taken from the database itself (not from the models), so the check also
works on a database that still waits for a migration, and on an empty one (no tables: no key ids).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

CIPHERTEXT_SUFFIX = "_enc"
_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_HEX_DIGITS = "0123456789ABCDEF"


def _kid_bytes(column: sa.ColumnClause, dialect: str) -> sa.ColumnElement[bytes]:
    """The kid bytes of a blob: ``kid length`` bytes from offset 3 (1-based), length at byte 2."""
    if dialect == "postgresql":
        length = sa.func.get_byte(column, 1)  # get_byte is 0-based
    else:
        # SQLite has no byte-to-integer function: read the length byte as two hex digits.
        hexed = sa.func.hex(sa.func.substr(column, 2, 1))
        high = sa.func.instr(_HEX_DIGITS, sa.func.substr(hexed, 1, 1)) - 1
        low = sa.func.instr(_HEX_DIGITS, sa.func.substr(hexed, 2, 1)) - 1
        length = high * 16 + low
    return sa.func.substr(column, 3, length)


def ciphertext_columns(engine: Engine) -> list[tuple[str, str]]:
    """``(table, column)`` for every ``*_enc`` column the database has."""
    inspector = sa.inspect(engine)
    found: list[tuple[str, str]] = []
    for table in inspector.get_table_names():
        for column in inspector.get_columns(table):
            if str(column["name"]).endswith(CIPHERTEXT_SUFFIX):
                found.append((table, str(column["name"])))
    return found


def key_ids_in_use(engine: Engine) -> set[str]:
    """The key id of every stored ciphertext (blobs that are not ours are left to decryption to report)."""
    kids: set[str] = set()
    columns = ciphertext_columns(engine)
    if not columns:
        return kids
    with engine.connect() as conn:
        for table_name, column_name in columns:
            column = sa.column(column_name, sa.LargeBinary)
            table = sa.table(table_name, column)
            query = sa.select(_kid_bytes(column, engine.dialect.name)).distinct().select_from(table).where(
                column.is_not(None))
            for (raw,) in conn.execute(query):
                if raw is None:
                    continue
                try:
                    kid = bytes(raw).decode("ascii")
                except UnicodeDecodeError:
                    continue
                if _KID_RE.match(kid):
                    kids.add(kid)
    return kids
