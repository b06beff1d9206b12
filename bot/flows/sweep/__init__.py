"""One pass of everything due: expiry reminders, health checks and checklist nudges.

Safe to run in several processes at once: every message is claimed in the database before it is
posted (``reminder_ledger``'s unique constraint, or a conditional UPDATE), and a claim whose post
failed is released so a later pass retries it. Each phase asks the database only for due work, by
indexed queries, so a pass costs in proportion to what is due rather than to the number of
connections.

Due work goes in batches of ``CLAIM_BATCH``: one statement claims the whole batch (and commits),
one query loads its rows, the batch's network calls (Slack posts, LWA checks) run on a few threads
at once, and one transaction records the results (sent, released, new status). Database work stays
on the sweeping thread and no transaction waits for a network call; the threads only talk to Slack
and Amazon. The next batch is claimed while the current one's calls are under way (``batches.pipelined``).

One module per phase, and what they share; everything is re-exported here:

- ``run``: ``run_sweep``, the phases in order (and the stale-claim release and the idempotency-key purge)
- ``reminders``: expiry reminders and the "expired" alert
- ``health``: health checks and their alerts (``CheckResult``: what one check found)
- ``nudges``: the checklist's profile-review nudge
- ``batches``: claiming in batches, the network threads (``Network``) and ``pipelined``
- ``report``: ``SweepReport``, what a pass did
"""

from __future__ import annotations

from bot.flows.sweep.batches import ACTIVE_STATUSES, Network, claimant
from bot.flows.sweep.health import (
    FAILING_VERDICTS,
    HEALTH_BATCH,
    HEALTH_GENERATION,
    TRANSIENT_LIMIT,
    TRANSIENT_RETRY,
    CheckResult,
    next_check_at,
)
from bot.flows.sweep.nudges import NUDGE_BATCH
from bot.flows.sweep.reminders import REMINDER_BATCH, reminder_kind_for, superseded_kinds
from bot.flows.sweep.report import SweepReport
from bot.flows.sweep.run import IDEMPOTENCY_RETENTION, STALE_CLAIM, run_sweep

# CLAIM_BATCH and NETWORK_WORKERS are not re-exported: the phases read them from ``batches`` when they
# run, so that is where a test sets them.
__all__ = [
    "ACTIVE_STATUSES", "FAILING_VERDICTS", "HEALTH_BATCH", "HEALTH_GENERATION", "IDEMPOTENCY_RETENTION",
    "NUDGE_BATCH", "REMINDER_BATCH", "STALE_CLAIM", "TRANSIENT_LIMIT", "TRANSIENT_RETRY", "CheckResult", "Network",
    "SweepReport", "claimant", "next_check_at", "reminder_kind_for", "run_sweep",
    "superseded_kinds",
]
