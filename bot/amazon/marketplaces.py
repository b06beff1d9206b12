"""Every SP-API marketplace, its region and the region's production host.

Source: Amazon's "Marketplace IDs" page (developer-docs.amazon.com/sp-api/docs/marketplace-ids),
checked entry by entry. Amazon writes the United Kingdom as ``UK`` (not the ISO ``GB``); ``GB`` is
accepted as an alias when a user types it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Marketplace:
    country_code: str
    name: str
    marketplace_id: str
    region: str


MARKETPLACES: tuple[Marketplace, ...] = (
    # North America
    Marketplace("CA", "Canada", "A2EUQ1WTGCTBG2", "NA"),
    Marketplace("US", "United States of America", "ATVPDKIKX0DER", "NA"),
    Marketplace("MX", "Mexico", "A1AM78C64UM0Y8", "NA"),
    Marketplace("BR", "Brazil", "A2Q3Y263D00KWC", "NA"),
    # Europe
    Marketplace("IE", "Ireland", "A28R8C7NBKEWEA", "EU"),
    Marketplace("ES", "Spain", "A1RKKUPIHCS9HS", "EU"),
    Marketplace("UK", "United Kingdom", "A1F83G8C2ARO7P", "EU"),
    Marketplace("FR", "France", "A13V1IB3VIYZZH", "EU"),
    Marketplace("BE", "Belgium", "AMEN7PMS3EDWL", "EU"),
    Marketplace("NL", "Netherlands", "A1805IZSGTT6HS", "EU"),
    Marketplace("DE", "Germany", "A1PA6795UKMFR9", "EU"),
    Marketplace("IT", "Italy", "APJ6JRA9NG5V4", "EU"),
    Marketplace("SE", "Sweden", "A2NODRKZP88ZB9", "EU"),
    Marketplace("ZA", "South Africa", "AE08WJ6YKNBMC", "EU"),
    Marketplace("PL", "Poland", "A1C3SOZRARQ6R3", "EU"),
    Marketplace("EG", "Egypt", "ARBP9OOSHTCHU", "EU"),
    Marketplace("TR", "Turkey", "A33AVAJ2PDY3EV", "EU"),
    Marketplace("SA", "Saudi Arabia", "A17E79C6D8DWNP", "EU"),
    Marketplace("AE", "United Arab Emirates", "A2VIGQ35RCS4UG", "EU"),
    Marketplace("IN", "India", "A21TJRUUN4KGV", "EU"),
    # Far East
    Marketplace("SG", "Singapore", "A19VAU5U5O7RUS", "FE"),
    Marketplace("AU", "Australia", "A39IBJ37TRP1C6", "FE"),
    Marketplace("JP", "Japan", "A1VC38T7YXB528", "FE"),
)

REGION_HOSTS: dict[str, str] = {
    "NA": "https://sellingpartnerapi-na.amazon.com",
    "EU": "https://sellingpartnerapi-eu.amazon.com",
    "FE": "https://sellingpartnerapi-fe.amazon.com",
}

REGION_NAMES: dict[str, str] = {"NA": "North America", "EU": "Europe", "FE": "Far East"}

_COUNTRY_ALIASES: dict[str, str] = {"GB": "UK"}

_BY_ID: dict[str, Marketplace] = {m.marketplace_id: m for m in MARKETPLACES}
_BY_COUNTRY: dict[str, Marketplace] = {m.country_code: m for m in MARKETPLACES}


def marketplace_by_id(mid: str) -> Marketplace | None:
    """The marketplace with this ID (exact, case-insensitive), or None."""
    if not isinstance(mid, str):
        return None
    return _BY_ID.get(mid.strip().upper())


def marketplace_by_country(cc: str) -> Marketplace | None:
    """The marketplace for a two-letter country code such as ``US`` or ``uk`` (``GB`` means UK)."""
    if not isinstance(cc, str):
        return None
    code = cc.strip().upper()
    return _BY_COUNTRY.get(_COUNTRY_ALIASES.get(code, code))


def endpoint_for_region(region: str, override: str | None) -> str:
    """The SP-API base URL for ``region``.

    ``override`` (SP_API_ENDPOINT) replaces every regional host when set. It may contain the
    placeholder ``{region}``, replaced by ``na``, ``eu`` or ``fe``: that lets one local fake tell the
    regions apart. Raises ``KeyError`` for an unknown region when there is no override.
    """
    if override:
        return override.rstrip("/").replace("{region}", region.lower())
    return REGION_HOSTS[region.upper()]
