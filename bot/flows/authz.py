"""Every authorization decision, in one place:

- may connect (CONNECT_ALLOWED): everyone, admins, or a list of user and user-group ids;
- may manage a connection (rotate, re-authorize, disconnect): its owner, a workspace admin or owner, or
  anyone in ADMIN_USER_IDS;
- may administer (the audit trail, admin-only commands): a workspace admin or owner, or anyone in
  ADMIN_USER_IDS.

Pure decisions over plain values: the Slack edge (``bot.listeners.context``) gathers the facts
(``users.info``, ``usergroups.users.list``) into an ``Actor`` / ``UserFacts`` first.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from bot.flows.summary import ConnectionSummary
from bot.i18n import Message, Strong, User
from bot.redaction import redact
from bot.services import Services
from storage import repo
from storage.models import Connection


@dataclass(frozen=True)
class Actor:
    """The person asking, as plain facts the Slack listener resolved."""

    user_id: str
    is_workspace_admin: bool = False
    is_workspace_owner: bool = False


# --------------------------------------------------------------------------- may connect (CONNECT_ALLOWED)


@dataclass(frozen=True)
class UserFacts:
    """What the Slack edge learned about the person (users.info, usergroups.users.list)."""

    user_id: str
    is_admin: bool = False  # workspace admin or owner
    groups: frozenset[str] = frozenset()  # the CONNECT_ALLOWED user groups (S…) the user is in


def policy_ids(connect_allowed: str) -> list[str]:
    if connect_allowed in ("everyone", "admins"):
        return []
    return [p.strip() for p in connect_allowed.split(",") if p.strip()]


def usergroups_to_check(connect_allowed: str) -> list[str]:
    """The user-group ids (S…) whose members the edge must look up for this policy."""
    return [i for i in policy_ids(connect_allowed) if i.startswith("S")]


def needs_admin_lookup(connect_allowed: str, user_id: str, admin_user_ids: Collection[str]) -> bool:
    return connect_allowed == "admins" and user_id not in admin_user_ids


def may_connect(connect_allowed: str, facts: UserFacts, admin_user_ids: Collection[str] = ()) -> bool:
    """CONNECT_ALLOWED: ``everyone``; ``admins`` (workspace admins/owners and ADMIN_USER_IDS); or a
    list of user ids (U…/W…) and user-group ids (S…)."""
    if not facts.user_id:
        return False
    if connect_allowed == "everyone":
        return True
    if facts.user_id in admin_user_ids:
        return True
    if connect_allowed == "admins":
        return facts.is_admin
    ids = policy_ids(connect_allowed)
    if facts.user_id in ids:
        return True
    return any(g in facts.groups for g in ids if g.startswith("S"))


# --------------------------------------------------------------------------- may administer


def may_administer(actor: Actor, admin_user_ids: Collection[str]) -> bool:
    """True when ``actor`` may see the audit trail and use admin-only commands: ADMIN_USER_IDS, or a
    workspace admin or owner."""
    if not actor.user_id:
        return False
    return actor.user_id in admin_user_ids or actor.is_workspace_admin or actor.is_workspace_owner


# --------------------------------------------------------------------------- may manage a connection


def may_manage(actor: Actor, *, created_by: str, admin_user_ids: Collection[str]) -> bool:
    """True when ``actor`` may rotate, re-authorize or disconnect a connection created by ``created_by``."""
    if not actor.user_id:
        return False
    if actor.user_id == created_by:
        return True
    if actor.is_workspace_admin or actor.is_workspace_owner:
        return True
    return actor.user_id in admin_user_ids


NOT_FOUND_ANY = "lifecycle.not_found_any"


@dataclass(frozen=True)
class Lookup:
    """Either a target the actor may change, or one sentence saying why not (never both)."""

    target: ConnectionSummary | None = None
    refusal: Message | None = None


def clean_name(text: str) -> str:
    """The connection name typed after a subcommand: trimmed, control characters and surrounding quotes removed."""
    name = "".join(ch for ch in (text or "")[:400] if ch.isprintable() or ch.isspace())
    name = " ".join(name.split())
    for quote in ('"', "'", "\u201c\u201d", "\u2018\u2019", "`"):
        opening, closing = (quote[0], quote[-1])
        if len(name) >= 2 and name.startswith(opening) and name.endswith(closing):
            name = name[1:-1].strip()
    return name


def find_target(
    services: Services,
    *,
    team_id: str,
    actor: Actor,
    name: str | None = None,
    connection_id: int | None = None,
    lookup_error: str | None = None,
) -> Lookup:
    """Find the connection by name (exact, else by ``name_key``) or id and check the actor may change it.

    ``lookup_error`` is the Slack error when the listener could not read the actor's admin flags: a
    refusal then says so, since the actor might be an admin.
    """
    if not team_id or not team_id.isprintable():
        return Lookup(refusal=Message(NOT_FOUND_ANY))
    with services.db.session() as session:
        conn: Connection | None = None
        if connection_id is not None:
            conn = repo.get_team_connection(session, team_id, connection_id)
            if conn is None:
                return Lookup(refusal=Message(NOT_FOUND_ANY))
        else:
            wanted = clean_name(name or "")
            if not wanted:  # only quotes or blanks were typed
                return Lookup(refusal=Message("lifecycle.not_found_unnamed"))
            # The exact name, else the one connection whose name_key is the same (``main`` finds ``Main``).
            conn = repo.find_connection_by_name(session, team_id, wanted)
            if conn is None:
                return Lookup(refusal=Message("lifecycle.not_found", name=quoted_name(wanted)))
        refusal = refusal_for(conn, actor, services.settings.admin_user_ids, lookup_error)
        if refusal is not None:
            return Lookup(refusal=refusal)
        assert conn is not None
        return Lookup(target=ConnectionSummary.of(conn))


def refusal_for(
    conn: Connection | None, actor: Actor, admin_user_ids: Collection[str], lookup_error: str | None = None
) -> Message | None:
    """None when ``actor`` may change ``conn``; otherwise the one sentence that says why not."""
    if conn is None:
        return Message(NOT_FOUND_ANY)
    if conn.status == "disconnected":
        return Message("lifecycle.already_disconnected", name=quoted_name(conn.name))
    if not may_manage(actor, created_by=conn.created_by, admin_user_ids=admin_user_ids):
        if lookup_error:
            return Message("lifecycle.refused_lookup_failed", name=quoted_name(conn.name),
                           owner=User(conn.created_by), error=lookup_error)
        return Message("lifecycle.refused", name=quoted_name(conn.name), owner=User(conn.created_by))
    return None


def quoted_name(name: str) -> Strong | Message:
    """A connection name as refusals show it: the name (redacted, at most 80 characters) in bold, or the
    catalog's words for a connection without a name."""
    return Strong(redact(name[:80])) if name else Message("lifecycle.unnamed_connection")
