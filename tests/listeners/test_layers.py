"""Layering rules read from the source: listeners (the Slack edge) never query storage themselves; they call
a flow, and the flow queries ``storage``; bot/amazon and storage know nothing of Slack; no module is over
500 lines."""

from __future__ import annotations

import ast
from pathlib import Path

LISTENERS = Path(__file__).resolve().parents[2] / "bot" / "listeners"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_no_listener_imports_storage() -> None:
    files = sorted(LISTENERS.glob("*.py"))
    assert files, LISTENERS
    offenders = {
        path.name: sorted(m for m in imported_modules(path) if m == "storage" or m.startswith("storage."))
        for path in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


ROOT = Path(__file__).resolve().parents[2]
SLACK_LIBRARIES = ("slack_bolt", "slack_sdk")
MAX_MODULE_LINES = 500  # issue 12: no module in bot/ or storage/ over 500 lines (migrations and catalogs aside)


def _modules(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py")
                  if "migrations" not in p.parts and "i18n" not in p.parts)


def test_no_module_is_over_500_lines() -> None:
    files = _modules("bot", "storage")
    assert files
    long = {str(p.relative_to(ROOT)): n for p in files
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert long == {}


def test_amazon_and_storage_know_nothing_of_slack() -> None:
    """bot/amazon and storage/ never import Slack's libraries (the layout's data flows one way)."""
    files = _modules("bot/amazon", "storage")
    assert files
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p) if m.split(".")[0] in SLACK_LIBRARIES)
        for p in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_flows_and_amazon_return_meanings_not_words() -> None:
    """bot/flows and bot/amazon never import the views or Slack, and never look words up in a catalog
    (``t``/``catalog``): they return ``Message`` meanings, and only the views speak, in the reader's language.
    (bot/jobs is the worker's Slack edge, as bot/listeners is the web tier's: its handlers render views.)"""
    files = _modules("bot/flows", "bot/amazon")
    assert files
    offenders: dict[str, list[str]] = {}
    for p in files:
        tree = ast.parse(p.read_text(encoding="utf-8"))
        bad = sorted(m for m in imported_modules(p) if m.startswith("bot.views") or m.split(".")[0] in SLACK_LIBRARIES)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "bot.i18n":
                bad += [f"bot.i18n.{a.name}" for a in node.names if a.name in ("t", "catalog")]
        if bad:
            offenders[str(p.relative_to(ROOT))] = bad
    assert offenders == {}


def test_storage_stores_meanings_without_the_words() -> None:
    """storage/ writes meanings through ``bot.meanings`` (the one JSON codec of ``Message``) and never
    imports the catalogs (``bot.i18n``) or the views: what it stores is read in each reader's language."""
    files = _modules("storage")
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in imported_modules(p)
                                         if m.startswith(("bot.i18n", "bot.views", "bot.flows", "bot.listeners")))
        for p in files
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
