"""Block Kit for ``/connect-amazon audit [NAME]``: the audit trail, newest first, as an ephemeral message.

Pure functions of plain rows. Audit details never hold a secret (storage redacts them when they
are written); names and details are still escaped for mrkdwn and redacted once more here.
"""

from __future__ import annotations

from bot.flows.audit import AuditRow
from bot.i18n import Message, catalog
from bot.redaction import redact
from bot.views import blocks as kit
from bot.views.blocks import Markup, Words, context, header, mention, section
from bot.views.notices import Blocks

__all__ = ["AuditRow", "audit_line", "audit_trail", "refusal"]

SECTION_LIMIT = kit.SECTION_LIMIT - 100  # a chunk of lines, with room below Slack's limit for a section's text
MAX_BLOCKS = 45  # Slack allows 50 blocks in a message
DETAIL_LIMIT = 300  # characters of a detail shown on its line


def _redacted(text: str) -> Markup:
    """Plain text redacted, then escaped for mrkdwn by the one escaping path (``bot.views.blocks.escape``)."""
    return kit.escape(redact(text))


def _action_label(action: str, words: Words) -> str:
    key = f"guard.audit.action.{action}"
    return words.md(key) if key in catalog() else _redacted(action.replace("_", " "))


def _actor(actor: str, words: Words) -> str:
    if actor and actor[0] in "UW" and actor.isalnum():
        return mention(actor)
    return words.md("guard.audit.by_system") if actor in ("", "system") else _redacted(actor)


def _detail(detail: Message | str, words: Words) -> str:
    """A stored meaning in the reader's words (its parameters escaped by ``Words``), or an earlier
    version's sentence as it was stored; redacted once more either way."""
    if isinstance(detail, Message):
        try:
            return kit.cut(redact(words.render(detail)), DETAIL_LIMIT)
        except (KeyError, IndexError, ValueError):  # a key or placeholder a later version no longer has
            return _redacted(detail.key)
    return _redacted(detail[:DETAIL_LIMIT])


def audit_line(row: AuditRow, words: Words) -> str:
    parts = [f"`{words.datetime(row.when)}`"]
    if row.connection_name:
        parts.append(f"*{_redacted(row.connection_name[:80])}*")
    parts.append(_action_label(row.action, words))
    parts.append(_actor(row.actor, words))
    line = " \u00b7 ".join(parts)
    if row.detail:
        line += f"\n      _{_detail(row.detail, words)}_"
    return line


def audit_trail(rows: list[AuditRow], name: str | None, words: Words, *, truncated: bool) -> tuple[str, Blocks]:
    """The trail (newest first) of one connection, or of every connection of the workspace."""
    shown_name = _redacted(name[:80]) if name else None
    if not rows:
        text = (words.md("guard.audit.empty_one", name=kit.bold(shown_name)) if shown_name
                else words.md("guard.audit.empty_all"))
        return text, [section(text)]
    title = words.md("guard.audit.title_one", name=shown_name) if shown_name else words.md("guard.audit.title_all")
    blocks: Blocks = [header(title)]
    chunk: list[str] = []
    size = 0
    for row in rows:
        line = audit_line(row, words)[:SECTION_LIMIT]
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
        blocks.append(context(words.md("guard.audit.more", shown=len(rows))))
    return title, blocks


def refusal(message: Message, words: Words) -> str:
    return words.render(message)
