"""Engine set-up, programmatic alembic migrations and the ``Database`` handle.

The same code runs on SQLite (WAL, foreign keys on, real transactions and savepoints) and on
PostgreSQL (psycopg 3) chosen by the URL alone.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from bot.redaction import hide_password, redact

log = logging.getLogger(__name__)

T = TypeVar("T")
AnySelect = sa.Select[*tuple[Any, ...]]

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5000
SQLITE_POOL_SIZE = 32
SQLITE_BEGIN_OPTION = "sqlite_begin"
# Any constant works; it only has to be the same in every replica. ("amzbot" as a 64-bit integer.)
MIGRATION_LOCK_ID = 0x616D7A626F74


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


SQLITE_FILE_MODE = 0o600  # like the key file: only the bot's own user reads the database
SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _restrict_sqlite_files(path: Path) -> None:
    """Create the database file 0600 if it is new, and make it and any -wal/-shm/-journal beside it 0600.

    SQLite gives the -wal, -shm and -journal files the permissions of the database file when it creates
    them, so a 0600 database keeps them private too; files left by an older version are tightened here.
    The umask is not touched (it is process-wide and other threads create files too).
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        pass
    else:
        os.close(fd)  # an empty file is a valid, empty SQLite database
    for candidate in (path, *(Path(f"{path}{suffix}") for suffix in SQLITE_SIDE_FILES)):
        try:
            if candidate.stat().st_mode & 0o777 != SQLITE_FILE_MODE:
                os.chmod(candidate, SQLITE_FILE_MODE)
        except FileNotFoundError:
            continue
        except PermissionError as exc:  # someone else's file: say so, do not refuse to start
            log.warning("could not make %s private (chmod 600): %s", candidate, exc.strerror)


