"""Database URLs for tests: a SQLite file per test, an isolated PostgreSQL schema per call.

Any test folder can use these:

    from tests.db_fixtures import sqlite_url, postgres_url_or_skip, drop_postgres_url

``postgres_url_or_skip()`` creates a fresh schema in TEST_DATABASE_URL's database (default
postgresql+psycopg://postgres@127.0.0.1:5432/test) and returns a URL whose connections use it
as ``search_path``, so tests never see each other's tables. It calls ``pytest.skip`` with a
visible reason when PostgreSQL does not answer. Schemas are dropped by ``drop_postgres_url`` and,
as a safety net, when the test process exits.
"""

from __future__ import annotations

import atexit
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_TEST_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
_SCHEMA_OPTION = "-csearch_path="

_reachable: dict[str, str | None] = {}  # base url -> None when reachable, else the reason
_created: dict[str, str] = {}  # schema -> base url


def sqlite_url(tmp_path: Path) -> str:
    """A SQLite URL for a file inside ``tmp_path`` (the file is created on first use)."""
    return f"sqlite:///{Path(tmp_path) / 'bot.db'}"


def postgres_base_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL") or DEFAULT_TEST_DATABASE_URL
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _admin_engine(base: str) -> sa.Engine:
    return sa.create_engine(base, connect_args={"connect_timeout": 3}, poolclass=sa.pool.NullPool)


def postgres_unavailable_reason() -> str | None:
    """None when PostgreSQL at TEST_DATABASE_URL answers, else the skip reason."""
    base = postgres_base_url()
    if base not in _reachable:
        try:
            engine = _admin_engine(base)
            with engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            engine.dispose()
            _reachable[base] = None
        except Exception as exc:  # noqa: BLE001 - any failure means "skip the PG path"
            _reachable[base] = (
                f"PostgreSQL not reachable at {_shown(base)}: set TEST_DATABASE_URL "
                f"({type(exc).__name__})"
            )
    return _reachable[base]


def postgres_url_or_skip() -> str:
    """A URL to a brand-new, empty schema on the test PostgreSQL; skips the test if it does not answer."""
    reason = postgres_unavailable_reason()
    if reason is not None:
        pytest.skip(reason)
    base = postgres_base_url()
    schema = f"t_{os.getpid()}_{secrets.token_hex(4)}"
    engine = _admin_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()
    _created[schema] = base
    url = make_url(base).update_query_dict({"options": f"{_SCHEMA_OPTION}{schema}"})
    return url.render_as_string(hide_password=False)


def _schema_of(url: str) -> str | None:
    options = make_url(url).query.get("options")
    if isinstance(options, str) and options.startswith(_SCHEMA_OPTION):
        return options[len(_SCHEMA_OPTION):]
    return None


def drop_postgres_url(url: str) -> None:
    """Drop the schema made by ``postgres_url_or_skip`` for ``url`` (no-op for other URLs)."""
    schema = _schema_of(url)
    if schema is None:
        return
    base = make_url(url).difference_update_query(["options"]).render_as_string(hide_password=False)
    engine = _admin_engine(base)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()
    _created.pop(schema, None)


@atexit.register
def _drop_leftovers() -> None:
    for schema, base in list(_created.items()):
        try:
            engine = _admin_engine(base)
            with engine.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            engine.dispose()
        except Exception:  # noqa: BLE001,S110 - best effort at exit
            pass


@contextmanager
def migrated_sqlite(tmp_path: Path) -> Iterator[Any]:
    """A migrated ``storage.db.Database`` on a SQLite file in ``tmp_path``, disposed afterwards."""
    from storage.db import Database

    database = Database(sqlite_url(tmp_path))
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()
