"""storage.db: engine settings, migrations (fresh, older revision, twice, concurrent), ping."""

from __future__ import annotations

import gc
import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel, select

from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database, current_revision, head_revision, make_engine, migrate
from storage.models import Connection, exposed_kinds
from storage.names import name_key
from tests.storage.conftest import NOW, SECRET_A, SECRET_B, TOKEN_A, TOKEN_B, make_connection


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
    assert current_revision(empty_db.engine) == head_revision() == "0010"
    assert _tables(empty_db) == {"connections", "checklist_progress", "audit_log", "reminder_ledger",
                                 "idempotency_keys", "user_preferences", "jobs", "worker_heartbeats",
                                 "tool_keys", "tool_key_scopes", "tool_key_exports", "processed_notifications"}
    with empty_db.engine.connect() as c:
        diff = compare_metadata(MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []  # migrations create exactly what the models declare (columns, types, indexes)


def _insert_old_row(db: Database, crypto: Crypto, row_id: int, name: str, *, team_id: str = "T1",
                    status: str = "connected", secret: str = SECRET_A, token: str = TOKEN_A) -> None:
    """A connection (and its "connected" audit entry) as the 0001 schema stores it: plain SQL, without
    the columns later revisions add (the ORM model has them)."""
    values = {
        "id": row_id, "team_id": team_id, "name": name, "account_type": "seller", "spid": "A1B2C3D4E5F6G7",
        "region": "EU", "mp": "A1PA6795UKMFR9", "client_id": "amzn1.application-oa2-client.0123",
        "cs_enc": crypto.encrypt(secret, table="connections", row_id=row_id, field="client_secret"),
        "rt_enc": crypto.encrypt(token, table="connections", row_id=row_id, field="refresh_token"),
        "cs_fp": crypto.fingerprint(secret), "rt_fp": crypto.fingerprint(token),
        "created_on": date(2026, 2, 1), "expires_on": date(2026, 7, 31), "status": status, "now": NOW,
    }
    with db.engine.begin() as c:
        c.execute(sa.text(
            "INSERT INTO connections (id, team_id, name, account_type, selling_partner_id, region, marketplace_id,"
            " client_id, client_secret_enc, refresh_token_enc, client_secret_fp, refresh_token_fp,"
            " secret_created_on, secret_expires_on, secret_generation, status, transient_failures, created_by,"
            " created_at, updated_at) VALUES (:id, :team_id, :name, :account_type, :spid, :region, :mp,"
            " :client_id, :cs_enc, :rt_enc, :cs_fp, :rt_fp, :created_on, :expires_on, 1, :status, 0, 'U123',"
            " :now, :now)"), values)
        c.execute(sa.text(
            "INSERT INTO audit_log (team_id, connection_id, connection_name, actor, action, created_at)"
            " VALUES (:team_id, :id, :name, 'U123', 'connected', :now)"), values)


def test_older_database_is_upgraded_with_data_kept(empty_db: Database) -> None:
    migrate(empty_db.engine, "0001")
    assert current_revision(empty_db.engine) == "0001"
    assert "reminder_ledger" not in _tables(empty_db)
    crypto = Crypto([generate_key("k")])
    _insert_old_row(empty_db, crypto, 7, "Main EU")  # the 0001 schema already holds connections and audit
    migrate(empty_db.engine)
    assert current_revision(empty_db.engine) == head_revision()
    with empty_db.session() as s:
        row = repo.get_connection(s, "T1", "Main EU")
        assert row is not None and row.id == 7 and row.name_key == name_key("Main EU")
        assert repo.load_secrets(s, crypto, row).refresh_token == TOKEN_A
        assert [a.action for a in repo.list_audit(s, "T1")] == ["connected"]
        assert repo.claim_reminder(s, 7, 1, "expiry:30", "p1", NOW)  # the new table works


def test_0004_keys_existing_names_and_keeps_earlier_look_alikes_working(empty_db: Database) -> None:
    """Names that collide under the new key (made before 0004) do not stop the migration: the oldest
    keeps the plain key, later ones get a suffixed key, and every row stays reachable by its name."""
    migrate(empty_db.engine, "0003")
    crypto = Crypto([generate_key("k")])
    _insert_old_row(empty_db, crypto, 1, "Main")
    _insert_old_row(empty_db, crypto, 2, "main", secret=SECRET_B, token=TOKEN_B)
    _insert_old_row(empty_db, crypto, 3, "M\u0430in", secret=SECRET_B, token=TOKEN_B)
    _insert_old_row(empty_db, crypto, 4, "main", team_id="T2")  # another workspace: its own key space
    migrate(empty_db.engine)
    with empty_db.session() as s:
        keys = {c.id: c.name_key for c in s.exec(select(Connection)).all()}
        assert keys[1] == keys[4] == name_key("Main")
        assert keys[2] == name_key("Main") + "\x1f2" and keys[3] == name_key("Main") + "\x1f3"
        assert repo.get_connection_by_key(s, "T1", "MAIN").id == 1  # type: ignore[union-attr]
        assert repo.find_connection_by_name(s, "T1", "main").id == 2  # type: ignore[union-attr]
    # and the constraint now holds: another look-alike is refused
    with pytest.raises(repo.ConnectionNameTaken) as refused:
        make_connection(empty_db, crypto, name="Ｍａｉｎ", partner="B1B2C3D4E5F6G7")
    assert refused.value.existing_name == "Main"


def test_find_connection_by_name_asks_once_for_the_name_and_its_look_alikes(empty_db: Database) -> None:
    """A name nobody has (every credential submission's) costs one statement, not the exact one and then the key's."""
    migrate(empty_db.engine)
    crypto = Crypto([generate_key("k")])
    make_connection(empty_db, crypto, name="Main")
    statements: list[str] = []
    sa.event.listen(empty_db.engine, "before_cursor_execute",
                    lambda _conn, _cursor, statement, *_rest: statements.append(statement))
    with empty_db.session() as s:
        found = repo.find_connection_by_name(s, "T1", "\uff2d\uff41\uff49\uff4e")  # fullwidth look-alike
        assert found is not None and found.name == "Main"
        assert repo.find_connection_by_name(s, "T1", "Other") is None
        assert repo.find_connection_by_name(s, "T2", "Main") is None  # another workspace
    assert len([q for q in statements if "FROM connections" in q]) == 3


def test_name_holder_answers_as_find_connection_by_name_does_on_a_plain_connection(empty_db: Database) -> None:
    """The credential submission's check before its ack: the same row as the ORM look-up (exact name first,
    else the look-alike), as plain values, in one statement on a connection without an ORM session."""
    migrate(empty_db.engine)
    crypto = Crypto([generate_key("k")])
    make_connection(empty_db, crypto, name="Main")
    make_connection(empty_db, crypto, name="main x", partner="B1B2C3D4E5F6G7")
    statements: list[str] = []
    sa.event.listen(empty_db.engine, "before_cursor_execute",
                    lambda _conn, _cursor, statement, *_rest: statements.append(statement))
    asked = [("T1", "\uff2d\uff41\uff49\uff4e"), ("T1", "Main"), ("T1", "MAIN X"), ("T1", "Other"), ("T2", "Main")]
    with empty_db.reading() as conn:
        held = [repo.name_holder(conn, team, name) for team, name in asked]
    assert len([q for q in statements if "FROM connections" in q]) == len(asked)
    with empty_db.session() as s:
        rows = [repo.find_connection_by_name(s, team, name) for team, name in asked]
    assert [h and (h.name, h.status, h.selling_partner_id, h.region) for h in held] == [
        r and (r.name, r.status, r.selling_partner_id, r.region) for r in rows]
    assert [h and h.name for h in held] == ["Main", "Main", "main x", None, None]


def test_plain_reads_answer_as_a_connection_does_for_the_reads_before_an_ack(empty_db: Database) -> None:
    """``Database.plain_reads()`` (SQLite: the statement compiled once, on the DB-API cursor) gives the same
    values as ``reading()``: the look-alike name check and the reader's language with its aware datetime."""
    migrate(empty_db.engine)
    crypto = Crypto([generate_key("k")])
    make_connection(empty_db, crypto, name="Main")
    make_connection(empty_db, crypto, name="main x", partner="B1B2C3D4E5F6G7")
    with empty_db.session() as s:
        repo.remember_slack_locale(s, "T1", "U1", "zh-CN", NOW)
        repo.set_language(s, "T1", "U2", "en", NOW)
        s.commit()
    asked = [("T1", "\uff2d\uff41\uff49\uff4e"), ("T1", "Main"), ("T1", "MAIN X"), ("T1", "Other"), ("T2", "Main")]
    readers = [("T1", "U1"), ("T1", "U2"), ("T1", "U3"), ("T2", "U1")]
    plain = empty_db.plain_reads()
    for _twice in range(2):  # the second time from the compiled plan
        with empty_db.reading() as conn:
            assert [repo.name_holder(plain, t, n) for t, n in asked] == [repo.name_holder(conn, t, n) for t, n in asked]
            assert [repo.get_reader(plain, t, u) for t, u in readers] == [repo.get_reader(conn, t, u)
                                                                          for t, u in readers]
    first = repo.get_reader(plain, "T1", "U1")
    assert first.slack_locale == "zh-CN" and first.slack_locale_at == NOW and first.slack_locale_at.tzinfo is not None
    assert [h and h.name for h in (repo.name_holder(plain, t, n) for t, n in asked)] == [
        "Main", "Main", "main x", None, None]


def test_plain_reads_on_sqlite_leave_no_transaction_open_and_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    from tests.db_fixtures import migrated_sqlite

    with migrated_sqlite(tmp_path) as sqlite_db:
        _plain_reads_beside_a_writer(sqlite_db)


def test_a_plain_read_that_fails_raises_as_sqlalchemy_does_without_its_parameters(empty_db: Database) -> None:
    """Callers catch SQLAlchemyError (the language falls back to the cache): a failure on SQLite's cursor is
    raised as one, without the parameters (on PostgreSQL the engine's own error, as on any connection)."""
    from sqlalchemy.exc import SQLAlchemyError

    with pytest.raises(SQLAlchemyError) as failed:  # no tables yet
        repo.name_holder(empty_db.plain_reads(), "T1", "Typed-by-someone")
    if empty_db.engine.dialect.name == "sqlite":
        assert "Typed-by-someone" not in str(failed.value)


def test_plain_reads_on_sqlite_keep_one_connection_per_thread_outside_the_pool(tmp_path: Path) -> None:
    """Each thread reads on a DB-API connection of its own, opened once (no pool check-out per read, none of
    the pool's places taken), closed when the thread ends, after a failed read, and by ``dispose``."""
    from tests.db_fixtures import migrated_sqlite

    with migrated_sqlite(tmp_path) as sqlite_db:
        opened: list[object] = []
        sa.event.listen(sqlite_db.engine, "connect", lambda dbapi_connection, record: opened.append(dbapi_connection))
        plain = sqlite_db.plain_reads()
        checked_out = sqlite_db.engine.pool.checkedout()

        used: list[sqlite3.Connection] = []  # each thread's connection, after its reads

        def reads(n: int) -> None:
            for _ in range(n):
                assert repo.get_reader(plain, "T1", "U1").slack_locale is None
            used.append(plain._local.connection.connection)

        reads(50)
        assert len(opened) <= 1  # the first read may take a pooled connection instead of opening one
        assert sqlite_db.engine.pool.checkedout() == checked_out
        with sqlite_db.session(write=True) as session:  # the pool still serves sessions as before
            repo.remember_slack_locale(session, "T1", "U2", "zh-CN", NOW)
            session.commit()
        reads(5)
        assert used[0] is used[1]

        threads = [threading.Thread(target=reads, args=(10,)) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        theirs = used[2:]
        assert len({id(c) for c in theirs}) == 3 and not {id(c) for c in theirs} & {id(used[0])}
        gc.collect()
        for connection in theirs:
            with pytest.raises(sqlite3.ProgrammingError):  # each thread ended: its connection is closed
                connection.execute("SELECT 1")
        del theirs[:]

        mine = plain._local.connection.connection  # this thread's connection
        with pytest.raises(sa.exc.SQLAlchemyError):
            plain.execute(sa.select(sa.text("nothing")).select_from(sa.table("no_such_table")), {})
        with pytest.raises(sqlite3.ProgrammingError):  # a failed read closes it ...
            mine.execute("SELECT 1")
        reads(1)  # ... and the next read opens another
        again = plain._local.connection.connection
        assert again is not mine
        sqlite_db.dispose()
        with pytest.raises(sqlite3.ProgrammingError):  # dispose closes every thread's connection
            again.execute("SELECT 1")
        reads(1)


def _plain_reads_beside_a_writer(sqlite_db: Database) -> None:
    plain = sqlite_db.plain_reads()
    with sqlite_db.session(write=True) as writer:  # another connection holds the write lock meanwhile
        repo.remember_slack_locale(writer, "T1", "U1", "zh-CN", NOW)
        writer.flush()
        assert repo.get_reader(plain, "T1", "U1").slack_locale is None  # not committed: not seen
        writer.commit()
    assert repo.get_reader(plain, "T1", "U1").slack_locale == "zh-CN"
    with sqlite_db.session(write=True) as writer:  # and the reads left nothing that blocks a writer
        repo.set_language(writer, "T1", "U1", "en", NOW)
        writer.commit()
    assert repo.get_reader(plain, "T1", "U1").language == "en"


def test_0004_carries_exposure_out_of_the_status(empty_db: Database) -> None:
    """A row flagged "exposed" (a status before 0004) becomes connected with its exposure recorded; one whose
    exposure an earlier bug forgot (status back to connected, the leak still in the ledger) is exposed again."""
    migrate(empty_db.engine, "0003")
    crypto = Crypto([generate_key("k")])
    _insert_old_row(empty_db, crypto, 1, "Flagged", status="exposed")
    _insert_old_row(empty_db, crypto, 2, "Forgotten", secret=SECRET_B, token=TOKEN_B)
    _insert_old_row(empty_db, crypto, 3, "Clean", secret=SECRET_A + "0", token=TOKEN_A + "0")
    with empty_db.engine.begin() as c:
        for row_id, kind in ((1, f"exposed:client_secret:{crypto.fingerprint(SECRET_A)[:16]}"),
                             (2, f"exposed:refresh_token:{crypto.fingerprint(TOKEN_B)[:16]}")):
            c.execute(sa.text("INSERT INTO reminder_ledger (connection_id, generation, kind, claimed_at, claimed_by,"
                              " sent_at) VALUES (:id, 1, :kind, :now, 'leak:Ev1', :now)"),
                      {"id": row_id, "kind": kind, "now": NOW})
    migrate(empty_db.engine)
    with empty_db.session() as s:
        rows = {c.name: c for c in s.exec(select(Connection)).all()}
        assert {n: c.status for n, c in rows.items()} == {"Flagged": "connected", "Forgotten": "connected",
                                                          "Clean": "connected"}
        assert exposed_kinds(rows["Flagged"]) == ("client_secret",)
        assert exposed_kinds(rows["Forgotten"]) == ("refresh_token",)
        assert exposed_kinds(rows["Clean"]) == ()


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
