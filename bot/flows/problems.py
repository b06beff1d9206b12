"""What went wrong with a connection, as a meaning that is stored and shown in each reader's language.

A ``Problem`` is a kind (a ``ProblemKind``: every ``VerdictKind`` plus the bot's own) and the plain
parameters the words need; the database keeps both (``connections.last_problem_kind`` and
``last_problem_params``), never a sentence. ``bot.views`` turns one into words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.redaction import redact


class ProblemKind(StrEnum):
    transient_limit = "transient_limit"  # Amazon could not be reached or answered with errors several times
    leaked = "leaked"  # a secret in use was posted in Slack
    legacy = "legacy"  # a sentence stored by a version before 0005 (params: text)


@dataclass(frozen=True)
class Problem:
    """``kind`` is a ``ProblemKind`` or a ``bot.amazon.verdicts.VerdictKind`` value; ``params`` are JSON values."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> tuple[str, str]:
        """(last_problem_kind, last_problem_params) for the connection row."""
        return self.kind, redact(json.dumps(self.params, ensure_ascii=False, sort_keys=True))

    @classmethod
    def stored(cls, kind: str | None, params: str | None) -> Problem | None:
        if not kind:
            return None
        try:
            values = json.loads(params or "{}")
        except ValueError:
            values = {}
        return cls(kind=kind, params=values if isinstance(values, dict) else {})
