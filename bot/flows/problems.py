"""What went wrong with a connection, as a meaning that is stored and shown in each reader's language.

A ``Problem`` is a kind (a ``ProblemKind``: every ``VerdictKind`` plus the bot's own) and the plain
parameters the words need; the database keeps both (``connections.last_problem_kind`` and
``last_problem_params``), never a sentence. ``explain_problem`` gives its meaning (cause, next step);
``bot.views`` turns that into words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.amazon.verdicts import Verdict, VerdictKind, explain
from bot.i18n import Channel, Message
from bot.redaction import redact
from storage.models import SECRET_KINDS


class ProblemKind(StrEnum):
    # Amazon could not be reached or answered with errors several times in a row.
    # params: count (int), last ({"kind": a VerdictKind value, "params": that verdict's params})
    transient_limit = "transient_limit"
    leaked = "leaked"  # a secret in use was posted in Slack (params: what: client_secret|refresh_token, channel)
    legacy = "legacy"  # a sentence stored by a version before 0005 (params: text)


# The verdict facts a problem keeps (never ``detail``: Amazon's own text is for logs, not for people).
_VERDICT_PARAMS = ("store_name", "marketplaces", "missing_role", "request_id")


@dataclass(frozen=True)
class Problem:
    """``kind`` is a ``ProblemKind`` or a ``bot.amazon.verdicts.VerdictKind`` value; ``params`` are JSON values."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def columns(self) -> tuple[str, str]:
        """(last_problem_kind, last_problem_params) for the connection row."""
        return self.kind, redact(json.dumps(self.params, ensure_ascii=False, sort_keys=True))

    @classmethod
    def of(cls, verdict: Verdict) -> Problem:
        """A failed verification as a problem: the verdict's kind, and the facts its explanation names."""
        params: dict[str, Any] = {}
        for name in _VERDICT_PARAMS:
            value = getattr(verdict, name)
            if value:
                params[name] = [redact(str(v)) for v in value] if isinstance(value, list) else redact(str(value))
        return cls(kind=verdict.kind.value, params=params)

    @classmethod
    def transient_limit(cls, count: int, last: Verdict) -> Problem:
        """Amazon gave no usable answer ``count`` times in a row; ``last`` is the last of those answers."""
        latest = cls.of(last)
        return cls(kind=ProblemKind.transient_limit.value,
                   params={"count": count, "last": {"kind": latest.kind, "params": latest.params}})

    def verdict(self) -> Verdict | None:
        """The verdict this problem was made from (``Problem.of``), or None for the bot's own kinds."""
        return verdict_of(self.kind, self.params)

    @classmethod
    def stored(cls, kind: str | None, params: str | None) -> Problem | None:
        if not kind:
            return None
        try:
            values = json.loads(params or "{}")
        except ValueError:
            values = {}
        return cls(kind=kind, params=values if isinstance(values, dict) else {})


def verdict_of(kind: object, params: object) -> Verdict | None:
    """A ``Verdict`` rebuilt from a stored kind and params (see ``Problem.of``); None when ``kind`` is no verdict."""
    try:
        verdict_kind = VerdictKind(str(kind))
    except ValueError:
        return None
    values = params if isinstance(params, dict) else {}

    def text(name: str) -> str | None:
        value = values.get(name)
        return str(value) if isinstance(value, str | int) and value != "" else None

    marketplaces = values.get("marketplaces")
    return Verdict(
        verdict_kind,
        store_name=text("store_name"),
        marketplaces=[str(m) for m in marketplaces if isinstance(m, str)] if isinstance(marketplaces, list) else [],
        missing_role=text("missing_role"),
        request_id=text("request_id"),
    )



def explain_problem(problem: Problem) -> tuple[Message, Message] | None:
    """(cause, next step) of ``problem`` as meanings; None for a ``legacy`` sentence (its ``text`` is shown
    as it was stored) or a kind this version does not know."""
    verdict = problem.verdict()
    if verdict is not None:
        return explain(verdict)
    params = problem.params
    if problem.kind == ProblemKind.transient_limit:
        stored_last = params.get("last")
        last: dict[str, Any] = stored_last if isinstance(stored_last, dict) else {}
        last_verdict = verdict_of(last.get("kind"), last.get("params"))
        count = params.get("count")
        cause = Message("lifecycle.health.transient_cause", count=count if isinstance(count, int) else 0,
                        last=explain(last_verdict)[0] if last_verdict is not None else None)
        return cause, Message("lifecycle.health.transient_next_step")
    if problem.kind == ProblemKind.leaked:
        what = params.get("what")
        which = what if what in SECRET_KINDS else "client_secret"
        channel = params.get("channel")
        return (Message(f"lifecycle.problem.leaked.{which}.cause",
                        channel=Channel(channel) if isinstance(channel, str) and channel else None),
                Message(f"lifecycle.problem.leaked.{which}.next_step"))
    return None
