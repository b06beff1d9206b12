"""The queries the flows need, one function each, by concern:

- ``connections``: look-ups (by name, ``name_key``, id, seller/vendor and region, fingerprint);
- ``credentials``: storing a verified connection (``ConnectionValues``), replacing or erasing its secrets,
  recording an exposure;
- ``encryption``: the per-field ciphertexts and ``ConnectionSecrets``;
- ``audit``: the audit trail; ``checklist``: the DM checklist; ``health``: the health-check schedule;
- ``expiry``: client-secret expiry and due reminders; ``claims``: idempotency keys and the reminder ledger;
- ``jobs``: the job queue (enqueue, claim with a lease, settle, heartbeats, stats; own sessions);
- ``tool_keys``: the tools' API keys (issue 15), their scopes and exports;
- ``keys``: key rotation; ``preferences``: each person's own choices (their language). ``_shared`` holds
  what they share (field names, ``_aware``).

Callers use ``from storage import repo`` and ``repo.function(...)`` (every public name is re-exported
here); code may also import a concern's module directly.

Transactions: functions take a ``Session`` and *flush* but do not commit; the caller commits (one
transaction per user action: ``with db.session() as s: ...; s.commit()``). The exceptions, which
commit the session they are given so other processes see the result at once, are the claim and
ledger functions: ``claim_idempotency_key``, ``release_idempotency_key``, ``claim_reminder``,
``mark_reminder_sent``, ``release_reminder``, ``release_stale_reminder_claims``. ``rotate_keys``
manages its own sessions.

Every ``now`` is a timezone-aware UTC datetime supplied by the caller (so ``sweep --now`` works).
"""

from __future__ import annotations

from storage.repo._shared import (
    CLIENT_SECRET,
    LIVE_STATUSES,
    REFRESH_TOKEN,
    SYSTEM_ACTOR,
    Reads,
)
from storage.repo.audit import (
    add_audit,
    count_audit_actions,
    count_audit_actions_by_connection,
    count_audit_actions_statement,
    list_audit,
)
from storage.repo.checklist import (
    checklist_steps,
    get_checklist,
    list_due_nudges,
    save_checklist,
    set_checklist_steps,
)
from storage.repo.claims import (
    LedgerKey,
    claim_idempotency_key,
    claim_reminder,
    claim_reminders,
    claim_reminders_superseding,
    ledger_entries,
    mark_reminder_sent,
    purge_idempotency_keys,
    release_idempotency_key,
    release_reminder,
    release_stale_reminder_claims,
    set_idempotency_result,
    settle_reminder_claims,
)
from storage.repo.connections import (
    ConnectionNameTaken,
    ConnectionNotFound,
    NameHolder,
    connection_summaries,
    connections_by_ids,
    find_connection_by_name,
    find_connection_by_partner,
    find_connections_by_fingerprint,
    get_connection,
    get_connection_by_id,
    get_connection_by_key,
    get_team_connection,
    list_connections,
    name_holder,
)
from storage.repo.credentials import (
    ConnectionValues,
    create_or_update_connection,
    erase_secrets,
    mark_exposed,
    replace_client_secret,
    replace_refresh_token,
)
from storage.repo.encryption import (
    ConnectionSecrets,
    SecretsErased,
    load_secrets,
)
from storage.repo.expiry import (
    due_expiry_reminder_keys,
    due_expiry_reminders_statement,
    secret_expiry,
)
from storage.repo.health import (
    HEALTH_CHECK_INTERVAL,
    claim_health_checks,
    due_health_check_ids,
    due_health_checks_statement,
    reschedule_health_checks,
    schedule_next_health_check,
)
from storage.repo.jobs import (
    ClaimedJob,
    QueueStats,
    claim_next,
    complete,
    enqueue,
    fail,
    forget_worker,
    get_job,
    give_up,
    heartbeat,
    job_secrets,
    load_secret_blob,
    on_enqueue,
    purge_finished_jobs,
    purge_job_secrets,
    queue_stats,
    reap_exhausted,
    renew_lease,
)
from storage.repo.keys import (
    KeyRotationError,
    RotationFailure,
    rotate_keys,
)
from storage.repo.preferences import (
    Reader,
    forget_slack_locale,
    get_language,
    get_language_any_team,
    get_reader,
    remember_slack_locale,
    set_language,
)
from storage.repo.tool_keys import (
    ToolKeyNameTaken,
    exporters_of_current_secret,
    tools_by_connection,
)

__all__ = [
    "CLIENT_SECRET",
    "ClaimedJob",
    "ConnectionNameTaken",
    "ConnectionNotFound",
    "ConnectionSecrets",
    "ConnectionValues",
    "HEALTH_CHECK_INTERVAL",
    "KeyRotationError",
    "LIVE_STATUSES",
    "LedgerKey",
    "QueueStats",
    "REFRESH_TOKEN",
    "RotationFailure",
    "SYSTEM_ACTOR",
    "SecretsErased",
    "ToolKeyNameTaken",
    "add_audit",
    "checklist_steps",
    "claim_health_checks",
    "claim_idempotency_key",
    "claim_next",
    "claim_reminder",
    "claim_reminders",
    "claim_reminders_superseding",
    "complete",
    "connection_summaries",
    "connections_by_ids",
    "count_audit_actions",
    "count_audit_actions_by_connection",
    "count_audit_actions_statement",
    "create_or_update_connection",
    "due_expiry_reminder_keys",
    "due_expiry_reminders_statement",
    "due_health_check_ids",
    "due_health_checks_statement",
    "enqueue",
    "erase_secrets",
    "exporters_of_current_secret",
    "fail",
    "find_connection_by_name",
    "NameHolder",
    "name_holder",
    "Reads",
    "find_connection_by_partner",
    "find_connections_by_fingerprint",
    "forget_worker",
    "get_checklist",
    "get_connection",
    "get_connection_by_id",
    "get_connection_by_key",
    "get_language",
    "get_reader",
    "forget_slack_locale",
    "remember_slack_locale",
    "Reader",
    "get_language_any_team",
    "get_team_connection",
    "get_job",
    "give_up",
    "heartbeat",
    "job_secrets",
    "ledger_entries",
    "list_audit",
    "list_connections",
    "list_due_nudges",
    "load_secret_blob",
    "load_secrets",
    "mark_exposed",
    "mark_reminder_sent",
    "on_enqueue",
    "purge_finished_jobs",
    "purge_idempotency_keys",
    "purge_job_secrets",
    "queue_stats",
    "reap_exhausted",
    "release_idempotency_key",
    "release_reminder",
    "release_stale_reminder_claims",
    "renew_lease",
    "replace_client_secret",
    "replace_refresh_token",
    "reschedule_health_checks",
    "rotate_keys",
    "save_checklist",
    "schedule_next_health_check",
    "secret_expiry",
    "set_checklist_steps",
    "set_idempotency_result",
    "set_language",
    "settle_reminder_claims",
    "tools_by_connection",
]
