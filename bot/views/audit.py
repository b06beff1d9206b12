"""Block Kit for ``/connect-amazon audit [NAME]``: the audit trail, newest first, as an ephemeral message.

Pure functions of plain rows. Audit details never hold a secret (storage redacts them when they
are written); names and details are still escaped for mrkdwn and redacted once more here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from bot.i18n import catalog
from bot.redaction import redact
from bot.views import blocks as kit
from bot.views.blocks import Markup, bold, context, header, md, mention, section
from bot.views.notices import Blocks

SECTION_LIMIT = kit.SECTION_LIMIT - 100  # a chunk of lines, with room below Slack's limit for a section's text
MAX_BLOCKS = 45  # Slack allows 50 blocks in a message


@dataclass(frozen=True)
class AuditRow:
    when: datetime
    actor: str  # a Slack user id or "system"
    action: str
    connection_name: str | None
    detail: str | None


def _redacted(text: str) -> Markup:
    """Plain text redacted, then escaped for mrkdwn by the one escaping path (``bot.views.blocks.escape``)."""
    return kit.escape(redact(text))


def _action_label(action: str) -> str:
    key = f"guard.audit.action.{action}"
    return md(key) if key in catalog() else _redacted(action.replace("_", " "))


def _actor(actor: str) -> str:
    if actor and actor[0] in "UW" and actor.isalnum():
        return mention(actor)
    return md("guard.audit.by_system") if actor in ("", "system") else _redacted(actor)


def audit_line(row: AuditRow) -> str:
    when = row.when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"`{when}`"]
    if row.connection_name:
        parts.append(f"*{_redacted(row.connection_name[:80])}*")
    parts.append(_action_label(row.action))
    parts.append(_actor(row.actor))
    line = " \u00b7 ".join(parts)
    if row.detail:
        line += f"\n      _{_redacted(row.detail[:300])}_"
    return line


def audit_trail(rows: list[AuditRow], name: str | None, *, truncated: bool) -> tuple[str, Blocks]:
    """The trail (newest first) of one connection, or of every connection of the workspace."""
    shown_name = _redacted(name[:80]) if name else None
    if not rows:
        text = md("guard.audit.empty_one", name=bold(shown_name)) if shown_name else md("guard.audit.empty_all")
        return text, [section(text)]
    title = md("guard.audit.title_one", name=shown_name) if shown_name else md("guard.audit.title_all")
    blocks: Blocks = [header(title)]
    chunk: list[str] = []
    size = 0
    for row in rows:
        line = audit_line(row)[:SECTION_LIMIT]
        if chunk and size + len(line) + 1 > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
            if len(blocks) >= MAX_BLOCKS:
                truncated = True
                break
        chunk.append(line)
        size += len(line) + 1
    else:
        if chunk:
            blocks.append(section("\n".join(chunk)))
    if truncated:
        blocks.append(context(md("guard.audit.more", shown=len(rows))))
    return title, blocks


def refusal(key: str, **values: str) -> str:
    return md(key, **values)
