"""storage.repo against a real SQLite file and a real PostgreSQL schema."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from storage import repo
from storage.crypto import Crypto, DecryptionError, Key
from storage.db import Database
from storage.models import AuditEntry, ChecklistProgress, Connection, IdempotencyKey, ReminderLedger
from tests.repo_helpers import mark_failing, reminders
from tests.storage.conftest import NOW, SECRET_A, SECRET_B, TOKEN_A, TOKEN_B, make_connection


def _raw_row(db: Database, conn_id: int) -> dict:
    with db.engine.connect() as c:
        return dict(c.execute(sa.text("SELECT * FROM connections WHERE id = :i"), {"i": conn_id}).mappings().one())


def test_store_and_load_secrets(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    with db.session() as s:
        loaded = repo.get_connection(s, "T1", "Main EU")
        assert loaded is not None and loaded.id == conn.id
        secrets = repo.load_secrets(s, crypto, loaded)
    assert secrets.client_secret == SECRET_A and secrets.refresh_token == TOKEN_A
    assert loaded.status == "connected" and loaded.secret_generation == 1
    assert loaded.secret_expires_on == date(2026, 2, 1) + timedelta(days=180)
    assert loaded.last_verified_at == NOW and loaded.last_verified_at.tzinfo is not None
    assert loaded.created_at == NOW and loaded.updated_at.utcoffset() == timedelta(0)
    assert NOW + timedelta(hours=22) <= loaded.next_health_check_at <= NOW + timedelta(hours=26)
    # the row itself holds no plaintext anywhere
    raw = _raw_row(db, conn.id)
    for value in raw.values():
        text = bytes(value).decode("latin-1") if isinstance(value, bytes | memoryview) else str(value)
        assert SECRET_A not in text and TOKEN_A not in text
        assert SECRET_A[-20:] not in text and TOKEN_A[-20:] not in text
    with db.session() as s:
        audit = repo.list_audit(s, "T1")
    assert [a.action for a in audit] == ["connected"] and audit[0].actor == "U123"
    assert audit[0].connection_id == conn.id and audit[0].connection_name == "Main EU"


def test_uncommitted_connection_leaves_nothing(db: Database, crypto: Crypto) -> None:
    with db.session() as s:
        repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id="T1", name="X", account_type="vendor", selling_partner_id="V1", region="NA",
            marketplace_id="ATVPDKIKX0DER", client_id="cid", client_secret=SECRET_A, refresh_token=TOKEN_A,
            secret_created_on=date(2026, 1, 1), store_name=None), created_by="U1", now=NOW,
        )
        s.rollback()
    with db.session() as s:
        assert repo.list_connections(s, "T1", include_disconnected=True) == []
        assert repo.list_audit(s, "T1") == []


def test_name_unique_per_team_and_validation(db: Database, crypto: Crypto) -> None:
    make_connection(db, crypto)
    with pytest.raises(repo.ConnectionNameTaken, match="already exists"):
        make_connection(db, crypto, partner="OTHER")
    make_connection(db, crypto, team_id="T2")  # same name, other workspace: fine
    with db.session() as s, pytest.raises(ValueError, match="region must be one of"):
        repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id="T1", name="Y", account_type="seller", selling_partner_id="A", region="XX",
            marketplace_id="m", client_id="c", client_secret=SECRET_A, refresh_token=TOKEN_A,
            secret_created_on=date(2026, 1, 1), store_name=None), created_by="U1", now=NOW,
        )
    with db.session() as s, pytest.raises(ValueError, match="timezone-aware"):
        repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id="T1", name="Y", account_type="seller", selling_partner_id="A", region="NA",
            marketplace_id="m", client_id="c", client_secret=SECRET_A, refresh_token=TOKEN_A,
            secret_created_on=date(2026, 1, 1), store_name=None), created_by="U1", now=datetime(2026, 1, 1),
        )


def test_update_existing_bumps_generation_only_when_secret_changes(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)

    def update(secret: str, token: str) -> Connection:
        with db.session() as s:
            c = repo.create_or_update_connection(
                s, crypto,
                repo.ConnectionValues(team_id="T1", name="Main EU", account_type="seller",
                selling_partner_id="A1B2C3D4E5F6G7",
                region="EU", marketplace_id="A1PA6795UKMFR9", client_id="cid2", client_secret=secret,
                refresh_token=token, secret_created_on=date(2026, 2, 10), store_name="Acme"), created_by="U9",
                now=NOW + timedelta(days=1), existing_id=conn.id,
            )
            s.commit()
            return c

    same = update(SECRET_A, TOKEN_B)
    assert same.id == conn.id and same.secret_generation == 1 and same.client_id == "cid2"
    changed = update(SECRET_B, TOKEN_B)
    assert changed.secret_generation == 2
    with db.session() as s:
        secrets = repo.load_secrets(s, crypto, repo.get_connection_by_id(s, conn.id))
        assert (secrets.client_secret, secrets.refresh_token) == (SECRET_B, TOKEN_B)
        assert [a.action for a in repo.list_audit(s, "T1")] == ["reconnected", "reconnected", "connected"]
        with pytest.raises(repo.ConnectionNotFound):
            repo.create_or_update_connection(
                s, crypto,
                repo.ConnectionValues(team_id="T2", name="Main EU", account_type="seller", selling_partner_id="A",
                region="EU", marketplace_id="m", client_id="c", client_secret=SECRET_A, refresh_token=TOKEN_A,
                secret_created_on=date(2026, 1, 1), store_name=None), created_by="U1", now=NOW,
                existing_id=conn.id,
            )


def test_lookups(db: Database, crypto: Crypto) -> None:
    a = make_connection(db, crypto, name="B-shop", partner="P1")
    b = make_connection(db, crypto, name="A-shop", partner="P2", client_secret=SECRET_B, refresh_token=TOKEN_B)
    with db.session() as s:
        assert [c.name for c in repo.list_connections(s, "T1")] == ["A-shop", "B-shop"]
        assert repo.find_connection_by_partner(s, "T1", "P1", "EU").id == a.id
        assert repo.find_connection_by_partner(s, "T1", "P1", "NA") is None
        assert repo.get_connection(s, "T1", "nope") is None
        repo.erase_secrets(s, repo.get_connection_by_id(s, a.id), "U1", NOW)
        s.commit()
    with db.session() as s:
        assert [c.name for c in repo.list_connections(s, "T1")] == ["A-shop"]
        assert len(repo.list_connections(s, "T1", include_disconnected=True)) == 2
        assert repo.find_connection_by_partner(s, "T1", "P1", "EU") is None
        assert repo.get_connection(s, "T1", "B-shop").status == "disconnected"
        assert b.id is not None


def test_fingerprint_matching(db: Database, crypto: Crypto, new_key: Key, old_key: Key) -> None:
    a = make_connection(db, crypto, name="a")
    b = make_connection(db, crypto, name="b", client_secret=SECRET_B, refresh_token=TOKEN_B)
    with db.session() as s:
        assert [c.id for c in repo.find_connections_by_fingerprint(s, crypto.fingerprints(SECRET_A))] == [a.id]
        assert [c.id for c in repo.find_connections_by_fingerprint(s, crypto.fingerprints(TOKEN_B))] == [b.id]
        assert repo.find_connections_by_fingerprint(s, crypto.fingerprints("Atzr|unknown-token-value")) == []
        assert repo.find_connections_by_fingerprint(s, []) == []
        # mid-rotation: a Crypto with a newer key still matches rows fingerprinted under the old one
        both = Crypto([new_key, old_key])
        assert [c.id for c in repo.find_connections_by_fingerprint(s, both.fingerprints(TOKEN_A))] == [a.id]
        assert repo.find_connections_by_fingerprint(s, [crypto.fingerprint(SECRET_B)])[0].id == b.id


def test_swapped_or_tampered_ciphertext_fails_to_decrypt(db: Database, crypto: Crypto) -> None:
    a = make_connection(db, crypto, name="a")
    b = make_connection(db, crypto, name="b", client_secret=SECRET_B, refresh_token=TOKEN_B)
    ra, rb = _raw_row(db, a.id), _raw_row(db, b.id)
    with db.engine.begin() as c:
        # swap client secrets between rows; swap fields within row b
        c.execute(sa.text("UPDATE connections SET client_secret_enc = :v WHERE id = :i"),
                  {"v": rb["client_secret_enc"], "i": a.id})
        c.execute(
            sa.text("UPDATE connections SET client_secret_enc = :cs, refresh_token_enc = :rt WHERE id = :i"),
            {"cs": rb["refresh_token_enc"], "rt": rb["client_secret_enc"], "i": b.id},
        )
    with db.session() as s:
        for cid in (a.id, b.id):
            with pytest.raises(DecryptionError) as info:
                repo.load_secrets(s, crypto, repo.get_connection_by_id(s, cid))
            message = str(info.value)
            assert "tampered with or belongs to another row/field" in message
            assert f"row {cid}" in message and ("'a'" in message or "'b'" in message)
            assert SECRET_A not in message and SECRET_B not in message
    # flip one byte of a's refresh token
    tampered = bytearray(bytes(ra["refresh_token_enc"]))
    tampered[-3] ^= 0xFF
    with db.engine.begin() as c:
        c.execute(sa.text("UPDATE connections SET client_secret_enc = :cs, refresh_token_enc = :rt WHERE id = :i"),
                  {"cs": ra["client_secret_enc"], "rt": bytes(tampered), "i": a.id})
    with db.session() as s:
        with pytest.raises(DecryptionError, match="refresh token of connection 'a'.*tampered"):
            repo.load_secrets(s, crypto, repo.get_connection_by_id(s, a.id))


def test_missing_key_is_named_and_other_connections_still_load(db: Database, old_key: Key, new_key: Key) -> None:
    under_old = make_connection(db, Crypto([old_key]), name="Legacy store")
    under_new = make_connection(db, Crypto([new_key, old_key]), name="Fresh", client_secret=SECRET_B,
                                refresh_token=TOKEN_B)
    only_new = Crypto([new_key])
    with db.session() as s:
        rows = repo.list_connections(s, "T1")
        assert {r.name for r in rows} == {"Legacy store", "Fresh"}
        loaded, errors = {}, {}
        for row in rows:
            try:
                loaded[row.name] = repo.load_secrets(s, only_new, row)
            except DecryptionError as exc:
                errors[row.name] = str(exc)
    assert loaded["Fresh"].client_secret == SECRET_B
    assert errors == {
        "Legacy store": f"cannot decrypt the client secret of connection 'Legacy store' (row {under_old.id}, "
        "team T1): key 'old' is not in ENCRYPTION_KEYS"
    }
    assert under_new.id != under_old.id


def test_rotate_keys_then_new_key_alone_decrypts_everything(db: Database, old_key: Key, new_key: Key) -> None:
    old = Crypto([old_key])
    pairs = {f"c{i}": (f"{SECRET_A[:-4]}{i:04d}", f"{TOKEN_A}{i}") for i in range(5)}
    for name, (secret, token) in pairs.items():
        make_connection(db, old, name=name, client_secret=secret, refresh_token=token)
    gone = make_connection(db, old, name="gone")
    with db.session() as s:
        repo.erase_secrets(s, repo.get_connection_by_id(s, gone.id), "U1", NOW)
        s.commit()
    progress: list[int] = []
    assert repo.rotate_keys(db, Crypto([new_key, old_key]), batch_size=2, on_batch=progress.append) == 5
    assert progress == [2, 4, 5]
    only_new = Crypto([new_key])
    with db.session() as s:
        for row in repo.list_connections(s, "T1"):
            secrets = repo.load_secrets(s, only_new, row)
            assert (secrets.client_secret, secrets.refresh_token) == pairs[row.name]
            assert only_new.key_id_of(row.client_secret_enc) == "new"
            # fingerprints were recomputed under the new key
            assert row.client_secret_fp == only_new.fingerprint(pairs[row.name][0])
            token_fps = only_new.fingerprints(pairs[row.name][1])
            assert [c.id for c in repo.find_connections_by_fingerprint(s, token_fps)] == [row.id]
        assert any(a.action == "key_rotated" and a.actor == "system" for a in repo.list_audit(s, "T1"))
    # idempotent: nothing left to do
    assert repo.rotate_keys(db, Crypto([new_key, old_key])) == 0


def test_rotate_keys_interrupted_then_rerun_completes(db: Database, old_key: Key, new_key: Key) -> None:
    old = Crypto([old_key])
    for i in range(4):
        make_connection(db, old, name=f"c{i}", refresh_token=f"{TOKEN_A}{i}")
    both = Crypto([new_key, old_key])

    class Interrupted(Exception):
        pass

    def stop_after_first(done: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        repo.rotate_keys(db, both, batch_size=1, on_batch=stop_after_first)
    with db.session() as s:
        kids = [both.key_id_of(c.refresh_token_enc) for c in repo.list_connections(s, "T1")]
    assert sorted(kids) == ["new", "old", "old", "old"]  # the first batch committed, the rest untouched
    assert repo.rotate_keys(db, both, batch_size=1) == 3
    only_new = Crypto([new_key])
    with db.session() as s:
        for row in repo.list_connections(s, "T1"):
            assert repo.load_secrets(s, only_new, row).refresh_token.startswith(TOKEN_A)


def test_rotate_keys_reports_undecryptable_rows_after_finishing_others(
    db: Database, old_key: Key, new_key: Key
) -> None:
    lost_key = Key("lost", bytes(32))
    make_connection(db, Crypto([lost_key]), name="Orphan")
    make_connection(db, Crypto([old_key]), name="Fine", client_secret=SECRET_B, refresh_token=TOKEN_B)
    with pytest.raises(repo.KeyRotationError) as info:
        repo.rotate_keys(db, Crypto([new_key, old_key]), batch_size=1)
    assert info.value.rotated == 1
    assert [f.name for f in info.value.failures] == ["Orphan"]
    assert "'Orphan'" in str(info.value) and "key 'lost' is not in ENCRYPTION_KEYS" in str(info.value)
    with db.session() as s:
        fine = repo.get_connection(s, "T1", "Fine")
        assert repo.load_secrets(s, Crypto([new_key]), fine).client_secret == SECRET_B


def test_replace_secret_token_and_erase(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    later = NOW + timedelta(days=100)
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        mark_failing(s, c, f"invalid_grant for {TOKEN_A}", NOW)
        s.commit()
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        assert c.status == "failing" and c.last_problem_kind == "legacy"
        assert TOKEN_A not in c.last_problem_params and "Atzr|" in c.last_problem_params
        repo.replace_client_secret(s, crypto, c, SECRET_B, date(2026, 6, 1), "U5", later)
        s.commit()
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        assert c.secret_generation == 2 and c.secret_expires_on == date(2026, 6, 1) + timedelta(days=180)
        assert c.status == "connected" and c.last_verified_at == later
        assert (c.last_problem_kind, c.last_problem_params) == (None, None)
        assert repo.load_secrets(s, crypto, c).client_secret == SECRET_B
        assert repo.find_connections_by_fingerprint(s, crypto.fingerprints(SECRET_A)) == []
        repo.replace_refresh_token(s, crypto, c, TOKEN_B, "U5", later)
        s.commit()
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        assert repo.load_secrets(s, crypto, c).refresh_token == TOKEN_B and c.secret_generation == 2
        repo.erase_secrets(s, c, "U7", later)
        s.commit()
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        assert (c.client_secret_enc, c.refresh_token_enc, c.client_secret_fp, c.refresh_token_fp) == (None,) * 4
        assert c.status == "disconnected"
        with pytest.raises(repo.SecretsErased, match="disconnected"):
            repo.load_secrets(s, crypto, c)
        with pytest.raises(ValueError, match="disconnected"):
            repo.replace_client_secret(s, crypto, c, SECRET_A, date(2026, 6, 1), "U5", later)
        actions = [a.action for a in repo.list_audit(s, "T1", connection_name="Main EU")]
        assert actions == ["disconnected", "reauthorized", "rotated_secret", "health_failing", "connected"]
        audit_text = " ".join(str(a.detail) for a in repo.list_audit(s, "T1"))
        assert TOKEN_A not in audit_text and SECRET_B not in audit_text
    raw = _raw_row(db, conn.id)
    assert raw["client_secret_enc"] is None and raw["refresh_token_enc"] is None


def test_reprs_and_free_text_never_show_secrets(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        secrets = repo.load_secrets(s, crypto, c)
        c.last_problem_params = f"LWA said invalid_client for {SECRET_A} and {TOKEN_A}"
        entry = repo.add_audit(s, team_id="T1", actor="U1", action="exposed", connection=c,
                               detail=f"seen {TOKEN_A}", now=NOW)
        s.commit()
    texts = [repr(c), str(c), repr(secrets), str(secrets), repr(entry), c.last_problem_params, entry.detail,
             f"{secrets}", repr([secrets])]
    for text in texts:
        assert SECRET_A not in text and TOKEN_A not in text
        assert SECRET_A[16:] not in text and TOKEN_A[5:] not in text
    assert "Main EU" in repr(c) and "connected" in repr(c)
    assert "\u2026" in repr(secrets)
    with db.engine.connect() as cx:
        stored = cx.execute(sa.text("SELECT last_problem_params FROM connections")).scalar()
    assert SECRET_A not in stored and TOKEN_A not in stored
    # even a value that bypasses __setattr__ is redacted at flush time
    from sqlalchemy.orm.attributes import set_attribute

    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        set_attribute(c, "last_problem_params", f"raw {TOKEN_A}")
        s.commit()
    with db.engine.connect() as cx:
        stored = cx.execute(sa.text("SELECT last_problem_params FROM connections")).scalar()
    assert stored.startswith("raw Atzr|") and TOKEN_A not in stored


def test_datetimes_round_trip_aware_utc_and_naive_refused(db: Database, crypto: Crypto) -> None:
    from zoneinfo import ZoneInfo

    conn = make_connection(db, crypto, now=datetime(2026, 3, 1, 13, 30, tzinfo=ZoneInfo("Europe/Berlin")))
    with db.session() as s:
        c = repo.get_connection_by_id(s, conn.id)
        assert c.created_at == datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
        assert c.created_at.tzinfo is not None and c.created_at.utcoffset() == timedelta(0)
        c.last_verified_at = datetime(2026, 3, 2)
        with pytest.raises(Exception, match="naive datetime"):
            s.flush()


def test_due_queries(db: Database, crypto: Crypto) -> None:
    a = make_connection(db, crypto, name="a")
    b = make_connection(db, crypto, name="b", client_secret=SECRET_B, refresh_token=TOKEN_B,
                        now=NOW + timedelta(days=2))
    with db.session() as s:
        assert repo.due_health_check_ids(s, NOW + timedelta(hours=12)) == []
        assert repo.due_health_check_ids(s, NOW + timedelta(hours=27)) == [a.id]
        assert len(repo.due_health_check_ids(s, NOW + timedelta(days=4))) == 2
        # a secret expiring on the day is due with no lead time; one expiring later is not
        expiring = repo.due_expiry_reminder_keys(s, today=date(2026, 2, 1) + timedelta(days=180), lead_days=[0])
        assert {cid for cid, _generation, _kind in expiring} == {a.id, b.id}
        assert repo.due_expiry_reminder_keys(s, today=date(2026, 7, 1), lead_days=[0]) == []


def test_schedule_spreads_checks_deterministically() -> None:
    times = {repo.schedule_next_health_check(i, NOW) for i in range(1, 200)}
    assert len(times) > 150
    assert all(NOW + timedelta(hours=22) <= t <= NOW + timedelta(hours=26) for t in times)
    assert repo.schedule_next_health_check(5, NOW) == repo.schedule_next_health_check(5, NOW)


def test_checklist_progress(db: Database) -> None:
    with db.session() as s:
        assert repo.get_checklist(s, "T1", "U1") is None
        p = ChecklistProgress(team_id="T1", user_id="U1", account_type="seller", nudge_due_at=NOW, created_at=NOW)
        repo.set_checklist_steps(p, ["developer_profile", "app", "developer_profile"])
        repo.save_checklist(s, p, now=NOW)
        s.commit()
    with db.session() as s:
        p = repo.get_checklist(s, "T1", "U1")
        assert repo.checklist_steps(p) == ["developer_profile", "app"] and p.updated_at == NOW
        assert [x.user_id for x in repo.list_due_nudges(s, NOW)] == ["U1"]
        p.nudge_sent_at = NOW
        repo.save_checklist(s, p, now=NOW)
        s.commit()
        assert repo.list_due_nudges(s, NOW + timedelta(days=1)) == []
    with db.session() as s:
        s.add(ChecklistProgress(team_id="T1", user_id="U1"))
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()


def test_audit_fk_set_null_when_a_connection_row_is_deleted(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    with db.session() as s:
        assert repo.claim_reminder(s, conn.id, 1, "expiry:30", "p1", NOW)
        s.delete(repo.get_connection_by_id(s, conn.id))
        s.commit()
    with db.session() as s:
        entries = s.exec(select(AuditEntry)).all()
        assert len(entries) == 1 and entries[0].connection_id is None and entries[0].connection_name == "Main EU"
        assert s.exec(select(ReminderLedger)).all() == []  # ledger rows cascade
        s.add(AuditEntry(team_id="T1", actor="U1", action="x", connection_id=987654, created_at=NOW))
        with pytest.raises(sa.exc.IntegrityError):
            s.flush()  # foreign keys are enforced (SQLite too)


def test_claim_idempotency_key_once(db: Database) -> None:
    with db.session() as s:
        assert repo.claim_idempotency_key(s, "view:V1:abc", NOW) is True
        assert repo.claim_idempotency_key(s, "view:V1:abc", NOW) is False
        repo.set_idempotency_result(s, "view:V1:abc", '{"ok": true}')
        s.commit()
    with db.session() as s:
        assert repo.claim_idempotency_key(s, "view:V1:abc", NOW) is False
        assert s.get(IdempotencyKey, "view:V1:abc").result == '{"ok": true}'
        repo.release_idempotency_key(s, "view:V1:abc")
        assert repo.claim_idempotency_key(s, "view:V1:abc", NOW) is True
        assert repo.claim_idempotency_key(s, "event:Ev1", NOW - timedelta(days=3)) is True
        assert repo.purge_idempotency_keys(s, NOW - timedelta(days=1)) == 1
        s.commit()
        assert repo.claim_idempotency_key(s, "event:Ev1", NOW) is True


def _race(db: Database, n: int, claim) -> list[bool]:
    barrier = threading.Barrier(n)
    results: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        try:
            with db.session() as s:
                barrier.wait()
                ok = claim(s, i)
            with lock:
                results.append(ok)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return results


def test_claim_reminder_race_only_one_wins(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    for round_no in range(5):
        kind = f"expiry:{round_no}"
        results = _race(db, 6, lambda s, i, kind=kind: repo.claim_reminder(s, conn.id, 1, kind, f"p{i}", NOW))
        assert sorted(results) == [False] * 5 + [True]
    with db.session() as s:
        assert len(reminders(s, conn.id, 1)) == 5


def test_claim_idempotency_race_only_one_wins(db: Database) -> None:
    results = _race(db, 6, lambda s, i: repo.claim_idempotency_key(s, "event:E42", NOW))
    assert sorted(results) == [False] * 5 + [True]


def test_reminder_ledger_release_and_sent(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    with db.session() as s:
        assert repo.claim_reminder(s, conn.id, 1, "expiry:30", "p1", NOW)
        assert not repo.claim_reminder(s, conn.id, 1, "expiry:30", "p2", NOW)
        assert repo.claim_reminder(s, conn.id, 2, "expiry:30", "p2", NOW)  # new generation
        repo.release_reminder(s, conn.id, 1, "expiry:30")  # post failed: retry later
        assert repo.claim_reminder(s, conn.id, 1, "expiry:30", "p3", NOW)
        assert repo.mark_reminder_sent(s, conn.id, 1, "expiry:30", NOW + timedelta(seconds=1))
        repo.release_reminder(s, conn.id, 1, "expiry:30")  # a sent reminder stays recorded
        assert not repo.claim_reminder(s, conn.id, 1, "expiry:30", "p4", NOW)
        assert not repo.mark_reminder_sent(s, conn.id, 1, "never-claimed", NOW)
        # a claim whose process died is released by age
        assert repo.claim_reminder(s, conn.id, 1, "expired", "dead", NOW - timedelta(hours=2))
        assert repo.release_stale_reminder_claims(s, NOW - timedelta(hours=1)) == 1
        rows = {(r.generation, r.kind): r for r in reminders(s, conn.id)}
        assert set(rows) == {(1, "expiry:30"), (2, "expiry:30")}
        assert rows[(1, "expiry:30")].claimed_by == "p3" and rows[(1, "expiry:30")].sent_at is not None


def test_claim_commits_so_another_session_sees_it(db: Database, crypto: Crypto) -> None:
    conn = make_connection(db, crypto)
    with db.session() as s1, db.session() as s2:
        assert repo.claim_reminder(s1, conn.id, 1, "expired", "p1", NOW)
        assert [r.claimed_by for r in reminders(s2, conn.id)] == ["p1"]
