"""A submission of the credential form and what became of it (``SubmissionOutcome``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from bot.amazon.verdicts import REFUSED
from bot.flows.onboarding.form import FormCheck, Prefill
from bot.flows.summary import ConnectionSummary


@dataclass(frozen=True)
class SubmissionOutcome:
    """What happened to a submission; rendered by ``bot.views.credentials``. Never holds a secret.

    kind: ``connected`` | ``failed`` | ``confirm`` (reconnect waits for the user) | ``expired``
    (the confirmation came too late) | ``cancelled`` | ``refused`` (not allowed to connect).
    """

    kind: str
    connection: ConnectionSummary | None = None
    existing: ConnectionSummary | None = None
    verdict_kind: str | None = None
    cause: str | None = None
    next_step: str | None = None
    prefill: Prefill | None = None
    pending_id: str | None = None
    announce_error: str | None = None  # mrkdwn, built with bot.views.blocks.md
    reconnected: bool = False
    notes: tuple[str, ...] = ()

    @property
    def refused_by_amazon(self) -> bool:
        """True only when Amazon answered that the credentials do not work (never for an outage, a
        check that did not finish, or a save that failed)."""
        return self.kind == "failed" and self.verdict_kind in {k.value for k in REFUSED}

    @property
    def failure_headline(self) -> str:
        """The catalog key of a failed outcome's headline, true to what happened."""
        if self.refused_by_amazon:
            return "onboarding.result.failed"
        if self.verdict_kind == "name_taken":
            return "onboarding.result.not_saved"
        return "onboarding.result.unfinished"

    def to_json(self) -> str:
        data: dict[str, Any] = {k: v for k, v in asdict(self).items() if k not in ("connection", "existing", "prefill")}
        data["notes"] = list(self.notes)
        data["connection"] = self.connection.to_dict() if self.connection else None
        data["existing"] = self.existing.to_dict() if self.existing else None
        data["prefill"] = self.prefill.to_json() if self.prefill else None
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> SubmissionOutcome:
        data = json.loads(text)
        data["connection"] = ConnectionSummary.from_dict(data["connection"]) if data.get("connection") else None
        data["existing"] = ConnectionSummary.from_dict(data["existing"]) if data.get("existing") else None
        data["prefill"] = Prefill.from_json(data["prefill"]) if data.get("prefill") else None
        data["notes"] = tuple(data.get("notes") or ())
        return cls(**data)


@dataclass(frozen=True, repr=False)
class Submission:
    team_id: str
    user_id: str
    view_id: str
    view_hash: str
    form: FormCheck

    def __repr__(self) -> str:
        return f"Submission(team_id={self.team_id!r}, user_id={self.user_id!r}, view_id={self.view_id!r})"
