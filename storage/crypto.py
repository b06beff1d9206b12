"""Encryption of stored secrets: AES-256-GCM with key ids and associated data, plus fingerprints.

Blob layout (all ciphertexts this module writes)::

    version (1 byte, 0x01) | kid length (1 byte) | kid (ASCII) | nonce (12 bytes) | ciphertext+tag

The associated data is ``f"{table}:{row_id}:{field}:{kid}"``, so a blob copied to another row or
another field, or relabelled with another key id, fails to decrypt.

ENCRYPTION_KEYS holds one or more ``KID:BASE64`` entries separated by commas, newest first. The
newest key encrypts; every key decrypts. Fingerprints are HMAC-SHA256 with a key derived by HKDF
from a key's material, so a leaked secret can be matched to its row without decrypting anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

BLOB_VERSION = 1
NONCE_BYTES = 12
KEY_BYTES = 32
_KID_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_FINGERPRINT_INFO = b"amazon-connect-bot/fingerprint/v1"
_TOOL_KEY_INFO = b"amazon-connect-bot/tool-key/v1"
GEN_KEY_HINT = "generate one with `python -m bot gen-key`"


class DecryptionError(Exception):
    """A stored ciphertext could not be decrypted. The message never contains key material or plaintext."""

    def __init__(
        self,
        message: str,
        *,
        table: str = "",
        row_id: int | None = None,
        field: str = "",
        kid: str | None = None,
        reason: str = "",
        detail: str = "",
    ) -> None:
        super().__init__(message)
        self.detail = detail or message
        self.table = table
        self.row_id = row_id
        self.field = field
        self.kid = kid
        self.reason = reason


@dataclass(frozen=True)
class Key:
    """One encryption key. ``material`` is 32 random bytes and never appears in a repr."""

    kid: str
    material: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if not _KID_RE.match(self.kid):
            raise ValueError("a key id must be 1-32 letters, digits, '_' or '-'")
        if len(self.material) != KEY_BYTES:
            raise ValueError(f"a key must be exactly {KEY_BYTES} bytes")

    def __repr__(self) -> str:
        return f"Key(kid={self.kid!r}, material=<{KEY_BYTES} bytes hidden>)"

    __str__ = __repr__


def _decode_material(text: str) -> bytes | None:
    text = text.strip()
    if not text:
        return None
    padded = text + "=" * (-len(text) % 4)
    altchars = b"-_" if ("-" in text or "_" in text) else None
    try:
        raw = base64.b64decode(padded, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if len(raw) == KEY_BYTES else None


def parse_keys(value: str, *, source: str = "ENCRYPTION_KEYS") -> list[Key]:
    """Parse ``KID:BASE64[,KID:BASE64...]`` (newest first). Errors name ``source``, never the key."""
    if value is None or not value.strip():
        raise ValueError(f"{source} is empty; {GEN_KEY_HINT}")
    keys: list[Key] = []
    seen: set[str] = set()
    entries = value.split(",")
    for number, raw_entry in enumerate(entries, start=1):
        entry = raw_entry.strip()
        kid, sep, encoded = entry.partition(":")
        kid = kid.strip()
        if not entry or not sep:
            raise ValueError(f"{source} entry {number} is not KID:BASE64 of 32 bytes; {GEN_KEY_HINT}")
        if not _KID_RE.match(kid):
            raise ValueError(
                f"{source} entry {number} has a key id that is not 1-32 letters, digits, '_' or '-'; "
                f"{GEN_KEY_HINT}"
            )
        material = _decode_material(encoded)
        if material is None:
            raise ValueError(f"{source} entry {number} is not KID:BASE64 of 32 bytes; {GEN_KEY_HINT}")
        if kid in seen:
            raise ValueError(f"{source} entry {number} repeats the key id {kid!r}; every key needs its own id")
        seen.add(kid)
        keys.append(Key(kid=kid, material=material))
    return keys


def generate_key(kid: str | None = None) -> Key:
    """A new random 256-bit key. The default id is ``k<YYYYMMDD><6 hex>``, unique in practice."""
    if kid is None:
        kid = f"k{datetime.now(UTC):%Y%m%d}{secrets.token_hex(3)}"
    return Key(kid=kid, material=secrets.token_bytes(KEY_BYTES))


def format_keys(keys: Iterable[Key]) -> str:
    """The ENCRYPTION_KEYS text for ``keys`` (in the given order, newest first)."""
    return ",".join(f"{k.kid}:{base64.urlsafe_b64encode(k.material).decode('ascii')}" for k in keys)


def load_or_create_key_file(path: Path) -> tuple[list[Key], bool]:
    """Read the keys in ``path``; create the file (mode 0600) with one new key when it is missing.

    Returns ``(keys, created)``. When ``created`` is True the caller should log that production
    should pass ENCRYPTION_KEYS from a secret store. Safe when two processes start at once.
    """
    path = Path(path)
    if path.exists():
        return _read_key_file(path), False
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    # Write a private temporary file, then hard-link it into place: the key file appears complete
    # or not at all, and when two processes race, exactly one link wins and both use its key.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (format_keys([key]) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        return _read_key_file(path), False
    finally:
        tmp.unlink(missing_ok=True)
    return [key], True


def _read_key_file(path: Path) -> list[Key]:
    text = path.read_text(encoding="ascii", errors="replace")
    return parse_keys(text.strip(), source=f"the key file {path}")


class Crypto:
    """Encrypts with the newest key (the first), decrypts with any key it holds."""

    def __init__(self, keys: Sequence[Key]) -> None:
        if not keys:
            raise ValueError(f"ENCRYPTION_KEYS holds no key; {GEN_KEY_HINT}")
        kids = [k.kid for k in keys]
        if len(set(kids)) != len(kids):
            raise ValueError("ENCRYPTION_KEYS repeats a key id; every key needs its own id")
        self._keys: list[Key] = list(keys)
        self._by_kid: dict[str, Key] = {k.kid: k for k in keys}
        self._aead: dict[str, AESGCM] = {k.kid: AESGCM(k.material) for k in keys}
        self._fp_keys: dict[str, bytes] = {k.kid: _fingerprint_key(k) for k in keys}
        self._tool_keys: dict[str, bytes] = {k.kid: _derive(k, _TOOL_KEY_INFO) for k in keys}

    def __repr__(self) -> str:
        return f"Crypto(kids={self.kids!r})"

    @property
    def newest_kid(self) -> str:
        return self._keys[0].kid

    @property
    def kids(self) -> list[str]:
        return [k.kid for k in self._keys]

    @staticmethod
    def _aad(table: str, row_id: int, field: str, kid: str) -> bytes:
        return f"{table}:{row_id}:{field}:{kid}".encode()

    def encrypt(self, plaintext: str, *, table: str, row_id: int, field: str) -> bytes:
        if row_id is None:
            raise ValueError("encrypt needs the row id: flush the row before encrypting its secrets")
        kid = self.newest_kid
        nonce = os.urandom(NONCE_BYTES)
        ct = self._aead[kid].encrypt(nonce, plaintext.encode("utf-8"), self._aad(table, row_id, field, kid))
        kid_bytes = kid.encode("ascii")
        return bytes([BLOB_VERSION, len(kid_bytes)]) + kid_bytes + nonce + ct

    @staticmethod
    def _split(blob: bytes) -> tuple[str, bytes, bytes] | None:
        blob = bytes(blob)
        if len(blob) < 2 or blob[0] != BLOB_VERSION:
            return None
        kid_len = blob[1]
        start = 2 + kid_len
        if kid_len == 0 or len(blob) < start + NONCE_BYTES + 16:
            return None
        try:
            kid = blob[2:start].decode("ascii")
        except UnicodeDecodeError:
            return None
        if not _KID_RE.match(kid):
            return None
        return kid, blob[start : start + NONCE_BYTES], blob[start + NONCE_BYTES :]

    def key_id_of(self, blob: bytes) -> str:
        """The id of the key that made ``blob``; raises DecryptionError when it is no blob of ours."""
        parts = self._split(blob)
        if parts is None:
            raise DecryptionError(
                "the data is not a ciphertext written by this bot", reason="malformed"
            )
        return parts[0]

    def decrypt(self, blob: bytes, *, table: str, row_id: int, field: str) -> str:
        where = f"cannot decrypt {table}.{field} of row {row_id}"
        parts = self._split(blob) if blob is not None else None
        if parts is None:
            detail = "data was tampered with or belongs to another row/field"
            raise DecryptionError(
                f"{where}: {detail}", table=table, row_id=row_id, field=field, reason="tampered", detail=detail
            )
        kid, nonce, ct = parts
        aead = self._aead.get(kid)
        if aead is None:
            detail = f"key {kid!r} is not in ENCRYPTION_KEYS"
            raise DecryptionError(
                f"{where}: {detail}",
                table=table, row_id=row_id, field=field, kid=kid, reason="missing_key", detail=detail,
            )
        try:
            plain = aead.decrypt(nonce, ct, self._aad(table, row_id, field, kid))
        except InvalidTag:
            detail = "data was tampered with or belongs to another row/field"
            raise DecryptionError(
                f"{where}: {detail}",
                table=table, row_id=row_id, field=field, kid=kid, reason="tampered", detail=detail,
            ) from None
        return plain.decode("utf-8")

    def fingerprint(self, secret: str) -> str:
        """HMAC-SHA256 (hex) of ``secret`` under the newest key's fingerprint key."""
        return _hmac_hex(self._fp_keys[self.newest_kid], secret)

    def fingerprints(self, secret: str) -> list[str]:
        """One fingerprint per known key, newest first, so matching works during a key rotation."""
        return [_hmac_hex(self._fp_keys[k.kid], secret) for k in self._keys]


    def tool_key_hash(self, tool_key: str, kid: str | None = None) -> str | None:
        """HMAC-SHA256 (hex) of a tool key (``amzc_…``) under the tool-key hash key derived from key ``kid``
        (default: the newest). None when ``kid`` is not in ENCRYPTION_KEYS (the stored hash cannot be checked).
        Its own HKDF label, so it never equals a secret's fingerprint."""
        material = self._tool_keys.get(kid or self.newest_kid)
        return None if material is None else _hmac_hex(material, tool_key)


def _derive(key: Key, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key.material)


def _fingerprint_key(key: Key) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_FINGERPRINT_INFO).derive(key.material)


def _hmac_hex(key: bytes, secret: str) -> str:
    return hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()
