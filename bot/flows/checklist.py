"""The DM checklist: which steps each path has, per-user progress, and the one profile-review nudge.

Plain Python over storage: no Slack types. Step ids are stable strings (saved in the database and
used in Block Kit ``block_id``s); the words for each step live in the message catalog under
``onboarding.step.<path>.<step id>.title`` / ``.body``.

The nudge: ticking ``profile_submitted`` stores when the profile went to Amazon and makes a nudge
due three business days later (Saturday and Sunday skipped). Unticking clears it. The lifecycle
sweep asks :func:`due_nudges`, claims each with :func:`mark_nudged` (race-safe: only one process
wins) and sends :func:`nudge_notice`. A user is nudged at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.flows.ports import Audience, Notice, Payload
from storage import repo
from storage.models import ChecklistProgress

SELLER = "seller"
VENDOR = "vendor"
PATHS = (SELLER, VENDOR)
PROFILE_STEP = "profile_submitted"
NUDGE_BUSINESS_DAYS = 3

# The order is the order shown. The ids are a contract (stored per user): never rename one.
# Both paths have the same stages; their texts differ (catalog keys onboarding.step.<path>.<id>).
_STAGES = ("prerequisites", "prepare_info", "roles", PROFILE_STEP, "create_app", "find_credentials",
           "refresh_token", "per_region")
STEPS: dict[str, tuple[str, ...]] = {SELLER: _STAGES, VENDOR: _STAGES}
# The optional "automatic rotation" section (README "Automatic rotation"), shown after either path's steps and
# not counted in its progress; catalog keys onboarding.step.rotation.<id>.
ROTATION_STEPS = ("rotation_queue", "rotation_policy", "rotation_preferences", "rotation_settings")


@dataclass(frozen=True)
class ChecklistState:
    """What the views need to draw a user's checklist (plain values)."""

    team_id: str
    user_id: str
    account_type: str | None = None
    completed: tuple[str, ...] = ()
    profile_submitted_at: datetime | None = None
    nudge_due_at: datetime | None = None
    nudge_sent_at: datetime | None = None
    dm_channel: str | None = None
    dm_ts: str | None = None

    @property
    def steps(self) -> tuple[str, ...]:
        return STEPS.get(self.account_type or "", ())

    @property
    def done_count(self) -> int:
        return sum(1 for s in self.steps if s in self.completed)

    @property
    def total(self) -> int:
        return len(self.steps)


