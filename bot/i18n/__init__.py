"""Message catalogs: every user-facing sentence lives in one module per language (``en.py``).

``t("key", name=...)`` looks a message up in the active language and fills its ``{placeholders}``.
A second language is one more module with the same keys.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

DEFAULT_LANGUAGE = "en"
_catalogs: dict[str, dict[str, str]] = {}


def catalog(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    if language not in _catalogs:
        module: ModuleType = importlib.import_module(f"bot.i18n.{language}")
        _catalogs[language] = dict(module.MESSAGES)
    return _catalogs[language]


def t(key: str, language: str = DEFAULT_LANGUAGE, **values: Any) -> str:
    messages = catalog(language)
    if key not in messages and language != DEFAULT_LANGUAGE:
        messages = catalog(DEFAULT_LANGUAGE)
    template = messages[key]  # a missing key is a programming error: tests check every key used exists
    return template.format(**values) if values else template
