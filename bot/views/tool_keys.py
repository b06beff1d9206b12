"""Block Kit for ``/connect-amazon keys …``: the new key (shown once, ephemerally, to its creator), the list
of live keys (prefix only) and the one-sentence answers. Pure functions of the flow's results."""

from __future__ import annotations

from bot.flows.tool_keys import CreatedKey, KeyRow
from bot.i18n import Message
from bot.redaction import redact
from bot.views import blocks as kit
from bot.views.blocks import Markup, Words, context, header, mention, section
from bot.views.notices import Blocks

__all__ = ["created_key", "key_list", "keys_sentence"]

MAX_ROWS = 40


def _names(names: tuple[str, ...], words: Words) -> str:
    return words.listing(kit.bold(redact(n[:80])) for n in names)


def _scope(all_connections: bool, names: tuple[str, ...], words: Words) -> str:
    return words.md("guard.keys.scope.all") if all_connections else _names(names, words)


def _kind(export: bool, words: Words) -> str:
    return words.md("guard.keys.kind.export" if export else "guard.keys.kind.token")


def created_key(created: CreatedKey, words: Words) -> tuple[str, Blocks]:
    """The new key with what it reaches and how a tool uses it. Sent only as an ephemeral answer."""
    code = Markup(f"`{kit.escape(created.text)}`")
    example = created.connections[0] if created.connections else "NAME"
    blocks: Blocks = [
        header(words.text("guard.keys.created.title", tool=created.tool)),
        section(code),
        section(words.md("guard.keys.created.scope", scope=Markup(_scope(created.all_connections, created.connections,
                                                                      words)),
                         kind=Markup(_kind(created.export, words)))),
        section(words.md("guard.keys.created.usage", path=Markup(
            f"`POST /v1/connections/{kit.escape(redact(example[:80]))}/access-token`"))),
        context(words.md("guard.keys.created.once")),
    ]
    return words.text("guard.keys.created.fallback", tool=created.tool), blocks


def key_list(rows: tuple[KeyRow, ...], words: Words) -> tuple[str, Blocks]:
    if not rows:
        text = words.md("guard.keys.list.empty")
        return text, [section(text)]
    blocks: Blocks = [header(words.text("guard.keys.list.title"))]
    for row in rows[:MAX_ROWS]:
        used = words.datetime(row.last_used_at) if row.last_used_at else words.text("guard.keys.list.never_used")
        blocks.append(section(words.md(
            "guard.keys.list.row", tool=kit.bold(row.tool), prefix=Markup(f"`{kit.escape(row.prefix)}…`"),
            scope=Markup(_scope(row.all_connections, row.connections, words)), kind=Markup(_kind(row.export, words)),
            creator=mention(row.created_by), created=row.created_at, used=used)))
    if len(rows) > MAX_ROWS:
        blocks.append(context(words.md("guard.keys.list.more", shown=MAX_ROWS, total=len(rows))))
    return words.text("guard.keys.list.title"), blocks


def keys_sentence(message: Message, words: Words) -> tuple[str, Blocks]:
    text = words.render(message)
    return text, [section(text)]
