"""Tool keys: ``/connect-amazon keys create TOOL CONNECTION...|* [--export]``, ``keys list``, ``keys revoke TOOL``,
and checking a key that a tool presents to the HTTP API (``bot.api``).

Who may manage keys: ``bot.flows.authz.may_administer`` (workspace admins and owners, ADMIN_USER_IDS). A key
reaches the named connections of its workspace, or with ``*`` every connection of it, also those made later.
``--export`` also lets it fetch the full credentials (``GET /v1/connections/{name}/credentials``), for tools
that cannot take an access token; every such fetch is audited and remembered (``storage.models.ToolKeyExport``)
so that rotation reminders name the tools holding the current secret.

Storage (``storage.repo.tool_keys``) keeps only a keyed hash and a short prefix; the text is returned once,
in ``CreatedKey``, whose repr masks it. Creating and revoking are audited.

Checking a key (``KeyChecker.check``): a key of the wrong shape is refused before the database is asked.
A good key is remembered in memory for ``RECHECK_SECONDS`` (by its HMAC, never its text) so a busy tool does
not cost a query per request; after that it is looked up again, so a key revoked on another replica stops
working within ``RECHECK_SECONDS`` (2 s, the issue allows 5). A revocation on this replica is forgotten at once.
"""

from __future__ import annotations

import logging
import re
import shlex
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa

from bot.flows import authz
from bot.flows.audit import audit_detail
from bot.i18n import Items, Message, Strong
from bot.redaction import mask, redact
from bot.services import Services
from storage import repo
from storage.crypto import Crypto
from storage.repo import tool_keys as keys_repo

log = logging.getLogger(__name__)

TOOL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
ALL = "*"
EXPORT_FLAG = "--export"
MAX_CONNECTIONS = 50
RECHECK_SECONDS = 2.0
TOUCH_EVERY = timedelta(seconds=60)  # "last used" is written at most this often per key

ACTION_CREATED = "tool_key_created"
ACTION_REVOKED = "tool_key_revoked"
ACTION_EXPORTED = "credentials_exported"


def tool_actor(name: str) -> str:
    """The audit actor of something a tool did (``tool:NAME``)."""
    return f"tool:{name}"


# --------------------------------------------------------------------------- the command's words


class Verb(StrEnum):
    create = "create"
    list = "list"
    revoke = "revoke"


@dataclass(frozen=True)
class KeysCommand:
    verb: Verb
    tool: str = ""
    connections: tuple[str, ...] = ()  # names as typed; ("*",) for every connection
    export: bool = False


def parse_keys_command(args: str) -> KeysCommand | Message:
    """The text after ``keys``, or the meaning of the sentence that says what is wrong with it."""
    text = (args or "")[:2000]
    for curly, straight in (("\u201c", '"'), ("\u201d", '"'), ("\u2018", "'"), ("\u2019", "'")):
        text = text.replace(curly, straight)
    try:
        words = shlex.split(text)
    except ValueError:
        return Message("guard.keys.usage.quotes")
    if not words:
        return Message("guard.keys.usage")
    verb = words[0].lower()
    rest = words[1:]
    if verb == Verb.list:
        return KeysCommand(Verb.list) if not rest else Message("guard.keys.usage")
    if verb not in (Verb.create, Verb.revoke):
        return Message("guard.keys.usage")
    export = EXPORT_FLAG in rest
    rest = [w for w in rest if w != EXPORT_FLAG]
    if not rest:
        return Message("guard.keys.usage")
    tool = rest[0]
    if not TOOL_NAME.fullmatch(tool):
        return Message("guard.keys.bad_tool_name", tool=Strong(redact(tool[:40])))
    if verb == Verb.revoke:
        return KeysCommand(Verb.revoke, tool=tool) if len(rest) == 1 and not export else Message("guard.keys.usage")
    names = tuple(authz.clean_name(n) for n in rest[1:] if authz.clean_name(n))
    if not names:
        return Message("guard.keys.usage")
    if ALL in names and len(names) > 1:
        return Message("guard.keys.all_alone")
    if len(names) > MAX_CONNECTIONS:
        return Message("guard.keys.too_many", limit=MAX_CONNECTIONS)
    return KeysCommand(Verb.create, tool=tool, connections=names, export=export)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, repr=False)
