"""The per-user DM checklist and its profile-review nudge."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from storage.models import ChecklistProgress
from storage.repo._shared import _aware


def get_checklist(session: Session, team_id: str, user_id: str) -> ChecklistProgress | None:
    stmt = select(ChecklistProgress).where(
        ChecklistProgress.team_id == team_id, ChecklistProgress.user_id == user_id
    )
    return session.exec(stmt).first()


def save_checklist(session: Session, progress: ChecklistProgress, now: datetime | None = None) -> ChecklistProgress:
    """Insert or update; sets ``updated_at``. The caller commits."""
    progress.updated_at = _aware(now) if now is not None else datetime.now(UTC)
    session.add(progress)
    session.flush()
    return progress


def checklist_steps(progress: ChecklistProgress) -> list[str]:
    """The completed step ids (an unreadable value counts as none done)."""
    try:
        value = json.loads(progress.completed_steps or "[]")
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def set_checklist_steps(progress: ChecklistProgress, steps: Sequence[str]) -> None:
    progress.completed_steps = json.dumps(list(dict.fromkeys(steps)))


def list_due_nudges(session: Session, now: datetime, limit: int = 500) -> list[ChecklistProgress]:
    """Checklists whose nudge is due and not sent yet."""
    stmt = (
        select(ChecklistProgress)
        .where(col(ChecklistProgress.nudge_due_at) <= _aware(now), col(ChecklistProgress.nudge_sent_at).is_(None))
        .order_by(col(ChecklistProgress.nudge_due_at))
        .limit(limit)
    )
    return list(session.exec(stmt).all())
