from __future__ import annotations

import secrets
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.amazon.validators import (
    FIELD_KEYS,
    check_client_id,
    check_client_secret,
    check_connection_name,
    check_marketplace,
    check_refresh_token,
    check_seller_id,
    check_selling_partner_id,
    check_vendor_code,
    clean,
    validate_credentials,
)
from tests.fakes.fake_amazon import credential_fields, make_credentials

CLIENT_ID = "amzn1.application-oa2-client." + "a" * 32
SECRET = "amzn1.oa2-cs.v1." + "b" * 64
LEGACY_SECRET = "0123456789abcdef" * 4
REFRESH = "Atzr|IwEB" + "x" * 300
ACCESS = "Atza|IwEB" + "y" * 300
APP_ID = "amzn1.sp.solution.2b4c6d8e-1234-4bcd-9876-0123456789ab"
APPLICATION_ID = "amzn1.sellerapps.app.2b4c6d8e-1234-4bcd-9876-0123456789ab"


# -- clean ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [f"  {CLIENT_ID}\n", f"\u200b{CLIENT_ID}\ufeff", f"\u2060 \u200c{CLIENT_ID}\u200d \t", f"\xa0{CLIENT_ID}"],
)
def test_clean_trims_whitespace_and_zero_width(raw: str) -> None:
    assert clean(raw) == CLIENT_ID
    assert check_client_id(raw).value == CLIENT_ID


def test_clean_odd_inputs() -> None:
    assert clean(None) == ""
    assert clean(b" abc ") == "abc"
    assert clean(42) == "42"


# -- each field ----------------------------------------------------------------------------


def test_client_id_ok_and_length_tolerant() -> None:
    assert check_client_id(CLIENT_ID).error is None
    assert check_client_id("amzn1.application-oa2-client." + "c" * 40).error is None


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("", "is empty"),
        ("amzn1.application-oa2-client.abc", "cut short"),
        ("amzn1.application-oa2-client." + "z" * 32, "cut short or altered"),
        ("client-" + "a" * 32, "should start with amzn1.application-oa2-client."),
        (CLIENT_ID[:20] + " " + CLIENT_ID[20:], "space or line break"),
        (CLIENT_ID[:20] + "\u200b" + CLIENT_ID[20:], "invisible character"),
    ],
)
def test_client_id_errors(value: str, phrase: str) -> None:
    r = check_client_id(value)
    assert r.value is None and phrase in r.error and "LWA client ID" in r.error


def test_client_secret_ok_and_legacy_note() -> None:
    assert check_client_secret(SECRET).error is None
    legacy = check_client_secret(LEGACY_SECRET)
    assert legacy.value == LEGACY_SECRET and legacy.error is None
    assert "older client secret" in legacy.note


@pytest.mark.parametrize(
    ("value", "phrase"),
    [
        ("amzn1.oa2-cs.v1.1234", "cut short"),
        ("secret123", "should start with amzn1.oa2-cs.v1."),
        ("", "is empty"),
    ],
)
def test_client_secret_errors(value: str, phrase: str) -> None:
    r = check_client_secret(value)
    assert phrase in r.error and "LWA client secret" in r.error


def test_refresh_token_rules() -> None:
    assert check_refresh_token(REFRESH).value == REFRESH
    assert "too short" in check_refresh_token("Atzr|abc").error
    assert "characters Amazon does not use" in check_refresh_token("Atzr|" + "a" * 50 + "<>").error
    assert "capital A" in check_refresh_token("atzr|" + "a" * 60).error
    assert "should start with Atzr|" in check_refresh_token("IwEB" + "a" * 60).error
    assert "line break" in check_refresh_token(REFRESH[:100] + "\n" + REFRESH[100:]).error


def test_seller_id_rules() -> None:
    assert check_seller_id("A2EXAMPLE1234").value == "A2EXAMPLE1234"
    lower = check_seller_id("a2example1234")
    assert lower.value == "A2EXAMPLE1234" and "capital letters" in lower.note
    assert "start with a capital A" in check_seller_id("B2EXAMPLE1234").error
    assert "too short" in check_seller_id("A12").error
    assert "too long" in check_seller_id("A" + "1" * 30).error
    assert "capital letters and digits only" in check_seller_id("A2EXAMPLE-1234").error