class CreatedKey:
    """A key just made. ``text`` is shown once to its creator, privately, and never again."""

    tool: str
    text: str
    connections: tuple[str, ...]  # the connection names in its scope (empty with ``all_connections``)
    all_connections: bool
    export: bool

    def __repr__(self) -> str:
        return f"CreatedKey(tool={self.tool!r}, text={mask(self.text)!r}, export={self.export!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class KeyRow:
    """One live key as ``keys list`` shows it: never its text, only the recognition prefix."""

    tool: str
    prefix: str
    connections: tuple[str, ...]
    all_connections: bool
    export: bool
    created_by: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class KeysAnswer:
    """What a ``keys`` command led to: a new key, a listing, or a sentence (a refusal or a confirmation)."""

    created: CreatedKey | None = None
    listing: tuple[KeyRow, ...] | None = None
    message: Message | None = None


def _refusal(actor: authz.Actor, services: Services, lookup_error: str | None) -> Message | None:
    if authz.may_administer(actor, services.settings.admin_user_ids):
        return None
    if lookup_error is not None:
        return Message("guard.keys.lookup_failed", error=lookup_error)
    return Message("guard.keys.refused")


def run_keys_command(services: Services, *, team_id: str, actor: authz.Actor, lookup_error: str | None,
                     command: KeysCommand) -> KeysAnswer:
    refusal = _refusal(actor, services, lookup_error)
    if refusal is not None:
        log.info("keys %s refused to %s (not an admin)", command.verb, actor.user_id)
        return KeysAnswer(message=refusal)
    if command.verb == Verb.create:
        return create_key(services, team_id=team_id, actor=actor, command=command)
    if command.verb == Verb.revoke:
        return KeysAnswer(message=revoke_key(services, team_id=team_id, actor=actor, tool=command.tool))
    return KeysAnswer(listing=tuple(list_keys(services, team_id)))


def create_key(services: Services, *, team_id: str, actor: authz.Actor, command: KeysCommand) -> KeysAnswer:
    now = services.clock()
    with services.db.session() as session:
        ids: list[int] | None = None
        names: list[str] = []
        if command.connections != (ALL,):
            ids = []
            for typed in command.connections:
                conn = repo.find_connection_by_name(session, team_id, typed)
                if conn is None or conn.id is None:
                    return KeysAnswer(message=Message("guard.keys.unknown_connection", name=authz.quoted_name(typed)))
                if conn.status == "disconnected":
                    return KeysAnswer(message=Message("guard.keys.disconnected_connection",
                                                      name=authz.quoted_name(conn.name)))
                if conn.id not in ids:
                    ids.append(conn.id)
                    names.append(conn.name)
        try:
            row, text = keys_repo.create_tool_key(
                session, services.crypto, team_id=team_id, name=command.tool, connection_ids=ids,
                export=command.export, created_by=actor.user_id, now=now)
        except repo.ToolKeyNameTaken:
            return KeysAnswer(message=Message("guard.keys.name_taken", tool=Strong(command.tool)))
        scope: Message | Items = (Message("guard.keys.scope.all") if ids is None
                                  else Items(tuple(Strong(redact(n)) for n in names)))
        repo.add_audit(session, team_id=team_id, actor=actor.user_id, action=ACTION_CREATED, now=now,
                       detail=audit_detail(Message("guard.keys.audit.created", tool=Strong(row.name), scope=scope,
                                                   kind=Message("guard.keys.kind.export" if row.export
                                                                else "guard.keys.kind.token"))))
        session.commit()
    log.info("tool key %s created by %s (prefix %s)", command.tool, actor.user_id, row.prefix)
    return KeysAnswer(created=CreatedKey(tool=command.tool, text=text, connections=tuple(names),
                                         all_connections=ids is None, export=command.export))


def revoke_key(services: Services, *, team_id: str, actor: authz.Actor, tool: str) -> Message:
    now = services.clock()
    with services.db.session() as session:
        row = keys_repo.get_active_tool_key(session, team_id, tool)
        if row is None or row.id is None:
            return Message("guard.keys.revoke.unknown", tool=Strong(tool))
        keys_repo.revoke_tool_key(session, row, by=actor.user_id, now=now)
        repo.add_audit(session, team_id=team_id, actor=actor.user_id, action=ACTION_REVOKED, now=now,
                       detail=audit_detail(Message("guard.keys.audit.revoked", tool=Strong(row.name))))
        session.commit()
        key_id = row.id
    CHECKER.forget(key_id)
    log.info("tool key %s revoked by %s", tool, actor.user_id)
    return Message("guard.keys.revoke.done", tool=Strong(tool), seconds=int(RECHECK_SECONDS) + 1)


