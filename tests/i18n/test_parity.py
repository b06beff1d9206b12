"""Every catalog says the same things as en.py: the same keys, the same {placeholders} per key, every
template formats, every URL survives; the Simplified Chinese catalog is really in Chinese and its Slack
mrkdwn still renders (Slack ignores *bold* and `code` glued to Chinese characters)."""

from __future__ import annotations

import re
import string

import pytest

from bot.i18n import LOCALES, catalog, placeholders

OTHER_LOCALES = sorted(locale for locale in LOCALES if locale != "en")

# zh-CN values that are rightly without a Chinese character: formats, punctuation and identifiers.
NO_CJK_NEEDED = frozenset({
    "general.datetime",  # {date} {hour:02d}:{minute:02d} UTC
    "general.list_separator",  # 、
    "general.language.choice",  # `{code}` （{name}）
    "guard.audit.detail.connected",  # {account} {seller}，{region}（{marketplace}）
    "onboarding.field.region_value",  # {name}（{code}）
    "amazon.marketplace.name",  # {name}（{country}）
    "amazon.field.seller_id.label",  # Seller ID
    "onboarding.modal.seller_id.label",
    "onboarding.modal.selling_partner_id.label",
    "onboarding.modal.selling_partner_id.placeholder",  # A1B2C3D4E5F6G7
    "onboarding.modal.client_id.placeholder",  # amzn1.application-oa2-client.…
    "onboarding.modal.client_secret.placeholder",  # amzn1.oa2-cs.v1.…
    "onboarding.modal.refresh_token.placeholder",  # Atzr|…
    "lifecycle.modal.placeholder.client_secret",
    "lifecycle.modal.placeholder.refresh_token",
})

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_URL = re.compile(r"https?://[^\s|>)（）。，；]+")
_LINK_TARGET = re.compile(r"<(https?://[^|>]+)\|")
_EMOJI = re.compile(r"(?<![\w:]):[a-z0-9_+-]+:(?![\w:])")
_BOLD_OR_CODE = re.compile(r"\*[^*\n]+\*|`[^`\n]+`")


def _en() -> dict[str, str]:
    return catalog("en")


def _dummies(template: str) -> dict[str, object]:
    """A value per placeholder: an int where the template gives a format spec (``{month:02d}``), else text."""
    values: dict[str, object] = {}
    for _literal, field, spec, _conversion in string.Formatter().parse(template):
        if field is not None:
            values[field.split(".")[0].split("[")[0]] = 7 if spec else "x"
    return values


def _urls(template: str) -> set[str]:
    return {url.rstrip(".,;:") for url in _URL.findall(template)}


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_the_catalog_has_exactly_the_keys_of_en(locale: str) -> None:
    en, other = _en(), catalog(locale)
    missing, extra = sorted(set(en) - set(other)), sorted(set(other) - set(en))
    assert not missing, f"{locale} lacks keys: {missing}"
    assert not extra, f"{locale} has keys en.py does not: {extra}"


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_every_key_fills_the_same_placeholders_as_en(locale: str) -> None:
    en, other = _en(), catalog(locale)
    differ = {
        key: (sorted(placeholders(en[key])), sorted(placeholders(other[key])))
        for key in en.keys() & other.keys()
        if placeholders(en[key]) != placeholders(other[key])
    }
    assert not differ, f"{locale}: placeholders differ from en (en, {locale}): {differ}"


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_template_formats_with_dummy_values(locale: str) -> None:
    broken: dict[str, str] = {}
    for key, template in catalog(locale).items():
        try:
            template.format(**_dummies(template))
        except (KeyError, ValueError, IndexError, TypeError) as error:
            broken[key] = repr(error)
    assert not broken, f"{locale}: templates that do not format: {broken}"


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_urls_and_link_targets_of_en_are_kept(locale: str) -> None:
    en, other = _en(), catalog(locale)
    lost = {
        key: sorted((_urls(en[key]) | set(_LINK_TARGET.findall(en[key]))) - _urls(other.get(key, "")))
        for key in en
        if (_urls(en[key]) | set(_LINK_TARGET.findall(en[key]))) - _urls(other.get(key, ""))
    }
    assert not lost, f"{locale}: URLs of en missing: {lost}"
    links = {key: _LINK_TARGET.findall(en[key]) for key in en if _LINK_TARGET.search(en[key])}
    for key, targets in links.items():
        assert _LINK_TARGET.findall(other[key]) == targets, key


@pytest.mark.parametrize("locale", OTHER_LOCALES)
def test_emoji_and_line_structure_are_kept(locale: str) -> None:
    en, other = _en(), catalog(locale)
    for key, template in en.items():
        assert _EMOJI.findall(other[key]) == _EMOJI.findall(template), key
        assert other[key].count("\n") == template.count("\n"), key
        assert other[key].count("•") == template.count("•"), key


def test_every_zh_value_is_in_chinese_unless_it_is_an_identifier() -> None:
    zh = catalog("zh-CN")
    assert NO_CJK_NEEDED <= zh.keys()
    not_chinese = sorted(key for key, value in zh.items() if key not in NO_CJK_NEEDED and not _CJK.search(value))
    assert not not_chinese, f"zh-CN values without a Chinese character: {not_chinese}"
    needless = sorted(key for key in NO_CJK_NEEDED if _CJK.search(zh[key]))
    assert not needless, f"allow-listed keys that are Chinese after all (drop them from the list): {needless}"


def test_zh_bold_and_code_are_not_glued_to_chinese_characters() -> None:
    glued: dict[str, str] = {}
    for key, value in catalog("zh-CN").items():
        for match in _BOLD_OR_CODE.finditer(value):
            before = value[match.start() - 1] if match.start() else ""
            after = value[match.end()] if match.end() < len(value) else ""
            if _CJK.match(before) or _CJK.match(after):
                glued[key] = match.group()
    assert not glued, f"Slack does not render these (put a space between them and the Chinese text): {glued}"