def test_vendor_code_rules() -> None:
    assert check_vendor_code("ABC12").value == "ABC12"
    assert check_vendor_code("abc12").value == "ABC12"
    assert "letters and digits only" in check_vendor_code("AB-12").error
    assert check_selling_partner_id("ABC12", "vendor").value == "ABC12"
    assert check_selling_partner_id("A2EXAMPLE1234", "seller").value == "A2EXAMPLE1234"
    assert "Seller or Vendor" in check_selling_partner_id("ABC12", "other").error


@pytest.mark.parametrize(
    ("value", "mid"),
    [
        ("US", "ATVPDKIKX0DER"),
        ("gb", "A1F83G8C2ARO7P"),
        ("A1VC38T7YXB528", "A1VC38T7YXB528"),
        ("germany", "A1PA6795UKMFR9"),
    ],
)
def test_marketplace_accepts_codes_ids_names(value: str, mid: str) -> None:
    assert check_marketplace(value).value == mid


def test_marketplace_errors() -> None:
    assert "not one Amazon lists" in check_marketplace("Atlantis").error
    assert "is empty" in check_marketplace(" ").error
    assert "Sandbox" in check_marketplace("https://sandbox.sellingpartnerapi-na.amazon.com").error


def test_connection_name() -> None:
    assert check_connection_name("  US Main Store ").value == "US Main Store"
    assert "longer than 80" in check_connection_name("x" * 81).error
    assert check_connection_name("x" * 80).error is None
    assert "line break" in check_connection_name("US\nMain").error
    assert "Never put credentials" in check_connection_name(SECRET).error


# -- mix-ups -------------------------------------------------------------------------------

MIXUPS = [
    # (field key, pasted value, words the sentence must contain)
    ("client_secret", CLIENT_ID, ["LWA client secret field holds an LWA client ID", "LWA client ID field"]),
    ("client_id", SECRET, ["LWA client ID field holds the LWA client secret", "LWA client secret field"]),
    ("client_id", APP_ID, ["LWA client ID field holds the App ID (amzn1.sp.solution."]),
    ("client_id", APPLICATION_ID, ["Application ID shown on the app list"]),
    ("client_id", "amzn1.application." + "d" * 32, ["security profile ID"]),
    ("refresh_token", SECRET, ["Refresh token field holds the LWA client secret"]),
    ("refresh_token", LEGACY_SECRET, ["Refresh token field holds what looks like an LWA client secret"]),
    ("refresh_token", ACCESS, ["Refresh token field holds an access token (Atza|", "expires within an hour"]),
    ("refresh_token", CLIENT_ID, ["Refresh token field holds an LWA client ID"]),
    ("client_secret", REFRESH, ["LWA client secret field holds a refresh token (Atzr|", "Refresh token field"]),
    ("client_id", REFRESH, ["LWA client ID field holds a refresh token"]),
    ("selling_partner_id", "ATVPDKIKX0DER", ["Seller ID field holds the marketplace ID of United States"]),
    ("selling_partner_id", REFRESH, ["Seller ID field holds a refresh token"]),
    ("marketplace", CLIENT_ID, ["Marketplace field holds an LWA client ID"]),
]


def _fields(**overrides: str) -> dict[str, str]:
    base = {
        "account_type": "seller",
        "selling_partner_id": "A2EXAMPLE1234",
        "client_id": CLIENT_ID,
        "client_secret": SECRET,
        "refresh_token": REFRESH,
        "marketplace": "US",
        "connection_name": "US Main Store",
    }
    base.update(overrides)
    return base


@pytest.mark.parametrize(("key", "value", "phrases"), MIXUPS)
def test_every_mixup_is_named(key: str, value: str, phrases: list[str]) -> None:
    result = validate_credentials(_fields(**{key: value}))
    assert not result.ok
    assert set(result.errors) == {key}
    for phrase in phrases:
        assert phrase in result.errors[key]
    assert value not in result.errors[key]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("client_id", "amzn1.application-oa2-client.sandbox" + "a" * 25),
        ("marketplace", "sandbox.sellingpartnerapi-na.amazon.com"),
        ("refresh_token", "Atzr|sandbox" + "a" * 60),
    ],
)
def test_sandbox_app_is_named(key: str, value: str) -> None:
    result = validate_credentials(_fields(**{key: value}))
    assert "Sandbox app" in result.errors[key] and "Production app" in result.errors[key]


