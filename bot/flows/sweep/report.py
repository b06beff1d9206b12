"""What one pass of the sweep did: ``SweepReport``, counted by every phase and printed by ``python -m bot sweep``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class SweepReport:
    now: datetime
    reminders_sent: int = 0
    expired_alerts_sent: int = 0
    reminders_superseded: int = 0
    health_checked: int = 0
    health_ok: int = 0
    health_failing: int = 0
    health_recovered: int = 0
    health_transient: int = 0
    health_skipped: int = 0  # secrets that could not be decrypted: left as they were, see the log
    alerts_sent: int = 0
    nudges_sent: int = 0
    delivery_failures: int = 0
    keys_purged: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every phase ran to the end and no check was skipped for want of a key (a failed
        Slack post is retried next pass, not a failure)."""
        return not self.problems and not self.health_skipped

    def summary(self) -> str:
        lines = [
            f"sweep at {self.now.isoformat()}:",
            f"  expiry reminders sent: {self.reminders_sent} (expired alerts: {self.expired_alerts_sent}, "
            f"older reminders superseded: {self.reminders_superseded})",
            f"  health checks: {self.health_checked} (ok {self.health_ok}, newly failing {self.health_failing}, "
            f"recovered {self.health_recovered}, transient {self.health_transient}); alerts sent: {self.alerts_sent}",
            f"  checklist nudges sent: {self.nudges_sent}",
            f"  posts that failed and will be retried next pass: {self.delivery_failures}",
            f"  old idempotency keys deleted: {self.keys_purged}",
        ]
        if self.health_skipped:
            lines.append(f"  health checks skipped because the stored secrets could not be decrypted: "
                         f"{self.health_skipped} (nothing changed; see the log for the key to restore)")
        if self.problems:
            lines.append("  problems:")
            lines.extend(f"  - {p}" for p in self.problems)
        else:
            lines.append("  pass completed")
        return "\n".join(lines)