def list_keys(services: Services, team_id: str) -> list[KeyRow]:
    with services.db.session() as session:
        live = keys_repo.list_tool_keys(session, team_id)
        scopes = keys_repo.scope_ids(session, [k.id for k in live if k.id is not None])
        conns = repo.connections_by_ids(session, sorted({c for ids in scopes.values() for c in ids}))
        return [
            KeyRow(tool=k.name, prefix=k.prefix, all_connections=k.all_connections, export=k.export,
                   connections=tuple(conns[c].name for c in scopes.get(k.id or 0, []) if c in conns),
                   created_by=k.created_by, created_at=k.created_at, last_used_at=k.last_used_at)
            for k in live
        ]


# --------------------------------------------------------------------------- checking a presented key


@dataclass(frozen=True)
class KeyIdentity:
    """A live key as the API needs it (no text, no hash)."""

    id: int
    team_id: str
    name: str
    export: bool
    all_connections: bool
    connection_ids: frozenset[int]

    def reaches(self, connection_id: int) -> bool:
        return self.all_connections or connection_id in self.connection_ids


def bearer_key(authorization: str | None) -> str | None:
    """The key in an ``Authorization: Bearer amzc_…`` header, or None when there is none of that shape."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not keys_repo.KEY_SHAPE.fullmatch(value):
        return None
    return value


class KeyChecker:
    """Checks presented keys against the database, remembering good ones for ``RECHECK_SECONDS``."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._good: dict[str, tuple[KeyIdentity, float]] = {}  # HMAC of the key -> (identity, checked at)

    def forget(self, key_id: int) -> None:
        with self._lock:
            for digest in [d for d, (ident, _) in self._good.items() if ident.id == key_id]:
                del self._good[digest]

    def clear(self) -> None:
        with self._lock:
            self._good.clear()

    def check(self, services: Services, presented: str) -> KeyIdentity | None:
        """The live key ``presented`` is, or None. ``presented`` must already have the key's shape."""
        crypto: Crypto = services.crypto
        digest = crypto.tool_key_hash(presented)
        assert digest is not None
        now = self._clock()
        with self._lock:
            hit = self._good.get(digest)
            if hit is not None and now - hit[1] < RECHECK_SECONDS:
                return hit[0]
        identity = self._look_up(services, presented)
        with self._lock:
            if identity is None:
                self._good.pop(digest, None)
            else:
                if len(self._good) > 10_000:
                    self._good.clear()
                self._good[digest] = (identity, now)
        return identity

    def _look_up(self, services: Services, presented: str) -> KeyIdentity | None:
        wall = services.clock()
        with services.db.session() as session:
            row = keys_repo.authenticate(session, services.crypto, presented, now=wall)
            if row is None or row.id is None:
                return None
            scope = keys_repo.scope_ids(session, [row.id]).get(row.id, [])
            identity = KeyIdentity(id=row.id, team_id=row.team_id, name=row.name, export=row.export,
                                   all_connections=row.all_connections, connection_ids=frozenset(scope))
            try:  # "last used" (and a re-hash) are worth a write, not a refusal: a busy database skips them
                if row.last_used_at is None or wall - row.last_used_at >= TOUCH_EVERY:
                    keys_repo.touch(session, row.id, wall)
                session.commit()
            except sa.exc.OperationalError as exc:
                session.rollback()
                log.info("could not record the use of tool key %s: %s", row.id, type(exc).__name__)
        return identity


CHECKER = KeyChecker()  # one per process: the API checks with it, a revocation here clears it


def tools_using(services: Services, team_id: str, connection_ids: Sequence[int]) -> dict[int, list[str]]:
    """{connection id: names of the live tool keys that may use it} (for ``status`` and the App Home)."""
    with services.db.session() as session:
        return repo.tools_by_connection(session, team_id, connection_ids)