def test_vendor_code_field_names_vendor() -> None:
    result = validate_credentials(_fields(account_type="vendor", selling_partner_id="ATVPDKIKX0DER"))
    assert "Vendor code field holds the marketplace ID" in result.errors["selling_partner_id"]


# -- whole form ----------------------------------------------------------------------------


def test_validate_credentials_ok_and_cleans() -> None:
    creds = make_credentials()
    fields = credential_fields(creds)
    fields["client_secret"] = "\u200b " + fields["client_secret"] + "\n"
    result = validate_credentials(fields)
    assert result.ok and result.errors == {}
    assert result.values == {
        "account_type": "seller",
        "selling_partner_id": creds.selling_partner_id,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "marketplace": "ATVPDKIKX0DER",
        "connection_name": "US Main Store",
    }


def test_validate_credentials_reports_every_bad_field_and_keeps_good_ones() -> None:
    result = validate_credentials({"account_type": "Seller", "client_id": CLIENT_ID})
    assert result.values == {"account_type": "seller", "client_id": CLIENT_ID}
    assert set(result.errors) == {
        "selling_partner_id",
        "client_secret",
        "refresh_token",
        "marketplace",
        "connection_name",
    }
    assert "Seller ID is empty" in result.errors["selling_partner_id"]


def test_validate_credentials_bad_account_type() -> None:
    result = validate_credentials(_fields(account_type="buyer"))
    assert "Seller account or a Vendor account" in result.errors["account_type"]


# -- properties ----------------------------------------------------------------------------

ANYTHING = st.one_of(
    st.text(),
    st.text(alphabet=string.printable + "\u200b\u200c\u200d\u2060\ufeff|.-"),
    st.builds(lambda t: "Atzr|" + t, st.text()),
    st.builds(lambda t: "amzn1.oa2-cs.v1." + t, st.text()),
    st.builds(lambda t: "amzn1.application-oa2-client." + t, st.text()),
    st.binary(),
    st.integers(),
    st.none(),
    st.floats(),
    st.lists(st.text()),
)


@settings(max_examples=300)
@given(ANYTHING)
def test_field_checks_never_raise(value: object) -> None:
    for check in (
        check_client_id,
        check_client_secret,
        check_refresh_token,
        check_seller_id,
        check_vendor_code,
        check_marketplace,
        check_connection_name,
    ):
        r = check(value)
        assert (r.value is None) != (r.error is None)
    check_selling_partner_id(value, value)
    check_selling_partner_id(value, "seller")


@settings(max_examples=200)
@given(st.dictionaries(st.sampled_from(FIELD_KEYS + ("junk",)), ANYTHING))
def test_validate_credentials_never_raises(fields: dict[str, object]) -> None:
    result = validate_credentials(fields)
    assert result.ok == (not result.errors)
    assert set(result.errors) | set(result.values) <= set(FIELD_KEYS)


def test_validate_credentials_survives_non_mappings() -> None:
    assert not validate_credentials(None).ok  # type: ignore[arg-type]
    assert not validate_credentials(["x"]).ok  # type: ignore[arg-type]


SECRETISH = st.one_of(
    st.builds(lambda n: "amzn1.oa2-cs.v1." + secrets.token_hex(n), st.integers(1, 80)),
    st.builds(lambda t: "Atzr|" + t, st.text(alphabet=string.ascii_letters + string.digits + "-_|", min_size=1)),
    st.builds(lambda t: "Atza|" + t, st.text(alphabet=string.ascii_letters + "-_", min_size=1)),
)


@settings(max_examples=200)
@given(
    SECRETISH,
    st.sampled_from(
        ["client_id", "client_secret", "refresh_token", "selling_partner_id", "marketplace", "connection_name"]
    ),
)
def test_error_sentences_never_contain_the_pasted_secret(secret: str, key: str) -> None:
    result = validate_credentials(_fields(**{key: secret + " junk"}))
    for sentence in list(result.errors.values()) + list(result.notes.values()):
        assert secret not in sentence
        assert secret[-8:] not in sentence or len(secret) < 24
