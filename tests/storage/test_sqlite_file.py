"""The raw bytes of the SQLite database file and its -wal/-journal never contain a stored secret."""

from __future__ import annotations

import base64
import binascii
from datetime import date, timedelta
from pathlib import Path

from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database
from tests.db_fixtures import sqlite_url
from tests.repo_helpers import mark_failing
from tests.storage.conftest import NOW, SECRET_A, SECRET_B, TOKEN_A, TOKEN_B, make_connection


def _encodings(secret: str) -> list[bytes]:
    raw = secret.encode()
    forms = [
        raw,
        secret.encode("utf-16-le"),
        binascii.hexlify(raw),
        binascii.hexlify(raw).upper(),
        base64.b64encode(raw),
        base64.urlsafe_b64encode(raw),
    ]
    # the distinctive body of the secret alone, and its base64 at each of the 3 alignments
    body = secret.split("|", 1)[-1].removeprefix("amzn1.oa2-cs.v1.").encode()
    forms.append(body)
    for shift in range(3):
        forms.append(base64.b64encode(body[shift:])[4:-4])
    return [f for f in forms if len(f) >= 12]


def _db_bytes(path: Path) -> dict[str, bytes]:
    out = {}
    for suffix in ("", "-wal", "-journal", "-shm"):
        p = Path(str(path) + suffix)
        if p.exists():
            out[p.name] = p.read_bytes()
    return out


def _assert_clean(path: Path, secrets: list[str]) -> None:
    files = _db_bytes(path)
    assert path.name in files and (path.name + "-wal") in files  # WAL mode really is on
    for name, data in files.items():
        for secret in secrets:
            for form in _encodings(secret):
                assert form not in data, f"{name} contains a form of a stored secret"


def test_sqlite_files_never_hold_plaintext(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    path = Path(url.removeprefix("sqlite:///"))
    db = Database(url)
    db.migrate()
    old, new = generate_key("old"), generate_key("new")
    crypto = Crypto([old])
    all_secrets = [SECRET_A, TOKEN_A, SECRET_B, TOKEN_B]
    try:
        a = make_connection(db, crypto, name="a")
        make_connection(db, crypto, name="b", client_secret=SECRET_B, refresh_token=TOKEN_B)
        with db.session() as s:
            c = repo.get_connection_by_id(s, a.id)
            # errors and audit texts that quote a secret are redacted before they reach the file
            mark_failing(s, c, f"invalid_grant: {TOKEN_A} / {SECRET_A}", NOW)
            repo.add_audit(s, team_id="T1", actor="U1", action="exposed", connection=c,
                           detail=f"posted {SECRET_B}", now=NOW)
            s.commit()
        _assert_clean(path, all_secrets)  # while the WAL still holds the recent pages

        with db.session() as s:
            c = repo.get_connection_by_id(s, a.id)
            repo.replace_client_secret(s, crypto, c, SECRET_A[:-6] + "abcdef", date(2026, 3, 1), "U1",
                                       NOW + timedelta(days=1))
            s.commit()
        repo.rotate_keys(db, Crypto([new, old]), batch_size=1)
        all_secrets.append(SECRET_A[:-6] + "abcdef")
        _assert_clean(path, all_secrets)

        with db.engine.connect() as cx:
            cx.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        _assert_clean(path, all_secrets)
    finally:
        db.dispose()
    # and after the last connection closed (WAL folded back into the main file)
    for name, data in _db_bytes(path).items():
        for secret in all_secrets:
            for form in _encodings(secret):
                assert form not in data, f"{name} contains a form of a stored secret"
    # sanity: the scan would find a secret if it were there
    assert any(f in (SECRET_A + "x").encode() for f in _encodings(SECRET_A))


def _modes(path: Path) -> dict[str, int]:
    import stat

    return {p.name: stat.S_IMODE(p.stat().st_mode)
            for p in (Path(str(path) + s) for s in ("", "-wal", "-shm", "-journal")) if p.exists()}


def test_database_and_its_wal_and_shm_are_created_0600(tmp_path: Path) -> None:
    import os

    path = tmp_path / "data" / "bot.db"
    old_umask = os.umask(0o022)  # the usual umask, under which files are created 0644
    try:
        db = Database(sqlite_url(tmp_path / "data"))
        try:
            db.migrate()
            make_connection(db, Crypto([generate_key("k1")]))
            modes = _modes(path)
            assert {"bot.db", "bot.db-wal", "bot.db-shm"} <= set(modes), modes
            assert set(modes.values()) == {0o600}, modes
        finally:
            db.dispose()
    finally:
        os.umask(old_umask)


def test_files_left_0644_by_an_older_version_are_made_0600(tmp_path: Path) -> None:
    import os
    import sqlite3

    path = tmp_path / "bot.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()  # the connection stays open, so -wal and -shm stay on disk
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        os.chmod(p, 0o644)
    try:
        db = Database(sqlite_url(tmp_path))
        try:
            assert db.ping()
            modes = _modes(path)
            assert {"bot.db", "bot.db-wal", "bot.db-shm"} <= set(modes), modes
            assert set(modes.values()) == {0o600}, modes
        finally:
            db.dispose()
    finally:
        conn.close()
