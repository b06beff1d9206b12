"""The two secrets of a connection, encrypted per field (AES-256-GCM, bound to table, row and field) and
decrypted only into ``ConnectionSecrets``, whose repr shows masks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from bot.redaction import mask
from storage.crypto import Crypto, DecryptionError
from storage.models import Connection
from storage.repo._shared import _FIELD_LABEL, CLIENT_SECRET, REFRESH_TOKEN, TABLE


class SecretsErased(DecryptionError):
    """The connection was disconnected: its secrets are gone, there is nothing to decrypt."""


@dataclass(repr=False, frozen=True)
class ConnectionSecrets:
    """Decrypted secrets of one connection. Its repr and str show only masks."""

    client_secret: str
    refresh_token: str

    def __repr__(self) -> str:
        return (
            f"ConnectionSecrets(client_secret={mask(self.client_secret)!r}, "
            f"refresh_token={mask(self.refresh_token)!r})"
        )

    __str__ = __repr__


def _set_secret(crypto: Crypto, conn: Connection, field: str, secret: str) -> None:
    if not secret:
        raise ValueError(f"the {_FIELD_LABEL[field]} is empty")
    assert conn.id is not None
    blob = crypto.encrypt(secret, table=TABLE, row_id=conn.id, field=field)
    setattr(conn, f"{field}_enc", blob)
    setattr(conn, f"{field}_fp", crypto.fingerprint(secret))


def _decrypt_field(crypto: Crypto, conn: Connection, field: str) -> str:
    blob = getattr(conn, f"{field}_enc")
    label = _FIELD_LABEL[field]
    if blob is None:
        raise SecretsErased(
            f"connection {conn.label()} has no stored {label}: it was disconnected; connect it again",
            table=TABLE, row_id=conn.id, field=field, reason="erased", detail="it was disconnected",
        )
    assert conn.id is not None
    try:
        return crypto.decrypt(blob, table=TABLE, row_id=conn.id, field=field)
    except DecryptionError as exc:
        raise DecryptionError(
            f"cannot decrypt the {label} of connection {conn.label()}: {exc.detail}",
            table=TABLE, row_id=conn.id, field=field, kid=exc.kid, reason=exc.reason, detail=exc.detail,
        ) from None


def load_secrets(session: Session, crypto: Crypto, connection: Connection) -> ConnectionSecrets:
    """Decrypt both secrets. Raises ``DecryptionError`` naming the connection (``SecretsErased`` if gone)."""
    return ConnectionSecrets(
        client_secret=_decrypt_field(crypto, connection, CLIENT_SECRET),
        refresh_token=_decrypt_field(crypto, connection, REFRESH_TOKEN),
    )
