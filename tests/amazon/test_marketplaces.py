from __future__ import annotations

import pytest

from bot.amazon.marketplaces import (
    MARKETPLACES,
    REGION_HOSTS,
    REGION_NAMES,
    endpoint_for_region,
    marketplace_by_country,
    marketplace_by_id,
)

# Amazon's published list (developer-docs.amazon.com/sp-api/docs/marketplace-ids).
PUBLISHED = {
    "CA": ("A2EUQ1WTGCTBG2", "NA"),
    "US": ("ATVPDKIKX0DER", "NA"),
    "MX": ("A1AM78C64UM0Y8", "NA"),
    "BR": ("A2Q3Y263D00KWC", "NA"),
    "IE": ("A28R8C7NBKEWEA", "EU"),
    "ES": ("A1RKKUPIHCS9HS", "EU"),
    "UK": ("A1F83G8C2ARO7P", "EU"),
    "FR": ("A13V1IB3VIYZZH", "EU"),
    "BE": ("AMEN7PMS3EDWL", "EU"),
    "NL": ("A1805IZSGTT6HS", "EU"),
    "DE": ("A1PA6795UKMFR9", "EU"),
    "IT": ("APJ6JRA9NG5V4", "EU"),
    "SE": ("A2NODRKZP88ZB9", "EU"),
    "ZA": ("AE08WJ6YKNBMC", "EU"),
    "PL": ("A1C3SOZRARQ6R3", "EU"),
    "EG": ("ARBP9OOSHTCHU", "EU"),
    "TR": ("A33AVAJ2PDY3EV", "EU"),
    "SA": ("A17E79C6D8DWNP", "EU"),
    "AE": ("A2VIGQ35RCS4UG", "EU"),
    "IN": ("A21TJRUUN4KGV", "EU"),
    "SG": ("A19VAU5U5O7RUS", "FE"),
    "AU": ("A39IBJ37TRP1C6", "FE"),
    "JP": ("A1VC38T7YXB528", "FE"),
}


def test_table_matches_amazons_published_list() -> None:
    assert {m.country_code: (m.marketplace_id, m.region) for m in MARKETPLACES} == PUBLISHED


def test_ids_and_country_codes_are_unique() -> None:
    assert len({m.marketplace_id for m in MARKETPLACES}) == len(MARKETPLACES)
    assert len({m.country_code for m in MARKETPLACES}) == len(MARKETPLACES)


def test_issue_examples() -> None:
    assert marketplace_by_country("US").marketplace_id == "ATVPDKIKX0DER"
    assert marketplace_by_country("UK").marketplace_id == "A1F83G8C2ARO7P"
    assert marketplace_by_country("JP").region == "FE"


@pytest.mark.parametrize("text", ["gb", " GB ", "uk"])
def test_country_lookup_is_case_insensitive_and_knows_gb(text: str) -> None:
    assert marketplace_by_country(text).country_code == "UK"


def test_lookups_miss_cleanly() -> None:
    assert marketplace_by_id("NOPE") is None
    assert marketplace_by_country("XX") is None
    assert marketplace_by_id(None) is None  # type: ignore[arg-type]
    assert marketplace_by_id("atvpdkikx0der").country_code == "US"


def test_regions_and_hosts() -> None:
    assert REGION_HOSTS == {
        "NA": "https://sellingpartnerapi-na.amazon.com",
        "EU": "https://sellingpartnerapi-eu.amazon.com",
        "FE": "https://sellingpartnerapi-fe.amazon.com",
    }
    assert REGION_NAMES == {"NA": "North America", "EU": "Europe", "FE": "Far East"}
    assert {m.region for m in MARKETPLACES} == set(REGION_HOSTS)


def test_endpoint_for_region_and_override() -> None:
    assert endpoint_for_region("EU", None) == "https://sellingpartnerapi-eu.amazon.com"
    assert endpoint_for_region("fe", "") == "https://sellingpartnerapi-fe.amazon.com"
    assert endpoint_for_region("NA", "http://127.0.0.1:9/") == "http://127.0.0.1:9"
    assert endpoint_for_region("EU", "http://127.0.0.1:9/{region}") == "http://127.0.0.1:9/eu"
    with pytest.raises(KeyError):
        endpoint_for_region("XX", None)