@dataclass(frozen=True)
class DueNudge:
    progress_id: int
    team_id: str
    user_id: str
    account_type: str | None
    profile_submitted_at: datetime | None
    dm_channel: str | None = None
    dm_ts: str | None = None


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward by ``days`` business days (Saturday and Sunday do not count)."""
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def _state(progress: ChecklistProgress | None, team_id: str, user_id: str) -> ChecklistState:
    if progress is None:
        return ChecklistState(team_id=team_id, user_id=user_id)
    account_type = progress.account_type if progress.account_type in PATHS else None
    return ChecklistState(
        team_id=team_id,
        user_id=user_id,
        account_type=account_type,
        completed=tuple(repo.checklist_steps(progress)),
        profile_submitted_at=progress.profile_submitted_at,
        nudge_due_at=progress.nudge_due_at,
        nudge_sent_at=progress.nudge_sent_at,
        dm_channel=progress.dm_channel,
        dm_ts=progress.dm_ts,
    )


def _load_or_new(session: Session, team_id: str, user_id: str, now: datetime) -> ChecklistProgress:
    progress = repo.get_checklist(session, team_id, user_id)
    if progress is None:
        progress = ChecklistProgress(team_id=team_id, user_id=user_id, created_at=now, updated_at=now)
    return progress


def load_state(session: Session, team_id: str, user_id: str) -> ChecklistState:
    return _state(repo.get_checklist(session, team_id, user_id), team_id, user_id)


def choose_path(session: Session, team_id: str, user_id: str, account_type: str, now: datetime) -> ChecklistState:
    """Pick (or switch) seller/vendor. Ticks are kept: both paths share their step ids."""
    if account_type not in PATHS:
        raise ValueError(f"account type must be one of {', '.join(PATHS)}")
    progress = _load_or_new(session, team_id, user_id, now)
    progress.account_type = account_type
    repo.save_checklist(session, progress, now)
    session.commit()
    return _state(progress, team_id, user_id)


def set_step(
    session: Session, team_id: str, user_id: str, step_id: str, done: bool, now: datetime
) -> ChecklistState:
    """Tick or untick one step. Unknown step ids are ignored (an old message may carry one)."""
    progress = _load_or_new(session, team_id, user_id, now)
    known = {s for path in PATHS for s in STEPS[path]} | set(ROTATION_STEPS)
    if step_id not in known:
        return _state(progress, team_id, user_id)
    completed = [s for s in repo.checklist_steps(progress) if s in known]
    if done and step_id not in completed:
        completed.append(step_id)
    elif not done and step_id in completed:
        completed.remove(step_id)
    repo.set_checklist_steps(progress, completed)
    if step_id == PROFILE_STEP:
        if done:
            if progress.profile_submitted_at is None:
                progress.profile_submitted_at = now
                progress.nudge_due_at = add_business_days(now, NUDGE_BUSINESS_DAYS)
        else:
            # Unticking clears the pending nudge; nudge_sent_at stays, so nobody is nudged twice.
            progress.profile_submitted_at = None
            progress.nudge_due_at = None
    repo.save_checklist(session, progress, now)
    session.commit()
    return _state(progress, team_id, user_id)


def remember_dm(session: Session, team_id: str, user_id: str, channel: str, ts: str, now: datetime) -> None:
    """Store where the checklist message lives, so every tick updates that same message."""
    progress = _load_or_new(session, team_id, user_id, now)
    progress.dm_channel = channel
    progress.dm_ts = ts
    repo.save_checklist(session, progress, now)
    session.commit()


def due_nudges(session: Session, now: datetime, limit: int = 500) -> list[DueNudge]:
    """Checklists whose profile-review nudge is due and was never sent."""
    rows = repo.list_due_nudges(session, now, limit)
    result: list[DueNudge] = []
    for row in rows:
        if PROFILE_STEP not in repo.checklist_steps(row) or row.id is None:
            continue
        result.append(
            DueNudge(
                progress_id=row.id,
                team_id=row.team_id,
                user_id=row.user_id,
                account_type=row.account_type,
                profile_submitted_at=row.profile_submitted_at,
                dm_channel=row.dm_channel,
                dm_ts=row.dm_ts,
            )
        )
    return result


def mark_nudged(session: Session, progress_id: int, now: datetime) -> bool:
    """Claim the nudge for ``progress_id``: True for exactly one caller (across processes). Commits.

    Call it before sending; if the send fails, :func:`unmark_nudged` lets a later sweep retry.
    """
    result = session.execute(
        sa.update(ChecklistProgress)
        .where(col(ChecklistProgress.id) == progress_id, col(ChecklistProgress.nudge_sent_at).is_(None))
        .values(nudge_sent_at=now.astimezone(UTC), updated_at=now.astimezone(UTC))
    )
    session.commit()
    # sqlmodel types execute() as Result; an UPDATE/DELETE gives a CursorResult, which has rowcount:
    return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]


def unmark_nudged(session: Session, progress_id: int) -> None:
    """Give a claimed nudge back (the DM could not be sent). Commits."""
    session.execute(
        sa.update(ChecklistProgress).where(col(ChecklistProgress.id) == progress_id).values(nudge_sent_at=None)
    )
    session.commit()


@dataclass(frozen=True)
class ChecklistNudge(Payload):
    """The profile-review nudge DM (rendered by ``bot.views.checklist``)."""

    KIND: ClassVar[str] = "checklist_nudge"
    account_type: str = SELLER


def nudge_notice(nudge: DueNudge) -> Notice:
    """The DM for a due nudge."""
    return Notice.of(Audience.DM, ChecklistNudge(account_type=nudge.account_type or SELLER), user_id=nudge.user_id)
