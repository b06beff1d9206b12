"""key_ids_in_use: the key id of every stored ciphertext, read in SQL, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database
from storage.keycheck import ciphertext_columns, key_ids_in_use, samples_under
from storage.models import Connection
from tests.storage.conftest import make_connection


def test_an_empty_database_uses_no_key(empty_db: Database) -> None:
    assert ciphertext_columns(empty_db.engine) == []
    assert key_ids_in_use(empty_db.engine) == set()


def test_a_migrated_database_without_secrets_uses_no_key(db: Database) -> None:
    assert set(ciphertext_columns(db.engine)) >= {("connections", "client_secret_enc"),
                                                  ("connections", "refresh_token_enc")}
    assert key_ids_in_use(db.engine) == set()


def test_every_key_of_every_ciphertext_column_is_found(db: Database) -> None:
    short, long_ = generate_key("a"), generate_key("k20260501-" + "x" * 22)  # 1 and 32 characters
    make_connection(db, Crypto([short]), name="One", partner="A1ONE000000001")
    make_connection(db, Crypto([long_]), name="Two", partner="A1TWO000000002")
    assert key_ids_in_use(db.engine) == {"a", long_.kid}
    # A rotated client secret under a third key: that column alone now uses it.
    third = Crypto([generate_key("third"), short, long_])
    with db.session() as s:
        conn = repo.get_connection(s, "T1", "One")
        assert conn is not None and conn.id is not None
        conn.client_secret_enc = third.encrypt("x", table="connections", row_id=conn.id, field="client_secret")
        s.add(conn)
        s.commit()
    assert key_ids_in_use(db.engine) == {"a", "third", long_.kid}


def test_erased_and_foreign_blobs_are_not_key_ids(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    with db.engine.begin() as c:
        c.execute(sa.update(Connection).where(Connection.id == conn.id).values(  # type: ignore[arg-type]
            client_secret_enc=None, refresh_token_enc=b"\x01\x05\xff\xfe\xfd\xfc\xfb" + b"\x00" * 30))
    assert key_ids_in_use(db.engine) == set()


def test_samples_under_a_key_id_are_its_ciphertexts_only(db: Database) -> None:
    a, ab = generate_key("a"), generate_key("ab")  # "a" is a prefix of "ab": the length byte tells them apart
    first = make_connection(db, Crypto([a]), name="One", partner="A1ONE000000001")
    make_connection(db, Crypto([ab]), name="Two", partner="A1TWO000000002")
    samples = samples_under(db.engine, "a", limit=5)
    assert sorted((t, i, c) for t, i, c, _b in samples) == [
        ("connections", first.id, "client_secret_enc"), ("connections", first.id, "refresh_token_enc")]
    for table, row_id, column, blob in samples:
        assert Crypto([a]).decrypt(blob, table=table, row_id=row_id, field=column.removesuffix("_enc"))
    assert len(samples_under(db.engine, "ab", limit=1)) == 1
    assert samples_under(db.engine, "zz") == []