class _WriteTurn:
    """This process's writers to one SQLite file, one at a time, in Python.

    SQLite has one writer at a time; a connection that finds the lock taken sleeps in SQLite's busy
    handler (1, 2, 5, 10 ... 100 ms between tries), so threads of one process queueing for the write lock
    each lose tens of milliseconds after the lock is free again (py-spy in ``./dev bench``: most of a
    burst's listener and worker time was ``BEGIN IMMEDIATE``). A ``BEGIN IMMEDIATE`` here first waits for
    its turn on a Python lock, handed to the next thread the moment the transaction commits or rolls
    back; only one thread per process then waits on SQLite (for another process). Correctness never
    rests on this lock: a turn not given back within the busy timeout is taken anyway, with a warning,
    and SQLite's own lock still decides."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holder: int | None = None  # id() of the DBAPI connection whose transaction has the turn

    def take(self, dbapi_connection: Any) -> None:
        if not self._lock.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            log.warning("a SQLite write turn was not given back in %d ms; going ahead", SQLITE_BUSY_TIMEOUT_MS)
            return  # without the turn: this transaction gives nothing back
        self._holder = id(dbapi_connection)

    def give_back(self, dbapi_connection: Any) -> None:
        if self._holder is not None and self._holder == id(dbapi_connection):
            self._holder = None
            self._lock.release()

    def release_on_end(self, engine: Engine) -> None:
        """Give the turn back after the DBAPI commit or rollback ends the transaction, and when the
        connection is closed or thrown away in the middle of one."""
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self.give_back(_raw(dbapi_connection))

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self.give_back(_raw(dbapi_connection))

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]

        @event.listens_for(engine, "close")
        def _on_close(dbapi_connection: Any, connection_record: Any) -> None:
            self.give_back(dbapi_connection)

        @event.listens_for(engine, "invalidate")
        def _on_invalidate(dbapi_connection: Any, connection_record: Any, exception: Any) -> None:
            self.give_back(dbapi_connection)


class _Plan:
    """A prebuilt SELECT compiled once for SQLite: its SQL, its parameters in order with their bind
    processors, and the result processor and name of each column (SQLAlchemy's own, from the types)."""

    __slots__ = ("sql", "params", "columns", "row")

    def __init__(self, statement: AnySelect, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self.params = [(name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                       for name in (compiled.positiontup or ())]
        self.columns = [c.type.dialect_impl(dialect).result_processor(dialect, None)
                        for c in statement.selected_columns]
        self.row: Callable[..., Any] = namedtuple("Row", [str(c.key) for c in statement.selected_columns])  # type: ignore[misc]


class _PlainResult:
    def __init__(self, rows: Sequence[Any]) -> None:
        self._rows = rows

    def all(self) -> Sequence[Any]:
        return self._rows

    def first(self) -> Any:
        return self._rows[0] if self._rows else None


class PlainReads:
    """``Database.plain_reads()``: ``execute(statement, params)`` of a prebuilt SELECT, ``.all()`` or
    ``.first()``, rows by column name, for a read before an ack. On SQLite the statement is compiled once
    and run in autocommit (one statement is consistent by itself) on a DB-API connection the calling thread
    keeps for its reads, with SQLAlchemy's bind and result processors: no Connection, transaction or Result
    objects, which cost four times the query, and no pool check-out and check-in, which cost as much as the
    query again inside a burst of submissions (BENCHMARKS.md, December 4 and 7). A thread's connection is
    detached from the pool (it takes none of the pool's places), closed when the thread ends, when a read
    on it fails, and by ``close()``. On PostgreSQL it runs on ``Database.reading()``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._plans: dict[AnySelect, _Plan] = {}  # each statement compiled once, by statement
        self._local = threading.local()
        self._opened: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()

    def execute(self, statement: AnySelect, params: dict[str, Any]) -> Any:
        db = self._db
        if db.engine.dialect.name != "sqlite":
            with db.reading() as conn:
                return _PlainResult(conn.execute(statement, params).all())
        plan = self._plans.get(statement)
        if plan is None:
            plan = self._plans.setdefault(statement, _Plan(statement, db.engine.dialect))
        values = [params[name] if convert is None else convert(params[name]) for name, convert in plan.params]
        mine = self._connection()
        try:
            fetched = mine.connection.execute(plan.sql, values).fetchall()
        except sqlite3.Error as exc:  # as SQLAlchemy raises it (callers catch SQLAlchemyError); no parameters
            self._local.connection = None
            mine.close()  # the next read starts on a new connection
            raise sa.exc.DBAPIError.instance(plan.sql, None, exc, sqlite3.Error, hide_parameters=True) from exc
        return _PlainResult([plan.row(*[v if convert is None else convert(v)
                                        for convert, v in zip(plan.columns, found, strict=True)])
                             for found in fetched])

    def _connection(self) -> _ThreadConnection:
        mine: _ThreadConnection | None = getattr(self._local, "connection", None)
        if mine is None or mine.connection is None:
            fairy = self._db.engine.raw_connection()  # set up by the engine's "connect" event (the PRAGMAs)
            mine = _ThreadConnection(fairy.driver_connection)
            fairy.detach()
            self._local.connection = mine
            with self._lock:
                self._opened.add(mine)
        return mine

    def close(self) -> None:
        """Close every thread's connection (each thread opens a new one on its next read)."""
        with self._lock:
            opened = list(self._opened)
            self._opened.clear()
        for mine in opened:
            mine.close()


class _ThreadConnection:
    """One thread's DB-API connection for plain reads; closed when the thread (its only holder) ends."""

    __slots__ = ("connection", "__weakref__")

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            try:
                connection.close()
            except sqlite3.Error:
                log.debug("a plain-read connection did not close cleanly")

    __del__ = close


def _raw(connection: Any) -> Any:
    """The DBAPI connection behind a pool proxy (SQLAlchemy passes either)."""
    return getattr(connection, "dbapi_connection", connection)


def make_engine(database_url: str) -> Engine:
    """An Engine for ``database_url`` (``sqlite:///path`` or ``postgresql+psycopg://...``)."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = _sqlite_file(url)
        if path is not None:
            path = path.expanduser().resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            _restrict_sqlite_files(path)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            # Enough pooled connections for every thread of a process (HTTP, listeners, worker loops):
            # an overflow connection is opened, set up (the PRAGMAs below) and closed per checkout.
            pool_size=SQLITE_POOL_SIZE, max_overflow=SQLITE_POOL_SIZE,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself, so SELECTs, DDL and SAVEPOINTs are transactional.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
                cursor.execute("PRAGMA synchronous=NORMAL")
            finally:
                cursor.close()
            if path is not None:  # the -wal/-shm now exist; a file replaced behind our back is caught too
                _restrict_sqlite_files(path)

        writers = _WriteTurn()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            # "IMMEDIATE" takes the write lock at BEGIN (waiting up to busy_timeout); the default
            # DEFERRED lets readers run alongside a writer.
            if conn.get_execution_options().get(SQLITE_BEGIN_OPTION) != "IMMEDIATE":
                conn.exec_driver_sql("BEGIN")
                return
            raw = conn.connection.dbapi_connection
            writers.take(raw)
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            except BaseException:
                writers.give_back(raw)
                raise

        writers.release_on_end(engine)
        return engine
    if backend == "postgresql":
        return sa.create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_recycle=1800)
    raise ValueError(
        f"DATABASE_URL must start with sqlite:/// or postgresql+psycopg://, not {backend}://"
    )


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An alembic Config built in code: no alembic.ini is needed on disk."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("storage/migrations has no revisions")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the database to ``revision`` (default head); an empty database gets every table.

    All migration steps run in one transaction. On PostgreSQL a transaction-scoped advisory lock
    serialises replicas that start at once: the second waits, then finds nothing left to do. On
    SQLite, processes opening a brand-new file at the same moment can get "database is locked"
    without waiting (the switch to WAL and the WAL index set-up do not call the busy handler); the
    whole transaction is rolled back then, so it is simply tried again.
    """
    attempts = 5
    for attempt in range(1, attempts + 1):
        try:
            _migrate_once(engine, revision)
            return
        except sa.exc.OperationalError as exc:
            if engine.dialect.name != "sqlite" or "locked" not in str(exc) or attempt == attempts:
                raise
            time.sleep(0.1 * attempt)


def _driver_execute(conn: sa.Connection, statement: str) -> None:
    """``statement`` on the DBAPI connection itself, outside SQLAlchemy's transaction handling."""
    driver = conn.connection.driver_connection
    if driver is None:  # only once the connection has been invalidated
        raise RuntimeError("the database connection was closed")
    driver.execute(statement)


def _migrate_once(engine: Engine, revision: str) -> None:
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            # Table rebuilds in batch mode must not cascade: switch FK enforcement off outside the
            # transaction (SQLite ignores the pragma inside one) and check the result before commit.
            _driver_execute(conn, "PRAGMA foreign_keys=OFF")
        try:
            # SQLite: BEGIN IMMEDIATE takes the write lock first, so a second process waits for the
            # first to finish instead of racing it.
            conn.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK_ID})
                command.upgrade(alembic_config(conn), revision)
                if sqlite:
                    problems = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise RuntimeError(
                            f"migration left {len(problems)} rows with broken foreign keys; rolled back"
                        )
        finally:
            if sqlite:
                _driver_execute(conn, "PRAGMA foreign_keys=ON")


class Database:
    """The database handle: one Engine, short-lived Sessions.

    ``with db.session() as s: ...; s.commit()`` - sessions do not commit by themselves (except the
    claim/ledger functions in ``storage.repo`` that say so). Objects stay usable after commit.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = make_engine(url)
        from storage.group_commit import GroupCommit

        self._group = GroupCommit(self)
        self._plain = PlainReads(self)

    def __repr__(self) -> str:
        return f"Database({hide_password(self.engine.url.render_as_string(hide_password=True))!r})"

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = False) -> Session:
        """A new Session. ``write=True`` on SQLite takes the write lock at the start of each
        transaction (BEGIN IMMEDIATE), for a read-then-write unit of work that runs while other
        processes or threads write; on PostgreSQL it changes nothing."""
        if write and self.dialect == "sqlite":
            return Session(self.engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"}),
                           expire_on_commit=False)
        return Session(self.engine, expire_on_commit=False)

    def reading(self) -> sa.Connection:
        """A plain connection for one quick read on a request path, used as ``with db.reading() as conn``:
        no ORM session, whose set-up and result handling made a primary-key read four to six times as costly
        (BENCHMARKS.md, issue 14). The transaction it begins ends with the block."""
        return self.engine.connect()

    def plain_reads(self) -> PlainReads:
        """Reads of prebuilt statements for a request path, the lightest way (see ``PlainReads``)."""
        return self._plain

    def write_together(self, work: Callable[[Session], T]) -> T:
        """``work(session)`` in a write transaction shared with the other threads' ``write_together``
        calls waiting meanwhile (group commit, ``storage.group_commit``); returns once it is committed.
        For small, independent inserts on a request path (``work`` must not commit)."""
        return self._group.run(work)

    def migrate(self) -> None:
        migrate(self.engine)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                return conn.execute(sa.text("SELECT 1")).scalar() == 1
        except Exception as exc:  # noqa: BLE001 - any failure means "not healthy"
            log.warning("database ping failed: %s", redact(type(exc).__name__ + ": " + str(exc))[:300])
            return False

    def dispose(self) -> None:
        self._plain.close()
        self.engine.dispose()
