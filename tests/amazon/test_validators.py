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
from bot.i18n import Marketplace, Message, Param
from bot.views.blocks import Words
from tests.fakes.fake_amazon import credential_fields, make_credentials

CLIENT_ID = "amzn1.application-oa2-client." + "a" * 32
SECRET = "amzn1.oa2-cs.v1." + "b" * 64
LEGACY_SECRET = "0123456789abcdef" * 4
REFRESH = "Atzr|IwEB" + "x" * 300
ACCESS = "Atza|IwEB" + "y" * 300
APP_ID = "amzn1.sp.solution.2b4c6d8e-1234-4bcd-9876-0123456789ab"
APPLICATION_ID = "amzn1.sellerapps.app.2b4c6d8e-1234-4bcd-9876-0123456789ab"


def label(key: str) -> Message:
    return Message(f"amazon.field.{key}.label")


def how_to(key: str) -> Message:
    return Message(f"amazon.field.{key}.how_to")


def about(key: str, field: str, **params: Param) -> Message:
    """A sentence about ``field`` naming its label and where to find it."""
    return Message(key, label=label(field), how_to=how_to(field), **params)


def see(key: str, field: str) -> Message:
    """A sentence naming where to find ``field``."""
    return Message(key, how_to=how_to(field))


def mixup(field: str, kind: str, target: str | None = None) -> Message:
    if target is None:
        return about("amazon.error.mixup", field, what=Message(f"amazon.kind.{kind}"))
    return about("amazon.error.mixup_belongs", field, what=Message(f"amazon.kind.{kind}"), target=label(target))


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
    ("value", "error"),
    [
        ("", about("amazon.error.empty", "client_id")),
        ("amzn1.application-oa2-client.abc", Message("amazon.error.client_id.tail")),
        ("amzn1.application-oa2-client." + "z" * 32, Message("amazon.error.client_id.tail")),
        ("client-" + "a" * 32, see("amazon.error.client_id.prefix", "client_id")),
        (CLIENT_ID[:20] + " " + CLIENT_ID[20:], Message("amazon.error.inner_space", label=label("client_id"))),
        (CLIENT_ID[:20] + "\u200b" + CLIENT_ID[20:], Message("amazon.error.invisible_char", label=label("client_id"))),
    ],
)
def test_client_id_errors(value: str, error: Message) -> None:
    r = check_client_id(value)
    assert r.value is None and r.error == error


def test_client_secret_ok_and_legacy_note() -> None:
    assert check_client_secret(SECRET).error is None
    legacy = check_client_secret(LEGACY_SECRET)
    assert legacy.value == LEGACY_SECRET and legacy.error is None
    assert legacy.note == Message("amazon.note.client_secret.legacy")


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ("amzn1.oa2-cs.v1.1234", Message("amazon.error.client_secret.tail")),
        ("secret123", see("amazon.error.client_secret.prefix", "client_secret")),
        ("", about("amazon.error.empty", "client_secret")),
    ],
)
def test_client_secret_errors(value: str, error: Message) -> None:
    assert check_client_secret(value).error == error


def test_refresh_token_rules() -> None:
    assert check_refresh_token(REFRESH).value == REFRESH
    assert check_refresh_token("Atzr|abc").error == Message("amazon.error.refresh_token.too_short")
    assert check_refresh_token("Atzr|" + "a" * 50 + "<>").error == Message("amazon.error.refresh_token.characters")
    assert check_refresh_token("atzr|" + "a" * 60).error == Message("amazon.error.refresh_token.case")
    assert check_refresh_token("IwEB" + "a" * 60).error == see("amazon.error.refresh_token.prefix", "refresh_token")
    assert check_refresh_token(REFRESH[:100] + "\n" + REFRESH[100:]).error == Message(
        "amazon.error.inner_space", label=label("refresh_token"))


def test_seller_id_rules() -> None:
    assert check_seller_id("A2EXAMPLE1234").value == "A2EXAMPLE1234"
    lower = check_seller_id("a2example1234")
    assert lower.value == "A2EXAMPLE1234" and lower.note == Message("amazon.note.seller_id.uppercased")
    assert check_seller_id("B2EXAMPLE1234").error == see("amazon.error.seller_id.start", "seller_id")
    assert check_seller_id("A12").error == see("amazon.error.seller_id.too_short", "seller_id")
    assert check_seller_id("A" + "1" * 30).error == see("amazon.error.seller_id.too_long", "seller_id")
    assert check_seller_id("A2EXAMPLE-1234").error == see("amazon.error.seller_id.characters", "seller_id")


