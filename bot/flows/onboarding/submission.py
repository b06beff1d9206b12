"""A submission of the credential form and what became of it (``SubmissionOutcome``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.amazon.verdicts import REFUSED
from bot.flows.onboarding.form import FormCheck, Prefill
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message

OUTCOME_VERSION = 2  # stored outcomes hold meanings (Message JSON); version 1 held English sentences


class OutcomeKind(StrEnum):
    CONNECTED = "connected"
    FAILED = "failed"
    CONFIRM = "confirm"  # a reconnect waits for the user
    EXPIRED = "expired"  # the confirmation came too late
    CANCELLED = "cancelled"
    REFUSED = "refused"  # not allowed to connect or to replace the credentials
    ERROR = "error"  # our own failure; what happened is not known for sure


def encode_message(message: Message) -> Any:
    """A ``Message`` as JSON-ready data, for stored outcomes and pending rows."""
    return json.loads(message.to_json())


def decode_message(value: Any) -> Message:
    """The ``Message`` that ``encode_message`` stored. Raises ``ValueError`` for anything else."""
    if not isinstance(value, dict):  # a sentence stored by an earlier version
        raise ValueError("not a stored Message")
    return Message.from_json(json.dumps(value))


@dataclass(frozen=True)
class SubmissionOutcome:
    """What happened to a submission, as meanings; rendered by ``bot.views.credentials``. Never holds a
    secret.

    ``cause``/``next_step``: why it failed and what to do; ``announce_error``: why the team channel was not
    told; ``notes``: what the person should know besides (a field note, a secret still exposed).
    """

    kind: OutcomeKind
    connection: ConnectionSummary | None = None
    existing: ConnectionSummary | None = None
    verdict_kind: str | None = None
    cause: Message | None = None
    next_step: Message | None = None
    prefill: Prefill | None = None
    pending_id: str | None = None
    announce_error: Message | None = None
    reconnected: bool = False
    notes: tuple[Message, ...] = ()

    @property
    def refused_by_amazon(self) -> bool:
        """True only when Amazon answered that the credentials do not work (never for an outage, a
        check that did not finish, or a save that failed)."""
        return self.kind == OutcomeKind.FAILED and self.verdict_kind in {k.value for k in REFUSED}

    @property
    def failure_headline(self) -> str:
        """The catalog key of a failed outcome's headline, true to what happened."""
        if self.refused_by_amazon:
            return "onboarding.result.failed"
        if self.verdict_kind == "name_taken":
            return "onboarding.result.not_saved"
        return "onboarding.result.unfinished"

    def to_json(self) -> str:
        def one(message: Message | None) -> Any:
            return encode_message(message) if message is not None else None

        data: dict[str, Any] = {
            "v": OUTCOME_VERSION,
            "kind": str(self.kind),
            "connection": self.connection.to_dict() if self.connection else None,
            "existing": self.existing.to_dict() if self.existing else None,
            "verdict_kind": self.verdict_kind,
            "cause": one(self.cause),
            "next_step": one(self.next_step),
            "prefill": self.prefill.to_json() if self.prefill else None,
            "pending_id": self.pending_id,
            "announce_error": one(self.announce_error),
            "reconnected": self.reconnected,
            "notes": [encode_message(n) for n in self.notes],
        }
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> SubmissionOutcome:
        """The stored outcome. One stored before outcomes held meanings (English sentences, no ``v``) is
        read as far as it goes without words; one that needs its sentences reads as expired (the person
        starts again; nothing was lost: its secrets were never stored there)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("not a stored outcome")
        prefill = Prefill.from_json(data["prefill"]) if data.get("prefill") else None
        if data.get("v") != OUTCOME_VERSION:
            if any(data.get(k) for k in ("cause", "next_step", "announce_error", "notes")):
                return cls(kind=OutcomeKind.EXPIRED, prefill=prefill)

        def one(value: Any) -> Message | None:
            return decode_message(value) if value is not None else None

        return cls(
            kind=OutcomeKind(data["kind"]),
            connection=ConnectionSummary.from_dict(data["connection"]) if data.get("connection") else None,
            existing=ConnectionSummary.from_dict(data["existing"]) if data.get("existing") else None,
            verdict_kind=data.get("verdict_kind"),
            cause=one(data.get("cause")),
            next_step=one(data.get("next_step")),
            prefill=prefill,
            pending_id=data.get("pending_id"),
            announce_error=one(data.get("announce_error")),
            reconnected=bool(data.get("reconnected")),
            notes=tuple(decode_message(n) for n in data.get("notes") or ()),
        )


@dataclass(frozen=True, repr=False)
class Submission:
    team_id: str
    user_id: str
    view_id: str
    view_hash: str
    form: FormCheck
    # When the person submitted (wall-clock UTC, at the ack): a submission made before an identical one
    # finished is its duplicate, however late a worker gets to it. None: not known (do the work).
    submitted_at: datetime | None = None

    def __repr__(self) -> str:
        return f"Submission(team_id={self.team_id!r}, user_id={self.user_id!r}, view_id={self.view_id!r})"
