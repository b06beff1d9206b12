"""The credentials one check is made with. Its repr and str show only masks of the secrets."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.redaction import mask


@dataclass(repr=False)
class Credentials:
    account_type: str
    selling_partner_id: str
    client_id: str
    client_secret: str
    refresh_token: str
    marketplace_id: str

    def __repr__(self) -> str:
        return (
            f"Credentials(account_type={self.account_type!r}, "
            f"selling_partner_id={self.selling_partner_id!r}, client_id={self.client_id!r}, "
            f"client_secret={mask(self.client_secret)!r}, refresh_token={mask(self.refresh_token)!r}, "
            f"marketplace_id={self.marketplace_id!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_fields(cls, values: Mapping[str, str]) -> Credentials:
        """From ``validate_credentials(...).values`` (the form's cleaned field keys)."""
        return cls(
            account_type=values["account_type"],
            selling_partner_id=values["selling_partner_id"],
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            refresh_token=values["refresh_token"],
            marketplace_id=values["marketplace"],
        )
