"""storage.db: engine settings, migrations (fresh, older revision, twice, concurrent), ping."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database, current_revision, head_revision, make_engine, migrate
from tests.storage.conftest import NOW, SECRET_A, TOKEN_A, make_connection


def _tables(db: Database) -> set[str]:
    return set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}


def test_sqlite_engine_pragmas_and_parent_dir(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "dir" / "bot.db"
    engine = make_engine(f"sqlite:///{target}")
    try:
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert target.exists()
    finally:
        engine.dispose()


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="DATABASE_URL must start with"):
        make_engine("mysql://u@h/db")


def test_fresh_database_migrates_to_head_matching_models(empty_db: Database) -> None:
    assert current_revision(empty_db.engine) is None
    empty_db.migrate()
    assert current_revision(empty_db.engine) == head_revision() == "0003"
    assert _tables(empty_db) == {"connections", "checklist_progress", "audit_log", "reminder_ledger",
                                 "idempotency_keys"}
    with empty_db.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []  # migrations create exactly what the models declare (columns, types, indexes)


def test_older_database_is_upgraded_with_data_kept(empty_db: Database) -> None:
    migrate(empty_db.engine, "0001")
    assert current_revision(empty_db.engine) == "0001"
    assert "reminder_ledger" not in _tables(empty_db)
    crypto = Crypto([generate_key("k")])
    conn = make_connection(empty_db, crypto)  # the 0001 schema already holds connections and audit
    migrate(empty_db.engine)
    assert current_revision(empty_db.engine) == head_revision()
    with empty_db.session() as s:
        row = repo.get_connection(s, "T1", "Main EU")
        assert row is not None and row.id == conn.id
        assert repo.load_secrets(s, crypto, row).refresh_token == TOKEN_A
        assert [a.action for a in repo.list_audit(s, "T1")] == ["connected"]
        assert repo.claim_reminder(s, conn.id, 1, "expiry:30", "p1", NOW)  # the new table works


def test_migrate_twice_is_a_no_op(db: Database, crypto: Crypto) -> None:
    make_connection(db, crypto)
    before = _tables(db)
    db.migrate()
    assert current_revision(db.engine) == head_revision() and _tables(db) == before
    with db.session() as s:
        assert repo.load_secrets(s, crypto, repo.get_connection(s, "T1", "Main EU")).client_secret == SECRET_A


def test_replicas_migrating_at_once(db_url: str) -> None:
    """Several processes' engines upgrade the same empty database at the same moment: all succeed."""
    databases = [Database(db_url) for _ in range(4)]
    barrier = threading.Barrier(len(databases))
    errors: list[BaseException] = []

    def start(d: Database) -> None:
        try:
            barrier.wait()
            d.migrate()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(d,)) for d in databases]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert current_revision(databases[0].engine) == head_revision()
        with databases[0].engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    finally:
        for d in databases:
            d.dispose()


def test_ping_and_dialect(db: Database) -> None:
    assert db.ping() is True
    assert db.dialect in ("sqlite", "postgresql") and db.dialect == db.engine.dialect.name
    assert "password" not in repr(db)


def test_ping_false_when_database_does_not_answer(tmp_path: Path) -> None:
    down = Database("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    try:
        assert down.ping() is False
    finally:
        down.dispose()
    directory = tmp_path / "is_a_dir.db"
    directory.mkdir()
    broken = Database(f"sqlite:///{directory}")
    try:
        assert broken.ping() is False
    finally:
        broken.dispose()


def test_savepoint_rolls_back_inside_a_real_transaction(db: Database, crypto: Crypto) -> None:
    """SQLite runs with real BEGIN/SAVEPOINT semantics (needed by the claim functions)."""
    conn = make_connection(db, crypto)
    with db.session() as s:
        repo.add_audit(s, team_id="T1", actor="U1", action="kept", now=NOW)
        try:
            with s.begin_nested():
                repo.add_audit(s, team_id="T1", actor="U1", action="dropped", now=NOW)
                raise RuntimeError("boom")
        except RuntimeError:
            pass
        s.rollback()  # the outer transaction is rolled back too: nothing of it may survive
    with db.session() as s:
        assert [a.action for a in repo.list_audit(s, "T1")] == ["connected"]
    assert conn.secret_created_on == date(2026, 2, 1)


def test_write_sessions_serialise_read_then_write_units(db: Database) -> None:
    """Read-then-write units of work from many threads all succeed (SQLite: BEGIN IMMEDIATE)."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def worker(n: int) -> None:
        try:
            barrier.wait()
            for i in range(10):
                with db.session(write=True) as s:
                    seen = len(repo.list_audit(s, "T1", limit=1000))
                    repo.add_audit(s, team_id="T1", actor=f"U{n}", action="tick", detail=f"{i} after {seen}", now=NOW)
                    s.commit()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with db.session() as s:
        details = [a.detail for a in repo.list_audit(s, "T1", limit=1000)]
    assert len(details) == 40
    if db.dialect == "sqlite":
        # each unit held the write lock from its first read: the "after N" counts are exactly 0..39
        assert sorted(int(d.split(" after ")[1]) for d in details) == list(range(40))
