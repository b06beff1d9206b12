"""SQLModel tables. Column names and types are a contract the flows and the migrations code against.

Every datetime column is timezone-aware UTC in Python on both SQLite and PostgreSQL (``UTCDateTime``).
No column holds a plaintext secret: secrets live only as AES-GCM ciphertexts (``*_enc``) and keyed
fingerprints (``*_fp``). Free-text columns that could carry an error text (``last_problem_params``,
``detail``, ``result``) are passed through ``bot.redaction.redact`` whenever they are assigned.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.redaction import redact
from storage.names import name_key

# A connection's status is connected, failing or disconnected. "exposed" is not a status: a connection whose
# current secret was seen in Slack is exposed beside its status (connected or failing) until that secret is
# replaced; see ``exposed_kinds``.
SECRET_KINDS = ("client_secret", "refresh_token")
ACCOUNT_TYPES = ("seller", "vendor")
REGIONS = ("NA", "EU", "FE")
SECRET_LIFETIME_DAYS = 180


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware (UTC).

    A naive datetime is refused: the caller must say which time zone it means.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("a naive datetime cannot be stored: pass a timezone-aware UTC datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps text; store naive UTC so that ordering and comparisons are plain string order.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Connection(SQLModel, table=True):
    __tablename__ = "connections"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "name", name="uq_connections_team_id_name"),
        # Look-alike names (storage.names.name_key) are refused by the database itself.
        sa.UniqueConstraint("team_id", "name_key", name="uq_connections_team_id_name_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    name: str
    name_key: str = Field(default="")  # always name_key(name): set on every insert and update (below)
    account_type: str  # "seller" | "vendor"
    selling_partner_id: str
    region: str  # "NA" | "EU" | "FE"
    marketplace_id: str
    client_id: str
    store_name: str | None = Field(default=None)
    client_secret_enc: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    refresh_token_enc: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    client_secret_fp: str | None = Field(default=None, index=True)
    refresh_token_fp: str | None = Field(default=None, index=True)
    secret_created_on: date
    secret_expires_on: date = Field(index=True)
    secret_generation: int = Field(default=1)
    status: str = Field(default="connected", index=True)
    last_verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The last problem as a meaning (bot.flows.problems.Problem): its kind and JSON parameters, no words.
    last_problem_kind: str | None = Field(default=None)
    last_problem_params: str | None = Field(default=None)
    transient_failures: int = Field(default=0)
    next_health_check_at: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    # JSON {"client_secret": [fingerprint, ...], "refresh_token": [...]}: the keyed fingerprints of secret
    # values the leak guard saw in Slack (never a secret). Exposure is derived from it: see exposed_kinds.
    exposed_secrets: str | None = Field(default=None)
    # Automatic rotation through Amazon's Application Management API (``/connect-amazon autorotate NAME on``).
    autorotate: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def __repr__(self) -> str:
        return (
            f"Connection(id={self.id!r}, team_id={self.team_id!r}, name={redact(self.name)!r}, "
            f"status={self.status!r})"
        )

    __str__ = __repr__

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, str) and name in _REDACTED_FIELDS.get(type(self), ()):
            value = redact(value)
        super().__setattr__(name, value)

    def label(self) -> str:
        """A human name for error messages: ``'Main EU' (row 7, team T1)``."""
        return f"{redact(self.name)!r} (row {self.id}, team {self.team_id})"


def leaked_fingerprints(exposed_secrets: str | None) -> dict[str, list[str]]:
    """The ``exposed_secrets`` column read back: which fingerprints of each secret kind were seen in Slack."""
    try:
        data = json.loads(exposed_secrets or "{}")
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {kind: [fp for fp in data.get(kind) or [] if isinstance(fp, str)] for kind in SECRET_KINDS
            if isinstance(data.get(kind), list)}


def exposed_kinds(conn: Any) -> tuple[str, ...]:
    """Which secrets now in use by ``conn`` were seen in Slack (``client_secret``, ``refresh_token``).

    The one source of truth for "exposed": the leaked fingerprints against the current ones, so only
    replacing the leaked value (rotation, re-authorization, reconnecting with another value) clears it,
    and re-submitting the same leaked value keeps it. ``conn`` is a Connection or any row with the
    columns ``exposed_secrets``, ``client_secret_fp`` and ``refresh_token_fp``.
    """
    leaked = leaked_fingerprints(getattr(conn, "exposed_secrets", None))
    if not leaked:
        return ()
    current = {"client_secret": getattr(conn, "client_secret_fp", None),
               "refresh_token": getattr(conn, "refresh_token_fp", None)}
    return tuple(kind for kind in SECRET_KINDS if current[kind] and current[kind] in leaked.get(kind, ()))


class UserPreference(SQLModel, table=True):
    """A person's own choices; without a row the bot follows their Slack locale."""

    __tablename__ = "user_preferences"

    team_id: str = Field(primary_key=True)
    user_id: str = Field(primary_key=True)
    language: str | None = Field(default=None)  # a bot.i18n.LOCALES key, or None to follow Slack
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # when ``language`` was set
    # Slack's locale as users.info last said it (raw, e.g. "zh-CN"), and when: shared by every process.
    slack_locale: str | None = Field(default=None)
    slack_locale_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ChecklistProgress(SQLModel, table=True):
    __tablename__ = "checklist_progress"
    __table_args__ = (sa.UniqueConstraint("team_id", "user_id", name="uq_checklist_progress_team_id_user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str
    user_id: str
    account_type: str | None = Field(default=None)
    completed_steps: str = Field(default="[]")  # JSON list of step ids
    profile_submitted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    nudge_due_at: datetime | None = Field(default=None, index=True, sa_type=UTCDateTime)
    nudge_sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dm_channel: str | None = Field(default=None)
    dm_ts: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    __tablename__ = "audit_log"
    # The sweep counts a connection's health episodes by action: without this it reads the whole log.
    __table_args__ = (sa.Index("ix_audit_log_connection_id_action", "connection_id", "action"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    connection_id: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("connections.id", ondelete="SET NULL", name="fk_audit_log_connection_id"),
            nullable=True,
        ),
    )
    connection_name: str | None = Field(default=None)
    actor: str  # Slack user id or "system"
    action: str
    detail: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)

    def __repr__(self) -> str:
        return (
            f"AuditEntry(id={self.id!r}, team_id={self.team_id!r}, action={self.action!r}, "
            f"connection_name={redact(self.connection_name or '')!r}, actor={self.actor!r})"
        )

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, str) and name in _REDACTED_FIELDS.get(type(self), ()):
            value = redact(value)
        super().__setattr__(name, value)


