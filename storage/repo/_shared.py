"""What every part of the repository shares: the secret field names, the system actor, the live statuses,
what a read runs on (``Reads``) and ``_aware`` (every ``now`` a timezone-aware UTC datetime)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import Session

from storage.db import PlainReads

TABLE = "connections"
CLIENT_SECRET = "client_secret"
REFRESH_TOKEN = "refresh_token"
_FIELD_LABEL = {CLIENT_SECRET: "client secret", REFRESH_TOKEN: "refresh token"}
SYSTEM_ACTOR = "system"
LIVE_STATUSES = ("connected", "failing", "exposed")
# What a read-only query runs on: an ORM session, a plain connection (``Database.reading``), or on a request
# path ``Database.plain_reads()`` (a prebuilt statement on the DB-API cursor).
Reads = Session | sa.Connection | PlainReads


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware UTC datetime")
    return now.astimezone(UTC)