def test_vendor_code_rules() -> None:
    assert check_vendor_code("ABC12").value == "ABC12"
    lower = check_vendor_code("abc12")
    assert lower.value == "ABC12" and lower.note == Message("amazon.note.vendor_code.uppercased")
    assert check_vendor_code("AB-12").error == see("amazon.error.vendor_code.characters", "vendor_code")
    assert check_selling_partner_id("ABC12", "vendor").value == "ABC12"
    assert check_selling_partner_id("A2EXAMPLE1234", "seller").value == "A2EXAMPLE1234"
    assert check_selling_partner_id("ABC12", "other").error == Message(
        "amazon.error.selling_partner_id.account_type_first")


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
    assert check_marketplace("Atlantis").error == see("amazon.error.marketplace.unknown", "marketplace")
    assert check_marketplace(" ").error == see("amazon.error.marketplace.empty", "marketplace")
    assert check_marketplace("https://sandbox.sellingpartnerapi-na.amazon.com").error == Message(
        "amazon.error.sandbox", label=label("marketplace"))


def test_connection_name() -> None:
    assert check_connection_name("  US Main Store ").value == "US Main Store"
    assert check_connection_name("x" * 81).error == Message("amazon.error.connection_name.too_long")
    assert check_connection_name("x" * 80).error is None
    assert check_connection_name("US\nMain").error == Message("amazon.error.connection_name.control")
    assert check_connection_name(SECRET).error == Message("amazon.error.connection_name.credential",
                                                          what=Message("amazon.kind.client_secret"))


def test_messages_name_the_field_in_the_readers_words() -> None:
    """Labels and how-to sentences are nested meanings: each language says them its own way."""
    words = Words("en")
    assert words.text(check_client_id("").error) == words.text(
        "amazon.error.empty", label=words.text("amazon.field.client_id.label"),
        how_to=words.text("amazon.field.client_id.how_to"))
    pasted = check_seller_id("ATVPDKIKX0DER").error
    assert pasted is not None and words.marketplace("ATVPDKIKX0DER") in words.text(pasted)


# -- mix-ups -------------------------------------------------------------------------------

MIXUPS = [
    # (field key, pasted value, what the field is told)
    ("client_secret", CLIENT_ID, mixup("client_secret", "client_id", target="client_id")),
    ("client_id", SECRET, mixup("client_id", "client_secret", target="client_secret")),
    ("client_id", APP_ID, mixup("client_id", "app_id")),
    ("client_id", APPLICATION_ID, mixup("client_id", "application_id")),
    ("client_id", "amzn1.application." + "d" * 32, mixup("client_id", "security_profile")),
    ("refresh_token", SECRET, mixup("refresh_token", "client_secret", target="client_secret")),
    ("refresh_token", LEGACY_SECRET, mixup("refresh_token", "legacy_secret", target="client_secret")),
    ("refresh_token", ACCESS, mixup("refresh_token", "access_token")),
    ("refresh_token", CLIENT_ID, mixup("refresh_token", "client_id", target="client_id")),
    ("client_secret", REFRESH, mixup("client_secret", "refresh_token", target="refresh_token")),
    ("client_id", REFRESH, mixup("client_id", "refresh_token", target="refresh_token")),
    ("selling_partner_id", "ATVPDKIKX0DER",
     about("amazon.error.marketplace_id_pasted", "seller_id", marketplace=Marketplace("ATVPDKIKX0DER"))),
    ("selling_partner_id", REFRESH, mixup("seller_id", "refresh_token", target="refresh_token")),
    ("marketplace", CLIENT_ID, mixup("marketplace", "client_id", target="client_id")),
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


@pytest.mark.parametrize(("key", "value", "error"), MIXUPS)
def test_every_mixup_is_named(key: str, value: str, error: Message) -> None:
    result = validate_credentials(_fields(**{key: value}))
    assert not result.ok
    assert set(result.errors) == {key}
    assert result.errors[key] == error
    assert value not in Words("en").text(result.errors[key])


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
    assert result.errors[key] == Message("amazon.error.sandbox", label=label(key))


def test_vendor_code_field_names_vendor() -> None:
    result = validate_credentials(_fields(account_type="vendor", selling_partner_id="ATVPDKIKX0DER"))
    assert result.errors["selling_partner_id"] == about("amazon.error.marketplace_id_pasted", "vendor_code",
                                                        marketplace=Marketplace("ATVPDKIKX0DER"))


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
    assert result.errors["selling_partner_id"] == about("amazon.error.empty", "seller_id")


def test_validate_credentials_bad_account_type() -> None:
    result = validate_credentials(_fields(account_type="buyer"))
    assert result.errors["account_type"] == Message("amazon.error.account_type.choose")


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
    words = Words("en")
    for message in list(result.errors.values()) + list(result.notes.values()):
        sentence = words.text(message)
        assert secret not in sentence and secret not in repr(message)
        assert secret[-8:] not in sentence or len(secret) < 24
