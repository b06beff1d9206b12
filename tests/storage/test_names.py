"""storage.names.name_key (one key for names that look the same) and the database constraint on it."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from storage import repo
from storage.crypto import Crypto
from storage.db import Database
from storage.models import Connection, exposed_kinds
from storage.names import is_invisible, name_key, prototypes, skeleton
from tests.storage.conftest import NOW, SECRET_A, SECRET_B, TOKEN_A, TOKEN_B, make_connection

# case, full-width, zero-width space, Cyrillic a, Hangul filler
LOOK_ALIKES = ["main", "Ｍａｉｎ", "Ma\u200bin", "M\u0430in", "Main\u3164"]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_each_look_alike_has_mains_key(name: str) -> None:
    assert name != "Main" and name_key(name) == name_key("Main")


@pytest.mark.parametrize("name", [
    "MAIN", " Main ", "Main\u00a0", "\u202eMain", "Ma\u2060in", "Mai\ufe0fn", "Main\u115f", "Main\uffa0",
    "Ｍain", "\U0001d40cain",  # MATHEMATICAL BOLD CAPITAL M
    "Mаіn",  # Cyrillic a and Ukrainian i
])
def test_more_look_alikes(name: str) -> None:
    assert name_key(name) == name_key("Main")


@pytest.mark.parametrize(("a", "b"), [("Main EU", "Main US"), ("Main", "Mains"), ("Store 1", "Store 2"),
                                      ("EU", "UE"), ("Main EU", "MainEU")])
def test_different_names_have_different_keys(a: str, b: str) -> None:
    assert name_key(a) != name_key(b)


def test_white_space_runs_count_as_one_space() -> None:
    assert name_key("Main  EU") == name_key("Main EU") == name_key("Main\u3000EU") == name_key("main\teu")


def test_invisible_characters() -> None:
    for ch in ("\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\u2064", "\ufeff", "\u3164",
               "\u115f", "\u1160", "\uffa0", "\ufe00", "\ufe0f", "\U000e0041", "\u00ad", "\u061c"):
        assert is_invisible(ch), hex(ord(ch))
    for ch in ("a", " ", "-", "\u0430", "é"):
        assert not is_invisible(ch)
    # what lets name_key skip the per-character test for an ASCII name
    assert not [hex(cp) for cp in range(128) if is_invisible(chr(cp))]


def test_skeleton_comes_from_unicode_confusables_data() -> None:
    table = prototypes()
    assert len(table) > 5000  # the whole confusables.txt, not a hand list
    assert table["\u0430"] == "a"  # CYRILLIC SMALL LETTER A -> LATIN SMALL LETTER A
    assert table["m"] == "rn" and table["1"] == "l" and table["0"] == "O"
    assert "a" not in table  # a prototype maps to itself
    assert skeleton("p\u0430yp\u0430l") == skeleton("paypal")


# --------------------------------------------------------------------------- the database refuses


def _raw_insert(db: Database, name: str, key: str) -> None:
    """Insert straight through SQL, past every check in the code: only the constraint can refuse."""
    with db.engine.begin() as c:
        c.execute(sa.insert(Connection.__table__).values(  # type: ignore[attr-defined]
            team_id="T1", name=name, name_key=key, account_type="seller", selling_partner_id="A9",
            region="EU", marketplace_id="A1PA6795UKMFR9", client_id="x", secret_created_on=NOW.date(),
            secret_expires_on=NOW.date(), secret_generation=1, status="connected", transient_failures=0,
            created_by="U1", created_at=NOW, updated_at=NOW))


def test_the_unique_constraint_refuses_a_look_alike(db: Database, crypto: Crypto) -> None:
    make_connection(db, crypto, name="Main")
    with db.session() as s:
        stored = repo.get_connection(s, "T1", "Main")
        assert stored is not None and stored.name_key == name_key("Main")
    with pytest.raises(IntegrityError):
        _raw_insert(db, "M\u0430in", name_key("M\u0430in"))
    _raw_insert(db, "Main EU", name_key("Main EU"))  # a different name is fine
    for look_alike in LOOK_ALIKES:
        with pytest.raises(repo.ConnectionNameTaken) as refused:
            make_connection(db, crypto, name=look_alike, partner="B1B2C3D4E5F6G7", client_secret=SECRET_B,
                            refresh_token=TOKEN_B)
        assert refused.value.existing_name == "Main"
    make_connection(db, crypto, name="Main", team_id="T2")  # another workspace has its own names


def test_concurrent_look_alikes_one_wins(db: Database, crypto: Crypto) -> None:
    """Two people submit look-alike names at the same moment: the database lets exactly one in."""
    barrier = threading.Barrier(2)
    results: list[str] = []

    def create(name: str, partner: str) -> None:
        barrier.wait()
        # write=True as the onboarding flow saves (SQLite: BEGIN IMMEDIATE serialises the writers;
        # PostgreSQL: both pass the look-up and the unique constraint decides)
        with db.session(write=True) as s:
            try:
                repo.create_or_update_connection(
                    s, crypto,
                    repo.ConnectionValues(team_id="T1", name=name, account_type="seller", selling_partner_id=partner,
                    region="EU", marketplace_id="A1PA6795UKMFR9", client_id="amzn1.application-oa2-client.0",
                    client_secret=SECRET_A, refresh_token=TOKEN_A, secret_created_on=NOW.date(), store_name=None),
                    created_by="U123", now=NOW)
                s.commit()
                results.append("saved")
            except repo.ConnectionNameTaken:
                s.rollback()
                results.append("taken")

    threads = [threading.Thread(target=create, args=args) for args in (("Main", "P1"), ("M\u0430in", "P2"))]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == ["saved", "taken"]
    with db.session() as s:
        assert len(repo.list_connections(s, "T1")) == 1


def test_renaming_into_a_look_alike_is_refused(db: Database, crypto: Crypto) -> None:
    make_connection(db, crypto, name="Main")
    other = make_connection(db, crypto, name="Other", partner="B1B2C3D4E5F6G7", client_secret=SECRET_B,
                            refresh_token=TOKEN_B)
    with db.session() as s, pytest.raises(repo.ConnectionNameTaken):
        repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id="T1", name="ｍａｉｎ", account_type="seller",
            selling_partner_id="B1B2C3D4E5F6G7",
            region="EU", marketplace_id="A1PA6795UKMFR9", client_id="amzn1.application-oa2-client.0",
            client_secret=SECRET_B, refresh_token=TOKEN_B, secret_created_on=NOW.date(), store_name=None),
            created_by="U123", now=NOW, existing_id=other.id)


def test_lookup_by_key_finds_one(db: Database, crypto: Crypto) -> None:
    make_connection(db, crypto, name="Main EU")
    make_connection(db, crypto, name="Main US", partner="B1B2C3D4E5F6G7")
    with db.session() as s:
        assert repo.find_connection_by_name(s, "T1", "main eu").name == "Main EU"  # type: ignore[union-attr]
        assert repo.find_connection_by_name(s, "T1", "ＭＡＩＮ ＵＳ").name == "Main US"  # type: ignore[union-attr]
        assert repo.find_connection_by_name(s, "T1", "Main") is None
        assert repo.find_connection_by_name(s, "T2", "Main EU") is None


def test_an_update_by_someone_else_keeps_the_owner(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto, name="Main")
    with db.session() as s:
        updated = repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id="T1", name="Main", account_type="seller", selling_partner_id="A1B2C3D4E5F6G7",
            region="EU", marketplace_id="A1PA6795UKMFR9", client_id="amzn1.application-oa2-client.0",
            client_secret=SECRET_B, refresh_token=TOKEN_B, secret_created_on=NOW.date(), store_name=None),
            created_by="U0ADMIN", now=NOW, existing_id=conn.id)
        s.commit()
        assert updated.created_by == "U123"
        assert repo.list_audit(s, "T1", "Main")[0].actor == "U0ADMIN"


# --------------------------------------------------------------------------- exposure in storage


def test_exposure_follows_the_leaked_value_through_a_key_rotation(db: Database, crypto: Crypto, new_key) -> None:
    conn = make_connection(db, crypto, name="Main")
    with db.session() as s:
        row = repo.get_connection_by_id(s, conn.id)  # type: ignore[arg-type]
        assert row is not None and row.client_secret_fp
        assert repo.mark_exposed(s, row, "client_secret", row.client_secret_fp, detail="posted", actor="U1", now=NOW)
        assert not repo.mark_exposed(s, row, "client_secret", row.client_secret_fp, detail="again", actor="U1",
                                     now=NOW)  # once per value
        s.commit()
        assert exposed_kinds(row) == ("client_secret",) and row.status == "connected"
    rotated = Crypto([new_key, *crypto._keys])  # a new newest key: fingerprints are computed again
    assert repo.rotate_keys(db, rotated) == 1
    with db.session() as s:
        row = repo.get_connection_by_id(s, conn.id)  # type: ignore[arg-type]
        assert row is not None and row.client_secret_fp == rotated.fingerprint(SECRET_A)
        assert exposed_kinds(row) == ("client_secret",)  # still the leaked value
        repo.replace_client_secret(s, rotated, row, SECRET_B, NOW.date(), "U1", NOW)
        s.commit()
        assert exposed_kinds(row) == ()
        repo.replace_client_secret(s, rotated, row, SECRET_A, NOW.date(), "U1", NOW)  # back to the leaked one
        assert exposed_kinds(row) == ("client_secret",)
    assert TOKEN_A  # the refresh token was never exposed


def test_an_update_that_keeps_the_name_keeps_its_key(db: Database, crypto: Crypto) -> None:
    """The key is computed again only when the name (or the key) changes: an update of other columns (the
    sweep's health checks) leaves it as it is, e.g. the suffixed key 0004 gave an older look-alike."""
    conn = make_connection(db, crypto, name="Main")
    with db.session() as s:
        row = s.get(Connection, conn.id)
        assert row is not None and row.name_key == name_key("Main")
        s.execute(sa.update(Connection).where(col(Connection.id) == conn.id).values(name_key="main\x1f7"))
        s.commit()
        row = s.get(Connection, conn.id)
        assert row is not None
        row.transient_failures = 2
        s.add(row)
        s.commit()
        assert s.get(Connection, conn.id).name_key == "main\x1f7"  # type: ignore[union-attr]
        row = s.get(Connection, conn.id)
        assert row is not None
        row.name = "Ｍａｉｎ ＥＵ"
        s.add(row)
        s.commit()
        assert s.get(Connection, conn.id).name_key == name_key("Main EU")  # type: ignore[union-attr]


def test_the_confusables_table_is_built_once_however_many_threads_ask_first(monkeypatch: pytest.MonkeyPatch) -> None:
    """A burst of first submissions after a start built it once each, at the same time (bench, yappi)."""
    import time

    import storage.names as names

    built: list[int] = []
    real = names._read_prototypes

    def counted() -> dict[str, str]:
        built.append(1)
        time.sleep(0.05)  # long enough for every thread to arrive while it is being built
        return real()

    monkeypatch.setattr(names, "_prototypes", None)
    monkeypatch.setattr(names, "_read_prototypes", counted)
    barrier = threading.Barrier(8)
    keys: list[str] = []

    def submit() -> None:
        barrier.wait()
        keys.append(name_key("Mаin"))  # Cyrillic а

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert built == [1]
    assert keys == [name_key("Main")] * 8


def test_warm_up_builds_the_table_and_freezes_what_start_up_made(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    import storage.names as names
    from bot.warmup import warm_up

    monkeypatch.setattr(names, "_prototypes", None)
    try:
        warm_up()
        assert names._prototypes is not None
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_stored_confusables_table_is_what_the_installed_package_gives() -> None:
    """storage/confusables_prototypes.json is build_prototypes() written out (python -m storage.names):
    rewrite it when confusable-homoglyphs changes."""
    from storage.names import PROTOTYPES_FILE, _read_prototypes, build_prototypes

    assert PROTOTYPES_FILE.is_file()
    assert _read_prototypes() == build_prototypes()
