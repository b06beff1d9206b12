"""Which encryption keys the database needs: the key ids of every stored ciphertext.

Every ciphertext column is named ``*_enc`` (see storage/models.py) and every blob starts with
``version (1 byte) | kid length (1 byte) | kid`` (see storage/crypto.py), so the key ids in use are
read in SQL from the first bytes of each blob with ``SELECT DISTINCT``: the database sends back one
short value per key id, never the ciphertexts.

The tables and columns are taken from the database itself (not from the models), so the check also
works on a database that still waits for a migration, and on an empty one (no tables: no key ids).
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Engine

CIPHERTEXT_SUFFIX = "_enc"
_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


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
            if engine.dialect.name == "postgresql":  # one scan: get_byte (0-based) reads the kid length
                query = sa.select(sa.func.substr(column, 3, sa.func.get_byte(column, 1))).distinct().select_from(
                    table).where(column.is_not(None))
                kids.update(kid for (raw,) in conn.execute(query) if (kid := _ascii(raw)) and _KID_RE.match(kid))
                continue
            length_byte = sa.func.substr(column, 2, 1)
            # SQLite has no byte-to-integer function: two scans that return a handful of rows, the distinct
            # kid lengths, then per length the distinct kids (0.4 s for 100,000 rows and two kids).
            lengths = [bytes(raw) for (raw,) in conn.execute(
                sa.select(length_byte).distinct().select_from(table).where(column.is_not(None))) if raw]
            for length in lengths:
                if not length or length[0] == 0:
                    continue
                query = sa.select(sa.func.substr(column, 3, length[0])).distinct().select_from(table).where(
                    length_byte == sa.literal(length, sa.LargeBinary))
                for (raw,) in conn.execute(query):
                    kid = _ascii(raw)
                    if kid is not None and _KID_RE.match(kid):
                        kids.add(kid)
    return kids


def _ascii(raw: object) -> str | None:
    if not isinstance(raw, bytes | bytearray | memoryview):  # what the drivers return for a binary column
        return None
    try:
        return bytes(raw).decode("ascii")
    except UnicodeDecodeError:
        return None


def samples_under(engine: Engine, kid: str, limit: int = 3) -> list[tuple[str, int, str, bytes]]:
    """Up to ``limit`` ``(table, row id, column, blob)`` whose ciphertext was made with key ``kid``, so a
    caller can check that the key it holds under that id is the same key (not just the same id)."""
    prefix = bytes([len(kid)]) + kid.encode("ascii")
    found: list[tuple[str, int, str, bytes]] = []
    with engine.connect() as conn:
        for table_name, column_name in ciphertext_columns(engine):
            column, row_id = sa.column(column_name, sa.LargeBinary), sa.column("id", sa.Integer)
            query = sa.select(row_id, column).select_from(sa.table(table_name, row_id, column)).where(
                sa.func.substr(column, 2, len(prefix)) == sa.literal(prefix, sa.LargeBinary)).limit(limit - len(found))
            found.extend((table_name, int(i), column_name, bytes(blob)) for i, blob in conn.execute(query))
            if len(found) >= limit:
                break
    return found
