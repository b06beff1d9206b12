"""Layering rules read from the source: listeners (the Slack edge) never query storage themselves; they call
a flow, and the flow queries ``storage``."""

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
