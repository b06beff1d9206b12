"""The message catalog and the code agree: every key the code names exists, and every catalog key is used.

Keys are found in the source as quoted literals (``"amazon.error.empty"``) or as f-strings whose fixed
parts are kept and whose ``{...}`` parts match one key segment (``f"amazon.verdict.{kind}.cause"``).
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.amazon import validators
from bot.amazon.verdicts import TEXTS, Verdict, VerdictKind, explain
from bot.i18n import catalog, t

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = ("general", "guard", "lifecycle", "onboarding", "amazon")
_KEY = re.compile(rf"(?:{'|'.join(SECTIONS)})\.[a-z0-9_.]*")


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
                        pieces.append(r"[a-z0-9_]+")
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
    assert r"amazon\.verdict\.[a-z0-9_]+\.cause" in patterns


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
        assert TEXTS[kind.value] == (t(f"amazon.verdict.{kind.value}.cause"), t(f"amazon.verdict.{kind.value}.next"))
    for kind in validators._KINDS:
        assert f"amazon.kind.{kind}" in catalog()
    for key, label in validators.LABELS.items():
        assert label == t(f"amazon.field.{key}.label")
    for key, how_to in validators.HOW_TO.items():
        assert how_to == t(f"amazon.field.{key}.how_to")


@pytest.mark.parametrize("kind", list(VerdictKind))
def test_explain_fills_every_placeholder(kind: VerdictKind) -> None:
    for verdict in (
        Verdict(kind),
        Verdict(kind, store_name="Shop", marketplaces=["ATVPDKIKX0DER", "UNKNOWN1"], missing_role="Pricing",
                request_id="req-9"),
    ):
        cause, step = explain(verdict)
        for sentence in (cause, step):
            assert sentence and "{" not in sentence and "}" not in sentence, sentence


def test_a_second_language_falls_back_to_english_for_missing_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.i18n as i18n

    monkeypatch.setitem(i18n._catalogs, "xx", {"amazon.verdict.timeout.cause": "Amazon a mis trop de temps."})
    cause, step = explain(Verdict(VerdictKind.timeout), language="xx")
    assert cause == "Amazon a mis trop de temps."
    assert step == t("amazon.verdict.timeout.next")