class ReminderLedger(SQLModel, table=True):
    __tablename__ = "reminder_ledger"
    __table_args__ = (
        sa.UniqueConstraint(
            "connection_id", "generation", "kind", name="uq_reminder_ledger_connection_id_generation_kind"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(
        sa_column=sa.Column(
            sa.Integer,
            sa.ForeignKey("connections.id", ondelete="CASCADE", name="fk_reminder_ledger_connection_id"),
            nullable=False,
            index=True,
        ),
    )
    generation: int
    kind: str
    claimed_at: datetime = Field(sa_type=UTCDateTime)
    claimed_by: str
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ProcessedNotification(SQLModel, table=True):
    """An Amazon notification (from the rotation queue) whose effect is committed: a redelivery of the same
    ``notificationId`` changes nothing and posts nothing. Never holds a secret."""

    __tablename__ = "processed_notifications"

    notification_id: str = Field(primary_key=True)
    kind: str  # notificationType
    client_id: str
    processed_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"

    key: str = Field(primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    result: str | None = Field(default=None)  # small JSON, never a secret

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, str) and name in _REDACTED_FIELDS.get(type(self), ()):
            value = redact(value)
        super().__setattr__(name, value)


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for a worker (from ``run_after`` on)
    RUNNING = "running"  # claimed: ``lease_owner`` works on it until ``lease_until``
    DONE = "done"
    FAILED = "failed"  # the handler gave up (the person was told)
    DEAD = "dead"  # it failed ``max_attempts`` times (the person was told)


class Job(SQLModel, table=True):
    """Work after Slack's ack, for a worker process (``storage.repo.jobs``, ``bot.jobs``).

    ``payload`` is small JSON and never a secret; a submission's secrets travel only in ``secret_blob``,
    AES-GCM bound to the job's id (table ``jobs``, field ``secrets``), erased when the job ends and
    purged 15 minutes after it was made at the latest. ``last_error_kind`` is a short code, never text.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        sa.UniqueConstraint("dedupe_key", name="uq_jobs_dedupe_key"),
        # claim_next: the oldest due queued job of some kinds, and expired leases.
        sa.Index("ix_jobs_state_run_after", "state", "run_after"),
        sa.Index("ix_jobs_state_lease_until", "state", "lease_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str
    dedupe_key: str | None = Field(default=None)
    payload: str = Field(default="{}")  # JSON object, never a secret
    secret_blob: bytes | None = Field(default=None, sa_type=sa.LargeBinary)
    state: str = Field(default=JobState.QUEUED)
    attempts: int = Field(default=0)
    max_attempts: int = Field(default=5)
    run_after: datetime = Field(sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error_kind: str | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, index=True, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def __repr__(self) -> str:
        return (f"Job(id={self.id!r}, kind={self.kind!r}, state={self.state!r}, attempts={self.attempts!r}, "
                f"secrets={'held' if self.secret_blob else 'none'})")

    __str__ = __repr__


class WorkerHeartbeat(SQLModel, table=True):
    """One row per worker loop (a process runs WORKER_THREADS of them), touched every few seconds: "is a worker
    alive" (``queue_stats`` counts the processes)."""

    __tablename__ = "worker_heartbeats"

    worker_id: str = Field(primary_key=True)
    host: str
    pid: int
    started_at: datetime = Field(sa_type=UTCDateTime)
    seen_at: datetime = Field(index=True, sa_type=UTCDateTime)


_REDACTED_FIELDS: dict[type, frozenset[str]] = {
    Connection: frozenset({"last_problem_params"}),
    AuditEntry: frozenset({"detail"}),
    IdempotencyKey: frozenset({"result"}),
}


def _redact_on_flush(mapper: Any, connection: Any, target: Any) -> None:
    # Second line of defence (the first is __setattr__): whatever reached the object, redact before SQL.
    for name in _REDACTED_FIELDS[type(target)]:
        value = target.__dict__.get(name)
        if isinstance(value, str):
            cleaned = redact(value)
            if cleaned != value:
                setattr(target, name, cleaned)


for _model in _REDACTED_FIELDS:
    event.listen(_model, "before_insert", _redact_on_flush)
    event.listen(_model, "before_update", _redact_on_flush)


def _set_name_key(mapper: Any, connection: Any, target: Connection) -> None:
    # One place keeps name_key = name_key(name) on every write, whoever renamed the row.
    target.name_key = name_key(target.name)


def _update_name_key(mapper: Any, connection: Any, target: Connection) -> None:
    # An update that changes neither name nor name_key keeps the key it has (computing it costs about
    # 1 ms a row: the sweep's 500 health-check updates spent 0.6 s here).
    changed = sa.inspect(target).committed_state  # the attributes set since the row was loaded
    if "name" in changed or "name_key" in changed:
        _set_name_key(mapper, connection, target)


event.listen(Connection, "before_insert", _set_name_key)
event.listen(Connection, "before_update", _update_name_key)


class ToolKey(SQLModel, table=True):
    """A team tool's key for the HTTP API (``storage.repo.tool_keys``, ``bot.flows.tool_keys``).

    The key itself (``amzc_…``) is never stored: only ``prefix`` (its first characters, for recognition and
    look-up) and ``key_hash``, HMAC-SHA256 under a key derived from ``ENCRYPTION_KEYS`` entry ``hash_kid``.
    ``active_name`` is ``name`` while the key is live and NULL once revoked, so a workspace has at most one
    live key per tool name (NULLs never collide in a unique constraint) while revoked rows stay for the trail.
    ``all_connections``: the key reaches every connection of the workspace, present and future (``*``);
    otherwise its scope is its ``tool_key_scopes`` rows.
    """

    __tablename__ = "tool_keys"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "active_name", name="uq_tool_keys_team_id_active_name"),
        sa.UniqueConstraint("key_hash", name="uq_tool_keys_key_hash"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True)
    name: str
    active_name: str | None = Field(default=None)
    prefix: str = Field(index=True)
    key_hash: str
    hash_kid: str
    export: bool = Field(default=False)
    all_connections: bool = Field(default=False)
    created_by: str
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by: str | None = Field(default=None)

    def __repr__(self) -> str:
        return (f"ToolKey(id={self.id!r}, team_id={self.team_id!r}, name={self.name!r}, prefix={self.prefix!r}, "
                f"export={self.export!r}, revoked={self.revoked_at is not None!r})")

    __str__ = __repr__


def _cascade_key(target: str, name: str, *, index: bool = False) -> Any:
    """A primary-key column of a link table that points at ``target`` and goes when its row goes."""
    return Field(sa_column=sa.Column(sa.Integer, sa.ForeignKey(target, ondelete="CASCADE", name=name),
                                     primary_key=True, index=index))


class ToolKeyScope(SQLModel, table=True):
    """One connection a tool key (without ``all_connections``) may use."""

    __tablename__ = "tool_key_scopes"

    tool_key_id: int = _cascade_key("tool_keys.id", "fk_tool_key_scopes_tool_key_id")
    connection_id: int = _cascade_key("connections.id", "fk_tool_key_scopes_connection_id", index=True)


class ToolKeyExport(SQLModel, table=True):
    """The last time a tool fetched a connection's full credentials (``GET …/credentials``), and which client
    secret it got (its keyed fingerprint, as in ``connections.client_secret_fp``): a rotation reminder names
    the tools whose copy is the current secret."""

    __tablename__ = "tool_key_exports"

    tool_key_id: int = _cascade_key("tool_keys.id", "fk_tool_key_exports_tool_key_id")
    connection_id: int = _cascade_key("connections.id", "fk_tool_key_exports_connection_id", index=True)
    client_secret_fp: str | None = Field(default=None)
    secret_generation: int = Field(default=1)
    exported_at: datetime = Field(sa_type=UTCDateTime)
