"""The message catalog and the code agree: every key the code names exists, and every catalog key is used.

Keys are found in the source as quoted literals (``"amazon.error.empty"``) or as f-strings whose fixed
parts are kept and whose ``{...}`` parts match one key segment (``f"amazon.verdict.{kind}.cause"``).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import string
from pathlib import Path

import pytest

from bot.amazon import validators
from bot.amazon.verdicts import Verdict, VerdictKind, explain
from bot.i18n import LOCALES, Items, Marketplace, Message, Strong, catalog, t
from bot.views.blocks import Words

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("general", "guard", "lifecycle", "onboarding", "amazon")
_KEY = re.compile(rf"(?:{'|'.join(SECTIONS)})\.[A-Za-z0-9_.]*")  # upper case: amazon.marketplace.US


def _sources() -> list[Path]:
    return sorted((ROOT / "bot").rglob("*.py")) + sorted((ROOT / "storage").rglob("*.py"))  # storage: audit details


def _keys_in_source() -> tuple[set[str], set[str]]:
    """(literal keys, regexes of f-string keys) named anywhere in bot/ outside the catalogs."""
    literals: set[str] = set()
    patterns: set[str] = set()
    for path in _sources():
        if path.parent.name == "i18n":
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        fstring_parts: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                pieces: list[str] = []
                for value in node.values:
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        fstring_parts.add(id(value))
                        pieces.append(re.escape(value.value))
                    else:
                        pieces.append(r"[A-Za-z0-9_]+")
                first = node.values[0] if node.values else None
                if (
                    isinstance(first, ast.Constant)
                    and isinstance(first.value, str)
                    and _KEY.fullmatch(first.value)
                ):
                    patterns.add("".join(pieces))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in fstring_parts
                and _KEY.fullmatch(node.value)
                and not node.value.endswith((".", "_"))
            ):
                literals.add(node.value)
    return literals, patterns


def test_the_scan_finds_keys_of_every_section() -> None:
    literals, patterns = _keys_in_source()
    for section in SECTIONS:
        assert any(k.startswith(section + ".") for k in literals | patterns), section
    assert "amazon.error.empty" in literals
    assert r"amazon\.verdict\.[A-Za-z0-9_]+\.cause" in patterns


def test_every_key_the_code_names_is_in_the_catalog() -> None:
    literals, patterns = _keys_in_source()
    messages = catalog()
    missing = sorted(k for k in literals if k not in messages)
    assert not missing, f"keys used in bot/ but missing from bot/i18n/en.py: {missing}"
    unmatched = sorted(p for p in patterns if not any(re.fullmatch(p, k) for k in messages))
    assert not unmatched, f"f-string keys that match no catalog key: {unmatched}"


def test_the_catalog_has_no_unused_keys() -> None:
    literals, patterns = _keys_in_source()
    compiled = [re.compile(p) for p in patterns]
    unused = sorted(k for k in catalog() if k not in literals and not any(c.fullmatch(k) for c in compiled))
    assert not unused, f"keys in bot/i18n/en.py that no code uses: {unused}"


def test_every_key_belongs_to_a_section_and_every_template_parses() -> None:
    for key, template in catalog().items():
        assert _KEY.fullmatch(key), key
        assert template.strip(), key
        list(string.Formatter().parse(template))  # raises on an unbalanced brace


def test_amazon_words_come_from_the_catalog() -> None:
    for kind in VerdictKind:
        cause, step = explain(Verdict(kind))
        assert (cause.key, step.key) == (f"amazon.verdict.{kind.value}.cause", f"amazon.verdict.{kind.value}.next")
    for kind in validators._KINDS:
        assert f"amazon.kind.{kind}" in catalog()
    for key in validators.LABELLED:
        assert validators.label(key) == Message(f"amazon.field.{key}.label")
        assert f"amazon.field.{key}.label" in catalog()
    for key in validators.HOW_TO_FIELDS:
        assert validators.how_to(key) == Message(f"amazon.field.{key}.how_to")
        assert f"amazon.field.{key}.how_to" in catalog()
    assert validators.how_to("connection_name") is None


def _full(kind: VerdictKind) -> Verdict:
    return Verdict(kind, store_name="Shop", marketplaces=["ATVPDKIKX0DER", "UNKNOWN1"], missing_role="Pricing",
                   request_id="req-9")


WRITTEN = sorted(loc for loc, module in LOCALES.items() if importlib.util.find_spec(f"bot.i18n.{module}"))


@pytest.mark.parametrize("locale", WRITTEN)
@pytest.mark.parametrize("kind", list(VerdictKind))
def test_explain_fills_every_placeholder(kind: VerdictKind, locale: str) -> None:
    words = Words(locale)
    for verdict in (Verdict(kind), _full(kind)):
        cause, step = explain(verdict)
        for message in (cause, step):
            for sentence in (words.text(message), words.render(message)):
                assert sentence and "{" not in sentence and "}" not in sentence, sentence


def test_explain_gives_the_optional_facts_as_their_own_sentences() -> None:
    cause, step = explain(_full(VerdictKind.marketplace_not_authorized))
    authorized = Message("amazon.verdict.part.authorized",
                         marketplaces=Items((Marketplace("ATVPDKIKX0DER"), Marketplace("UNKNOWN1"))))
    assert cause == Message("amazon.verdict.marketplace_not_authorized.cause",
                            store_part=Message("amazon.verdict.part.store", store=Strong("Shop")),
                            marketplace_part=authorized, role="Pricing",
                            request_part=Message("amazon.verdict.part.request", request_id="req-9"))
    assert step.key == "amazon.verdict.marketplace_not_authorized.next"
    verified, _ = explain(Verdict(VerdictKind.verified, marketplaces=["ATVPDKIKX0DER"]))
    assert verified.params["marketplace_part"] == Message(
        "amazon.verdict.part.verified_in", marketplaces=Items((Marketplace("ATVPDKIKX0DER"),)))
    assert verified.params["store_part"] is None and verified.params["request_part"] is None
    role, _ = explain(Verdict(VerdictKind.missing_role))
    assert role.params["role"] == Message("amazon.verdict.part.role_unknown")
    # rendered: the marketplace by its name, the store emphasised and escaped once
    words = Words("en")
    shown = words.render(explain(Verdict(VerdictKind.verified, store_name="A&B", marketplaces=["ATVPDKIKX0DER"]))[0])
    assert "*A&amp;B*" in shown and words.marketplace("ATVPDKIKX0DER") in shown


def test_explain_redacts_what_amazon_returned() -> None:
    secret = "amzn1.oa2-cs.v1." + "ab" * 32
    cause, step = explain(Verdict(VerdictKind.unexpected, store_name=secret, request_id=secret,
                                  missing_role=secret))
    assert secret not in repr(cause) + repr(step) + cause.to_json()


def test_explain_is_said_in_the_readers_language(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.i18n as i18n

    other = {**catalog(), "amazon.verdict.timeout.cause": "Amazon a mis trop de temps."}
    monkeypatch.setitem(i18n._catalogs, "zh-CN", other)
    cause, step = explain(Verdict(VerdictKind.timeout))
    assert Words("zh-CN").text(cause) == "Amazon a mis trop de temps."
    assert Words("en").text(cause) == t("amazon.verdict.timeout.cause")
    assert Words("zh-CN").text(step) == t("amazon.verdict.timeout.next")
