"""tests/catalog.py: ``says`` finds a catalog sentence in what the bot sent, and nothing else."""

from __future__ import annotations

import pytest

from bot.i18n import t
from bot.views.blocks import Words
from tests.catalog import all_say, says

EN = Words()  # English, the catalog the expected sentences are rendered from


def test_a_rendering_is_found_in_any_string_of_a_message() -> None:
    text = EN.md("lifecycle.result.rotated", name="Main US", expires_on="2027-01-01")
    view = {"type": "modal", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x\n" + text}}]}
    assert says(view, "lifecycle.result.rotated")
    assert says(view, "lifecycle.result.rotated", name="Main US", expires_on="2027-01-01")
    assert all_say(["nothing", text], "lifecycle.result.rotated") == [text]


def test_a_different_value_or_sentence_is_not_found() -> None:
    text = EN.md("lifecycle.result.rotated", name="Main US", expires_on="2027-01-01")
    assert not says(text, "lifecycle.result.rotated", name="Main EU")
    assert not says(text, "lifecycle.result.reauthorized")
    assert not says(t("lifecycle.what.rotate"), "lifecycle.result.rotated")
    assert not says({"text": text[:-5]}, "lifecycle.result.rotated")


def test_naming_a_placeholder_or_key_the_catalog_lacks_fails() -> None:
    with pytest.raises(KeyError):
        says("x", "lifecycle.result.rotated", nme="Main US")
    with pytest.raises(KeyError):
        says("x", "no.such.key")


def test_a_conversion_in_the_template_is_applied_to_a_known_value() -> None:
    text = t("amazon.verdict.part.store", store="Acme 'US'")
    assert says(text, "amazon.verdict.part.store", store="Acme 'US'")
    assert says(text, "amazon.verdict.part.store")
    assert not says(text, "amazon.verdict.part.store", store="Other")  # (no catalog template uses !r any more)
