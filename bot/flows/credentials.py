"""Amazon credentials for a stored connection: its plain columns plus its decrypted secrets."""

from __future__ import annotations

from bot.amazon.client import Credentials
from storage.models import Connection


def stored_credentials(conn: Connection, *, client_secret: str, refresh_token: str) -> Credentials:
    return Credentials(
        account_type=conn.account_type,
        selling_partner_id=conn.selling_partner_id,
        client_id=conn.client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        marketplace_id=conn.marketplace_id,
    )
