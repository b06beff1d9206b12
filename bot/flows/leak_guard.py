"""Leak guard: notice Amazon secrets pasted into Slack messages and act on them.

Plain Python, no Slack types. The Slack edge (``bot/listeners/leak_guard.py``) turns a message
event into a :class:`PostedMessage`; :func:`handle_message` then

1. scans the texts for an LWA client secret (``amzn1.oa2-cs.v1.`` + hex) or a refresh token
   (``Atzr|…``); a bare 64-hex string (the legacy client-secret shape) counts only when words such
   as "client secret" stand right before it, or when its keyed fingerprint matches a stored
   connection, so commit hashes and checksums do not raise alarms;
2. claims the event id once (Slack retries the same event id; edits arrive with new ids), so a
   retried delivery never warns twice;
3. calls ``warn`` with plain facts so the edge can tell the poster privately, at once;
4. matches the keyed fingerprints of what it found against the workspace's connections and flags
   each match "exposed" (the leaked value's fingerprint in ``exposed_secrets``, an audit entry; the
   status is left as it is) and alerts the team channel once per leaked secret value, with a
   "Rotate now" button. The connection stays exposed until that secret is replaced by another value.

Nothing here ever keeps, logs or returns a found secret beyond the fingerprint lookup: the
:class:`Finding` repr shows only its kind.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlmodel import Session

from bot.flows.audit import audit_detail
from bot.flows.ports import Audience, DeliveryError, Notice, Outbox, Payload
from bot.i18n import Channel, Items, Message, Strong
from storage import repo
from storage.crypto import Crypto
from storage.db import Database
from storage.models import Connection, exposed_kinds

log = logging.getLogger(__name__)


class Secret(StrEnum):
    """Which secret of a connection was seen."""

    client_secret = "client_secret"
    refresh_token = "refresh_token"


CLIENT_SECRET = Secret.client_secret
REFRESH_TOKEN = Secret.refresh_token
CLIENT_SECRET_PREFIX = "amzn1.oa2-cs.v1."
REFRESH_TOKEN_PREFIX = "Atzr|"

# Longest texts a message may carry (Slack caps text at 40k characters; blocks add more): a cap keeps
# a hostile payload from costing more than a few milliseconds of regex time.
MAX_SCAN_CHARS = 200_000

_CLIENT_SECRET = re.compile(r"amzn1\.oa2-cs\.v1\.([0-9A-Fa-f]{16,128})(?![0-9A-Za-z])", re.IGNORECASE)
# A refresh token's own alphabet only: real ones are ``Atzr|IwEB…`` in base64url, letters, digits, "-" and "_"
# (Amazon's example in "Login with Amazon Access Tokens", developer.amazon.com/docs/login-with-amazon/
# access-token.html, "Atzr|IQEBLzAtAhRPpMJ…", and every token sellers have published by mistake); "+", "/"
# and "=" padding are allowed for a standard-base64 spelling. Punctuation that ends a sentence ("." "~" ","
# ")") is never part of it: swallowing it changed the fingerprint and the stored connection went unflagged.
_REFRESH_TOKEN = re.compile(r"Atzr\|[A-Za-z0-9_\-+/]{20,4096}={0,2}")
_BARE_HEX64 = re.compile(r"(?<![0-9A-Za-z])[0-9A-Fa-f]{64}(?![0-9A-Za-z])")
# Words that, right before a bare 64-hex string, say it is a client secret.
_SECRET_CONTEXT = re.compile(r"(client[\s_-]*secret|lwa|secret|oa2)", re.IGNORECASE)
_CONTEXT_WINDOW = 48

EXPOSED_NOTICE = "connection_exposed"


@dataclass(frozen=True)
class ConnectionExposed(Payload):
    """The team channel's alert: a connection's secret was seen in a message (names it, never the secret)."""

    KIND: ClassVar[str] = EXPOSED_NOTICE
    connection_id: int
    name: str
    secret: Secret
    channel_id: str | None
    user_id: str | None  # None: posted by an app


@dataclass(frozen=True)
class Finding:
    """One secret-shaped value in a message. ``confident`` is False for a bare 64-hex without context."""

    kind: str
    value: str = field(repr=False)
    confident: bool = True

    def __repr__(self) -> str:
        return f"Finding(kind={self.kind!r}, confident={self.confident!r})"

    def candidates(self) -> list[str]:
        """The spellings a stored secret could have (validators normalise the client-secret prefix)."""
        if self.kind == CLIENT_SECRET and self.value.lower().startswith(CLIENT_SECRET_PREFIX):
            tail = self.value[len(CLIENT_SECRET_PREFIX):]
            return list(dict.fromkeys([CLIENT_SECRET_PREFIX + tail, self.value]))
        return [self.value]


@dataclass(frozen=True)
class PostedMessage:
    """A channel message (new or edited) as plain values."""

    team_id: str
    channel_id: str
    user_id: str | None  # None for a message posted by another app (no one to warn privately)
    ts: str
    event_id: str
    texts: tuple[str, ...]
    previous_texts: tuple[str, ...] = ()  # for an edit: the texts before it, whose secrets were seen already
    thread_ts: str | None = None
    edited: bool = False

    def __repr__(self) -> str:  # the texts may hold secrets
        return (
            f"PostedMessage(team_id={self.team_id!r}, channel_id={self.channel_id!r}, user_id={self.user_id!r}, "
            f"ts={self.ts!r}, event_id={self.event_id!r}, edited={self.edited!r}, texts=<{len(self.texts)}>)"
        )


@dataclass(frozen=True)
class ExposedConnection:
    connection_id: int
    name: str
    secret: str  # CLIENT_SECRET | REFRESH_TOKEN
    alerted: bool  # the team channel got (or had already got) its alert


@dataclass(frozen=True)
class LeakWarning:
    """What the poster is told, as facts (which kinds of secret, which connections) and their meanings."""

    team_id: str
    channel_id: str
    user_id: str
    thread_ts: str | None
    kinds: tuple[str, ...]
    connection_names: tuple[str, ...]
    edited: bool

    @property
    def what(self) -> Message:
        """``an LWA client secret`` / ``a refresh token`` / both, for a sentence."""
        return exposure_kinds(self.kinds)

    @property
    def headline(self) -> Message:
        key = "guard.leak.warning.edited" if self.edited else "guard.leak.warning.headline"
        return Message(key, what=self.what)

    @property
    def steps(self) -> tuple[Message, ...]:
        return (
            Message("guard.leak.warning.delete"),
            Message("guard.leak.warning.rotate", what=self.what),
            Message("guard.leak.warning.next_time"),
        )

    @property
    def matched(self) -> Message | None:
        """Which stored connections the secret belongs to (flagged and announced), if any."""
        if not self.connection_names:
            return None
        return Message("guard.leak.warning.matched", names=Items(tuple(Strong(n) for n in self.connection_names)))


@dataclass(frozen=True)
class LeakOutcome:
    found: tuple[str, ...] = ()  # kinds found (possibly empty)
    duplicate: bool = False  # this event was handled before (a Slack retry)
    warned: bool = False
    exposed: tuple[ExposedConnection, ...] = ()

    @property
    def hit(self) -> bool:
        return bool(self.found)


def scan(texts: Iterable[str], previous_texts: Iterable[str] = ()) -> list[Finding]:
    """Secret-shaped values in ``texts`` that were not already in ``previous_texts`` (for edits)."""
    seen_before = {f.value for f in _scan_all(previous_texts)}
    found: dict[tuple[str, str], Finding] = {}
    for finding in _scan_all(texts):
        if finding.value in seen_before:
            continue
        key = (finding.kind, finding.value)
        if key not in found or (finding.confident and not found[key].confident):
            found[key] = finding
    return list(found.values())


def _scan_all(texts: Iterable[str]) -> Iterable[Finding]:
    budget = MAX_SCAN_CHARS
    for text in texts:
        if not isinstance(text, str) or not text or budget <= 0:
            continue
        chunk = text[:budget]
        budget -= len(chunk)
        yield from _scan_text(chunk)


def _scan_text(text: str) -> Iterable[Finding]:
    spans: list[tuple[int, int]] = []
    for m in _CLIENT_SECRET.finditer(text):
        spans.append(m.span())
        yield Finding(CLIENT_SECRET, m.group(0))
    for m in _REFRESH_TOKEN.finditer(text):
        spans.append(m.span())
        yield Finding(REFRESH_TOKEN, m.group(0))
    for m in _BARE_HEX64.finditer(text):
        start, end = m.span()
        if any(s <= start and end <= e for s, e in spans):
            continue  # the tail of a prefixed secret
        context = text[max(0, start - _CONTEXT_WINDOW):start]
        yield Finding(CLIENT_SECRET, m.group(0), confident=bool(_SECRET_CONTEXT.search(context)))


def event_key(message: PostedMessage) -> str:
    """The idempotency key of one delivery: Slack's event id (retries repeat it)."""
    if message.event_id:
        return f"leak:event:{message.event_id}"
    digest = hashlib.sha256("\x00".join(message.texts).encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"leak:msg:{message.channel_id}:{message.ts}:{digest}"


def match_connections(
    connections: Sequence[Connection], crypto: Crypto, findings: Sequence[Finding]
) -> list[tuple[Connection, str, str]]:
    """(connection, which secret, stored fingerprint) for every finding that matches a stored secret."""
    out: list[tuple[Connection, str, str]] = []
    for finding in findings:
        fps = {fp for candidate in finding.candidates() for fp in crypto.fingerprints(candidate)}
        for conn in connections:
            for which, stored in ((CLIENT_SECRET, conn.client_secret_fp), (REFRESH_TOKEN, conn.refresh_token_fp)):
                if stored and stored in fps and not any(o[0].id == conn.id and o[1] == which for o in out):
                    out.append((conn, which, stored))
    return out


def handle_message(
    db: Database,
    crypto: Crypto,
    outbox: Outbox,
    message: PostedMessage,
    *,
    now: datetime,
    warn: Callable[[LeakWarning], None],
) -> LeakOutcome:
    """Scan one message; warn the poster once per delivery; flag and announce exposed connections."""
    findings = scan(message.texts, message.previous_texts)
    if not findings:
        return LeakOutcome()

    # Read, then claim (a write): on SQLite the write lock from the start, or a write committed by another
    # connection between the two fails the claim at once ("database is locked", WAL's BUSY_SNAPSHOT).
    with db.session(write=True) as session:
        candidates = [
            fp for finding in findings for candidate in finding.candidates() for fp in crypto.fingerprints(candidate)
        ]
        stored = [c for c in repo.find_connections_by_fingerprint(session, candidates) if c.team_id == message.team_id]
        matches = match_connections(stored, crypto, findings)
        matched_kinds = {which for _, which, _ in matches}
        relevant = [f for f in findings if f.confident or f.kind in matched_kinds]
        if not relevant and not matches:
            return LeakOutcome()
        kinds = tuple(sorted({f.kind for f in relevant} | matched_kinds))
        if not repo.claim_idempotency_key(session, event_key(message), now):
            log.info("leak guard: event %s was handled before (Slack retry); no second warning", message.event_id)
            return LeakOutcome(found=kinds, duplicate=True)
        names = tuple(dict.fromkeys(conn.name for conn, _, _ in matches))
        match_ids = [(conn.id, which, fp) for conn, which, fp in matches]

    warned = False
    if message.user_id:
        try:
            warn(
                LeakWarning(
                    team_id=message.team_id,
                    channel_id=message.channel_id,
                    user_id=message.user_id,
                    thread_ts=message.thread_ts,
                    kinds=kinds,
                    connection_names=names,
                    edited=message.edited,
                )
            )
            warned = True
        except Exception:  # the channel alert below must still happen
            log.exception("leak guard: could not warn the poster in %s", message.channel_id)
    log.warning(
        "leak guard: %s posted in channel %s by %s (matches %d stored connection(s))",
        "+".join(kinds), message.channel_id, message.user_id or "an app", len(match_ids),
    )

    exposed = tuple(
        _flag_exposed(db, outbox, conn_id, which, fp, message, now) for conn_id, which, fp in match_ids if conn_id
    )
    return LeakOutcome(found=kinds, warned=warned, exposed=tuple(e for e in exposed if e is not None))


_LABELS = {Secret.client_secret: "guard.leak.label.client_secret",
           Secret.refresh_token: "guard.leak.label.refresh_token"}
_KINDS = {Secret.client_secret: "guard.leak.kind.client_secret",
          Secret.refresh_token: "guard.leak.kind.refresh_token"}


def _both_or_one(keys: dict[Secret, str], both: str, kinds: Iterable[str]) -> Message:
    known = [secret for secret in Secret if secret.value in {str(k) for k in kinds}]
    if len(known) == len(Secret):
        return Message(both)
    return Message(keys[known[0] if known else Secret.client_secret])


def exposure_label(kinds: Iterable[str]) -> Message:
    """``LWA client secret and refresh token`` (no article): the exposed secrets, for a sentence.
    Unknown kinds are left out; none at all reads as the client secret."""
    return _both_or_one(_LABELS, "guard.leak.label.both", kinds)


def exposure_kinds(kinds: Iterable[str]) -> Message:
    """``an LWA client secret and a refresh token`` (with articles): what was posted, for a sentence."""
    return _both_or_one(_KINDS, "guard.leak.kind.both", kinds)


def secret_label(which: str) -> Message:
    """``LWA client secret`` / ``refresh token`` (no article)."""
    return exposure_label((which,))


def _ledger_kind(which: str, fingerprint: str) -> str:
    return f"exposed:{which}:{fingerprint[:16]}"


def _flag_exposed(
    db: Database, outbox: Outbox, connection_id: int, which: str, fingerprint: str, message: PostedMessage,
    now: datetime,
) -> ExposedConnection | None:
    """Flag one connection exposed (once per leaked value) and alert the team channel."""
    with db.session(write=True) as session:
        conn = repo.get_connection_by_id(session, connection_id)
        if conn is None or conn.status == "disconnected":
            return None
        name, generation = conn.name, conn.secret_generation
        # Recorded first and for good (beside the status, until this value is replaced): whether or not
        # the alert below goes out now, the exposure is never forgotten.
        repo.mark_exposed(
            session, conn, which, fingerprint, now=now,
            detail=audit_detail(Message("guard.leak.last_error", what=secret_label(which),
                                        channel=Channel(message.channel_id))),
            actor=message.user_id or repo.SYSTEM_ACTOR,
        )
        session.commit()
        kind = _ledger_kind(which, fingerprint)
        if not repo.claim_reminder(session, connection_id, generation, kind, f"leak:{message.event_id}", now):
            return ExposedConnection(connection_id, name, which, alerted=True)  # flagged and announced before

    notice = Notice.of(
        Audience.CHANNEL,
        ConnectionExposed(connection_id=connection_id, name=name, secret=Secret(which),
                          channel_id=message.channel_id or None, user_id=message.user_id),
    )
    try:
        outbox.send(notice)
    except DeliveryError as exc:
        log.warning("leak guard: the exposure alert for connection %s did not reach the channel: %s", name, exc)
        with db.session() as session:
            repo.release_reminder(session, connection_id, generation, kind)
        return ExposedConnection(connection_id, name, which, alerted=False)
    with db.session() as session:
        repo.mark_reminder_sent(session, connection_id, generation, kind, now)
    return ExposedConnection(connection_id, name, which, alerted=True)


def still_exposed(session: Session, connection: Connection) -> list[str]:
    """Which of the connection's current secrets were seen in Slack (``client_secret``/``refresh_token``).

    The lifecycle flows call this after replacing one secret: re-authorizing after a leaked client
    secret leaves the connection exposed, rotating the leaked secret clears it. The leaked fingerprints
    the leak guard recorded (``connections.exposed_secrets``) against the stored ones: the same rule
    as everywhere else (``storage.models.exposed_kinds``).
    """
    return list(exposed_kinds(connection))
