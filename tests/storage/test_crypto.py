"""Unit tests of storage.crypto: key parsing, AEAD binding, fingerprints, the key file."""

from __future__ import annotations

import base64
import os
import stat
import threading

import pytest

from storage.crypto import (
    Crypto,
    DecryptionError,
    Key,
    format_keys,
    generate_key,
    load_or_create_key_file,
    parse_keys,
)

SECRET = "amzn1.oa2-cs.v1.3f9c1e0a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f"
RAW = bytes(range(32))


def test_parse_keys_accepts_standard_and_urlsafe_base64_newest_first() -> None:
    raw2 = bytes([250, 251, 252, 253, 254, 255] * 5 + [0, 1])  # encodes with + / or - _
    value = f"k2:{base64.urlsafe_b64encode(raw2).decode()}, k1:{base64.b64encode(RAW).decode()}"
    keys = parse_keys(value)
    assert [k.kid for k in keys] == ["k2", "k1"]
    assert keys[0].material == raw2 and keys[1].material == RAW
    # unpadded standard base64 too
    unpadded = base64.b64encode(raw2).decode().rstrip("=")
    assert parse_keys(f"x:{unpadded}")[0].material == raw2


def test_format_and_parse_round_trip() -> None:
    keys = [generate_key(), generate_key("b")]
    assert parse_keys(format_keys(keys)) == keys
    assert len(keys[0].kid) <= 32 and keys[0].kid != keys[1].kid


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "ENCRYPTION_KEYS is empty"),
        ("nocolon", "entry 1 is not KID:BASE64 of 32 bytes"),
        (f"k1:{base64.b64encode(RAW).decode()},k2:{base64.b64encode(b'short').decode()}", "entry 2 is not KID:BASE64"),
        (f"k1:{base64.b64encode(RAW).decode()},", "entry 2 is not KID:BASE64"),
        ("k1:!!!notbase64!!!", "entry 1 is not KID:BASE64"),
        (f"bad kid:{base64.b64encode(RAW).decode()}", "entry 1 has a key id"),
        (f"{'x' * 33}:{base64.b64encode(RAW).decode()}", "entry 1 has a key id"),
        (f"k1:{base64.b64encode(RAW).decode()},k1:{base64.b64encode(RAW[::-1]).decode()}", "repeats the key id 'k1'"),
    ],
)
def test_parse_keys_errors_are_one_sentence_naming_the_variable(value: str, fragment: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_keys(value)
    message = str(info.value)
    assert "ENCRYPTION_KEYS" in message and fragment in message
    assert "\n" not in message
    for part in value.replace(",", ":").split(":"):
        if len(part) >= 8:  # never echo key material
            assert part.strip() not in message


def test_key_repr_hides_material() -> None:
    key = Key("k1", RAW)
    encoded = base64.b64encode(RAW).decode()
    for text in (repr(key), str(key), repr([key]), repr(Crypto([key]))):
        assert encoded not in text and RAW.hex() not in text and str(RAW) not in text
    assert "k1" in repr(key)


def test_encrypt_round_trip_and_key_id() -> None:
    crypto = Crypto([Key("k1", RAW)])
    blob = crypto.encrypt(SECRET, table="connections", row_id=7, field="client_secret")
    assert SECRET.encode() not in blob
    assert crypto.key_id_of(blob) == "k1"
    assert crypto.decrypt(blob, table="connections", row_id=7, field="client_secret") == SECRET
    # random nonce: the same plaintext never gives the same blob
    assert blob != crypto.encrypt(SECRET, table="connections", row_id=7, field="client_secret")


@pytest.mark.parametrize(
    ("table", "row_id", "field"),
    [("connections", 8, "client_secret"), ("connections", 7, "refresh_token"), ("other", 7, "client_secret")],
)
def test_blob_bound_to_row_field_and_table(table: str, row_id: int, field: str) -> None:
    crypto = Crypto([Key("k1", RAW)])
    blob = crypto.encrypt(SECRET, table="connections", row_id=7, field="client_secret")
    with pytest.raises(DecryptionError) as info:
        crypto.decrypt(blob, table=table, row_id=row_id, field=field)
    assert "tampered with or belongs to another row/field" in str(info.value)
    assert f"{table}.{field} of row {row_id}" in str(info.value)


def test_every_flipped_byte_is_detected() -> None:
    crypto = Crypto([Key("k1", RAW), Key("k0", RAW[::-1])])
    blob = crypto.encrypt(SECRET, table="connections", row_id=1, field="client_secret")
    for i in range(len(blob)):
        tampered = bytearray(blob)
        tampered[i] ^= 0x01
        with pytest.raises(DecryptionError) as info:
            crypto.decrypt(bytes(tampered), table="connections", row_id=1, field="client_secret")
        assert SECRET not in str(info.value)
    with pytest.raises(DecryptionError):
        crypto.decrypt(blob[:-1], table="connections", row_id=1, field="client_secret")
    with pytest.raises(DecryptionError):
        crypto.decrypt(b"", table="connections", row_id=1, field="client_secret")


def test_relabelling_a_blob_with_another_known_kid_fails() -> None:
    k1, k2 = Key("k1", RAW), Key("k2", RAW)  # even with identical material, the kid is authenticated
    crypto = Crypto([k1, k2])
    blob = crypto.encrypt(SECRET, table="connections", row_id=1, field="client_secret")
    relabelled = blob.replace(b"k1", b"k2", 1)
    with pytest.raises(DecryptionError, match="tampered"):
        crypto.decrypt(relabelled, table="connections", row_id=1, field="client_secret")


def test_newest_encrypts_any_decrypts_and_missing_key_is_named() -> None:
    old, new = Key("old", RAW), Key("new", RAW[::-1])
    old_blob = Crypto([old]).encrypt(SECRET, table="connections", row_id=3, field="refresh_token")
    both = Crypto([new, old])
    assert both.decrypt(old_blob, table="connections", row_id=3, field="refresh_token") == SECRET
    assert both.key_id_of(both.encrypt(SECRET, table="connections", row_id=3, field="refresh_token")) == "new"
    with pytest.raises(DecryptionError) as info:
        Crypto([new]).decrypt(old_blob, table="connections", row_id=3, field="refresh_token")
    assert str(info.value) == (
        "cannot decrypt connections.refresh_token of row 3: key 'old' is not in ENCRYPTION_KEYS"
    )
    assert info.value.reason == "missing_key" and info.value.kid == "old"


def test_wrong_key_with_same_kid_reports_tampering_not_a_crash() -> None:
    blob = Crypto([Key("k1", RAW)]).encrypt(SECRET, table="connections", row_id=1, field="client_secret")
    with pytest.raises(DecryptionError, match="tampered"):
        Crypto([Key("k1", RAW[::-1])]).decrypt(blob, table="connections", row_id=1, field="client_secret")


def test_fingerprints_keyed_stable_and_one_per_key() -> None:
    old, new = Key("old", RAW), Key("new", RAW[::-1])
    a, b = Crypto([old]), Crypto([new, old])
    fp = a.fingerprint(SECRET)
    assert len(fp) == 64 and fp == a.fingerprint(SECRET) and fp != a.fingerprint(SECRET + "x")
    assert b.fingerprints(SECRET) == [b.fingerprint(SECRET), fp]
    assert b.fingerprint(SECRET) != fp  # keyed: another key gives another fingerprint
    import hashlib

    assert fp != hashlib.sha256(SECRET.encode()).hexdigest()


def test_crypto_refuses_no_keys_and_duplicate_kids() -> None:
    with pytest.raises(ValueError, match="ENCRYPTION_KEYS"):
        Crypto([])
    with pytest.raises(ValueError, match="repeats a key id"):
        Crypto([Key("a", RAW), Key("a", RAW[::-1])])


def test_key_file_is_created_once_with_mode_0600(tmp_path) -> None:
    path = tmp_path / "data" / "encryption.key"
    keys, created = load_or_create_key_file(path)
    assert created and len(keys) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again, created_again = load_or_create_key_file(path)
    assert not created_again and again == keys
    # the key encrypts and a fresh process (re-read) decrypts
    blob = Crypto(keys).encrypt(SECRET, table="connections", row_id=1, field="client_secret")
    assert Crypto(again).decrypt(blob, table="connections", row_id=1, field="client_secret") == SECRET


def test_key_file_concurrent_first_start_agrees(tmp_path) -> None:
    path = tmp_path / "encryption.key"
    results: list[list[Key]] = []
    barrier = threading.Barrier(6)

    def start() -> None:
        barrier.wait()
        results.append(load_or_create_key_file(path)[0])

    threads = [threading.Thread(target=start) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 6 and all(r == results[0] for r in results)


def test_corrupt_key_file_names_the_file(tmp_path) -> None:
    path = tmp_path / "encryption.key"
    path.write_text("k1:tooshort\n")
    with pytest.raises(ValueError) as info:
        load_or_create_key_file(path)
    assert str(path) in str(info.value) and "tooshort" not in str(info.value)
