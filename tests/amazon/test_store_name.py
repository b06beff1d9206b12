"""The store name Amazon returns is cleaned before it is stored: a sane length, one line, no control,
invisible or bidirectional-override characters (a seller chooses the name, so it is hostile input)."""

from __future__ import annotations

import unicodedata

import pytest

from bot.amazon.client import AmazonClient
from bot.amazon.store_name import BIDI_CONTROLS, MAX_STORE_NAME, clean_store_name
from tests.fakes.fake_amazon import FakeAmazon, make_credentials

BIDI = ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e",
        "\u200f", "\u061c"]


def test_ordinary_names_are_kept() -> None:
    for name in ("Acme US", "Kaffee Haus GmbH & Co. KG", "東京ストア", "Café <Main>", "A"):
        assert clean_store_name(name) == name


@pytest.mark.parametrize("char", BIDI)
def test_bidi_controls_are_removed(char: str) -> None:
    assert char in BIDI_CONTROLS
    assert clean_store_name(f"Acme{char}gpj.exe") == "Acmegpj.exe"


def test_control_and_format_characters_are_removed_and_whitespace_folded() -> None:
    assert clean_store_name("Acme\x00\x07\x1b[31m Store") == "Acme[31m Store"
    assert clean_store_name("Ac\u200bme\u2060\ufeff\u00ad") == "Acme"  # zero-width and soft hyphen (Cf)
    assert clean_store_name("  Acme\n\tUS\r\n\u2028Store\u00a0 ") == "Acme US Store"
    assert clean_store_name("Acme\ud800US") == "AcmeUS"  # a lone surrogate (possible from JSON \\ud800)
    assert clean_store_name("\u202e\u200b \n") is None
    assert clean_store_name("") is None
    for not_text in (None, 42, ["Acme"], {"name": "Acme"}):
        assert clean_store_name(not_text) is None


def test_every_kept_character_is_printable_text() -> None:
    hostile = "".join(chr(c) for c in range(0, 0x3000) if not 0xD800 <= c <= 0xDFFF)
    cleaned = clean_store_name(hostile, limit=100_000)
    assert cleaned is not None
    for ch in cleaned:
        assert unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"), hex(ord(ch))
        assert ch not in BIDI_CONTROLS
        assert not ch.isspace() or ch == " "


def test_long_names_are_cut_with_an_ellipsis() -> None:
    assert clean_store_name("x" * MAX_STORE_NAME) == "x" * MAX_STORE_NAME
    long = clean_store_name("Acme " + "y" * 500)
    assert long is not None and len(long) == MAX_STORE_NAME and long.endswith("\u2026")
    assert clean_store_name("Acme" + " " * 200 + "Z" * 200, limit=10) == "Acme ZZZZ\u2026"
    assert clean_store_name("Acme Store Two", limit=6) == "Acme\u2026"  # no space left before the ellipsis
    assert len(clean_store_name("\u202e" * 10_000 + "A" * 10_000) or "") == MAX_STORE_NAME  # bounded work


def test_the_client_stores_the_cleaned_name_amazon_sent(fake: FakeAmazon, client: AmazonClient) -> None:
    """Across the real HTTP boundary: fake Amazon's getMarketplaceParticipations returns the seller's
    chosen storeName as is; the verdict (what is stored and shown) carries the cleaned one."""
    raw = "\u202eAcme\u202c\u200b Store\n<!here>" + " padding" * 40
    creds = fake.register(make_credentials(), store_name=raw)
    verdict = client.verify(creds)
    assert verdict.ok
    assert verdict.store_name == clean_store_name(raw)
    assert verdict.store_name is not None and verdict.store_name.startswith("Acme Store <!here> padding")
    assert len(verdict.store_name) <= MAX_STORE_NAME and verdict.store_name.endswith("padding\u2026")
    assert "\u202e" not in verdict.store_name and "\n" not in verdict.store_name
