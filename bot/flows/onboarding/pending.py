"""Pending reconnects: verified secrets kept encrypted (bound to their ``pending:`` row, for at most
``PENDING_TTL``) until the user confirms updating the existing connection, or cancels."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.flows.onboarding.form import SECRET_FIELDS
from bot.flows.onboarding.save import ResolveActor, replace_refusal, save_connection
from bot.flows.onboarding.submission import (
    OutcomeKind,
    Submission,
    SubmissionOutcome,
    decode_message,
    encode_message,
)
from bot.flows.ports import Outbox
from bot.flows.summary import ConnectionSummary
from bot.i18n import Message
from bot.services import Services
from storage import repo
from storage.crypto import Crypto, DecryptionError
from storage.db import Database
from storage.models import IdempotencyKey

log = logging.getLogger(__name__)

PENDING_TTL = timedelta(minutes=15)
PENDING_TABLE = "pending_connection"


def _pending_key(pending_id: str) -> str:
    return f"pending:{pending_id}"


def purge_expired_pending(session: Session, now: datetime) -> int:
    result = session.execute(
        sa.delete(IdempotencyKey).where(
            col(IdempotencyKey.key).like("pending:%"), col(IdempotencyKey.created_at) < now - PENDING_TTL
        )
    )
    session.commit()
    # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def store_pending(
    session: Session, crypto: Crypto, sub: Submission, store_name: str | None, existing_id: int, now: datetime
) -> str:
    """Keep verified secrets encrypted (bound to this pending row) until the user confirms. Commits."""
    purge_expired_pending(session, now)
    pending_id = secrets.token_urlsafe(18)
    row_id = secrets.randbits(62)

    def seal(name: str) -> str:
        blob = crypto.encrypt(sub.form.values[name], table=PENDING_TABLE, row_id=row_id, field=name)
        return base64.b64encode(blob).decode("ascii")

    non_secret = {k: v for k, v in sub.form.values.items() if k not in SECRET_FIELDS}
    assert sub.form.secret_created_on is not None
    data = {
        "team_id": sub.team_id,
        "user_id": sub.user_id,
        "values": non_secret,
        "secret_created_on": sub.form.secret_created_on.isoformat(),
        "store_name": store_name,
        "existing_id": existing_id,
        "row_id": row_id,
        "notes": [encode_message(n) for n in sub.form.notes.values()],
        "sealed": {name: seal(name) for name in SECRET_FIELDS},
    }
    repo.claim_idempotency_key(session, _pending_key(pending_id), now, result=json.dumps(data))
    return pending_id


def _take_pending(db: Database, pending_id: str, now: datetime) -> tuple[dict[str, Any] | None, bool]:
    """(data, expired). Deletes the row so a confirmation is used once."""
    key = _pending_key(pending_id)
    with db.session(write=True) as session:
        row = session.get(IdempotencyKey, key)
        if row is None:
            return None, True
        text, created_at = row.result, row.created_at
        deleted = session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.key) == key))
        session.commit()
        # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
        if int(deleted.rowcount or 0) != 1:  # type: ignore[attr-defined]
            return None, False  # another click took it a moment ago
    if created_at < now - PENDING_TTL:
        return None, True
    try:
        return json.loads(text or ""), False
    except ValueError:
        return None, True


def confirm_pending(
    services: Services, outbox: Outbox, pending_id: str, team_id: str, user_id: str,
    resolve: ResolveActor | None = None,
) -> SubmissionOutcome | None:
    """The user confirmed updating the existing connection. None when a concurrent click already did.

    Checked again here: only the person who entered the credentials confirms, and only while they may
    replace that connection's credentials (``replace_refusal``); otherwise nothing changes."""
    now = services.clock()
    existing: ConnectionSummary | None = None
    with services.db.session() as session:
        row = session.get(IdempotencyKey, _pending_key(pending_id))
        owner_ok = True
        if row is not None and row.result:
            try:
                meta = json.loads(row.result)
                owner_ok = meta.get("team_id") == team_id and meta.get("user_id") == user_id
                current = (repo.get_team_connection(session, team_id, meta["existing_id"])
                           if owner_ok and isinstance(meta.get("existing_id"), int) else None)
                existing = ConnectionSummary.of(current) if current is not None else None
            except ValueError:
                owner_ok = False
    if not owner_ok:
        return SubmissionOutcome(kind=OutcomeKind.REFUSED, cause=Message("onboarding.confirm.not_yours"))
    if existing is not None and existing.status != "disconnected":
        refusal = replace_refusal(services, existing, user_id, resolve)
        if refusal is not None:
            log.info("confirmation of a reconnect of connection %s by %s refused: not its owner or an admin",
                     existing.id, user_id)
            return SubmissionOutcome(kind=OutcomeKind.REFUSED, cause=refusal)
    data, expired = _take_pending(services.db, pending_id, now)
    if data is None:
        return SubmissionOutcome(kind=OutcomeKind.EXPIRED) if expired else None
    row_id = int(data["row_id"])
    try:
        opened = {
            name: services.crypto.decrypt(
                base64.b64decode(data["sealed"][name]), table=PENDING_TABLE, row_id=row_id, field=name
            )
            for name in SECRET_FIELDS
        }
    except (DecryptionError, KeyError, binascii.Error, ValueError):
        log.warning("a pending reconnect for team %s could not be decrypted; asking the user to start again", team_id)
        return SubmissionOutcome(kind=OutcomeKind.EXPIRED)
    values: dict[str, str] = dict(data["values"])
    try:
        notes = tuple(decode_message(n) for n in data.get("notes") or ())
    except ValueError:  # stored before notes were meanings: they are not repeated
        notes = ()
    return save_connection(
        services,
        outbox,
        team_id=team_id,
        user_id=user_id,
        values=values,
        client_secret=opened["client_secret"],
        refresh_token=opened["refresh_token"],
        secret_created_on=date.fromisoformat(data["secret_created_on"]),
        store_name=data.get("store_name"),
        existing_id=int(data["existing_id"]),
        now=now,
        notes=notes,
    )


def cancel_pending(db: Database, pending_id: str, team_id: str, user_id: str) -> SubmissionOutcome:
    key = _pending_key(pending_id)
    with db.session(write=True) as session:
        row = session.get(IdempotencyKey, key)
        if row is not None:
            try:
                meta = json.loads(row.result or "{}")
            except ValueError:
                meta = {}
            if meta.get("team_id") != team_id or meta.get("user_id") != user_id:
                return SubmissionOutcome(kind=OutcomeKind.REFUSED, cause=Message("onboarding.confirm.not_yours"))
            session.delete(row)
            session.commit()
    return SubmissionOutcome(kind=OutcomeKind.CANCELLED)
