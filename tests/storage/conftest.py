"""Shared storage fixtures: ``db`` runs every test on SQLite and on PostgreSQL (when it answers)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from storage import repo
from storage.crypto import Crypto, Key, generate_key
from storage.db import Database
from storage.models import Connection
from tests.db_fixtures import drop_postgres_url, postgres_url_or_skip, sqlite_url

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

# Realistic shapes (not real credentials): LWA client secret and refresh token.
SECRET_A = "amzn1.oa2-cs.v1.3f9c1e0a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f"
TOKEN_A = "Atzr|IwEBIKq2Xh9uTzQyH4lP8sWkR3vNcAb7dE1fG5hJ2kL6mN0oP4qR8sT2uV6wX0yZ3aB5cD7eF9gH1iJ3kL5mN7oP"
SECRET_B = "amzn1.oa2-cs.v1.a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1b"
TOKEN_B = "Atzr|IwEBIZz9Yy8Xx7Ww6Vv5Uu4Tt3Ss2Rr1Qq0Pp9Oo8Nn7Mm6Ll5Kk4Jj3Ii2Hh1Gg0Ff9Ee8Dd7Cc6Bb5Aa4Zz3"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    url = postgres_url_or_skip()
    try:
        yield url
    finally:
        drop_postgres_url(url)


@pytest.fixture
def empty_db(db_url: str) -> Iterator[Database]:
    """A Database with no tables yet."""
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture
def db(empty_db: Database) -> Database:
    """A migrated Database."""
    empty_db.migrate()
    return empty_db


@pytest.fixture
def old_key() -> Key:
    return generate_key("old")


@pytest.fixture
def new_key() -> Key:
    return generate_key("new")


@pytest.fixture
def crypto(old_key: Key) -> Crypto:
    return Crypto([old_key])


def make_connection(
    db: Database,
    crypto: Crypto,
    *,
    team_id: str = "T1",
    name: str = "Main EU",
    client_secret: str = SECRET_A,
    refresh_token: str = TOKEN_A,
    partner: str = "A1B2C3D4E5F6G7",
    now: datetime = NOW,
) -> Connection:
    with db.session() as s:
        conn = repo.create_or_update_connection(
            s,
            crypto,
            repo.ConnectionValues(
                team_id=team_id,
                name=name,
                account_type="seller",
                selling_partner_id=partner,
                region="EU",
                marketplace_id="A1PA6795UKMFR9",
                client_id="amzn1.application-oa2-client.0123456789abcdef0123456789abcdef",
                client_secret=client_secret,
                refresh_token=refresh_token,
                secret_created_on=date(2026, 2, 1),
                store_name="Acme DE",
            ),
            created_by="U123",
            now=now,
        )
        s.commit()
        return conn
