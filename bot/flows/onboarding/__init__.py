"""Connecting an Amazon account: who may, the form check, verification, encrypted save, announcement.

Plain Python: no Slack types. The Slack edge (``bot.listeners.onboarding``) turns payloads into the
values below, calls these functions, and renders the returned :class:`SubmissionOutcome` (meanings:
``bot.i18n.Message``s, never words) with ``bot.views`` in the reader's language.

Secrets (client secret, refresh token) only live in :class:`FormCheck` in memory, in the encrypted
columns of ``connections``, and (while a reconnect waits for the user's confirmation) as AES-GCM
ciphertexts in a ``pending:`` idempotency row that expires after :data:`PENDING_TTL`.

One module per step; everything is re-exported here (``from bot.flows import onboarding as flow``):

- ``form``: the credential form (``Prefill``, ``FormCheck``, ``check_form``)
- ``submission``: a submission and what became of it (``Submission``, ``SubmissionOutcome``)
- ``claims``: the double-submit guard (claims with leases that duplicates follow)
- ``verify``: verification with Amazon (``verify_and_save``)
- ``save``: the encrypted save and the announcement; who may replace a connection's credentials
- ``pending``: a reconnect waiting for the user's confirmation
- ``bot.flows.summary``: ``ConnectionSummary``, the connection as people see it
"""

from __future__ import annotations

from bot.flows.onboarding.claims import (
    LEASE,
    LEGACY_CLAIM_HOLD,
    VERIFYING,
    Claim,
    Followed,
    LeaseKeeper,
    claim_submission,
    finish_claim,
    follow_state,
    renew_lease,
)
from bot.flows.onboarding.form import DATE_FIELD, FORM_FIELDS, SECRET_FIELDS, FormCheck, Prefill, check_form
from bot.flows.onboarding.pending import (
    PENDING_TABLE,
    PENDING_TTL,
    cancel_pending,
    confirm_pending,
    purge_expired_pending,
    store_pending,
)
from bot.flows.onboarding.save import ConnectionConnected, ResolveActor, name_clash, replace_refusal
from bot.flows.onboarding.submission import OutcomeKind, Submission, SubmissionOutcome
from bot.flows.onboarding.verify import verify_and_save
from bot.flows.summary import ConnectionSummary, list_summaries

# The names re-exported from the step modules, to read. A test that changes one (LEASE, LEASE_RENEW_EVERY,
# lease_clock) sets it where it lives, e.g. ``bot.flows.onboarding.claims``.
__all__ = [
    "DATE_FIELD", "FORM_FIELDS", "LEASE", "LEGACY_CLAIM_HOLD", "PENDING_TABLE", "PENDING_TTL",
    "SECRET_FIELDS", "VERIFYING", "Claim", "ConnectionConnected", "ConnectionSummary", "Followed", "FormCheck",
    "LeaseKeeper", "OutcomeKind", "Prefill", "ResolveActor", "Submission", "SubmissionOutcome", "cancel_pending",
    "check_form", "claim_submission", "confirm_pending", "finish_claim", "follow_state",
    "list_summaries", "name_clash", "purge_expired_pending", "renew_lease", "replace_refusal", "store_pending",
    "verify_and_save",
]
