"""The team's connections (status answer, App Home) and the channel announcement, as Block Kit, in the
reader's language (every function takes the reader's ``Words``)."""

from __future__ import annotations

from datetime import date

from bot.flows.leak_guard import exposure_label
from bot.flows.onboarding.save import ConnectionConnected
from bot.flows.summary import ConnectionSummary
from bot.i18n import Items, Marketplace, Message, Strong, User, catalog
from bot.views.blocks import Markup, Words, context, escape, fields, mention, section
from bot.views.credentials import region_label
from bot.views.health import problem_words
from bot.views.notices import Blocks, speaks

STATUS_EMOJI = {"connected": ":large_green_circle:", "failing": ":red_circle:", "exposed": ":rotating_light:",
                "disconnected": ":white_circle:"}
MAX_LISTED = 40  # a message holds 50 blocks


def status_label(status: str, words: Words) -> str:
    key = f"onboarding.status.{status}"
    return words.text(key) if key in catalog() else status


def status_text(c: ConnectionSummary, words: Words) -> Markup:
    """The status, with "exposed" beside it while a secret in use was seen in Slack."""
    label = escape(status_label(c.status, words))
    if c.exposed:
        return Markup(label + " · " + words.md("onboarding.status.exposed_beside", what=exposure_label(c.exposed)))
    return label


def connection_line(c: ConnectionSummary, words: Words, today: date | None = None) -> str:
    emoji = STATUS_EMOJI.get(c.status, ":grey_question:")
    line: str = words.md(
        "onboarding.status.line",
        emoji=Markup(emoji),
        name=c.name,
        status=status_text(c, words),
        path=Message(f"onboarding.path.{c.account_type}"),
        marketplace=Marketplace(c.marketplace_id),
        region=c.region,
        expires=c.secret_expires_on,
    )
    if today is not None:
        days = (c.secret_expires_on - today).days
        line += " " + (words.md("onboarding.status.expired") if days < 0
                       else words.md("onboarding.status.days_left", days=days))
    if c.autorotate:
        line += "\n" + words.md("lifecycle.autorotate.status.on")
    if c.store_name:
        line += "\n" + words.md("onboarding.status.store", store=c.store_name)
    cause, next_step = problem_words(c.last_problem, words)
    if cause:
        line += "\n" + words.md("onboarding.status.last_problem", cause=cause, next_step=next_step).strip()
    if c.tools:  # the tools' API keys that may use it (issue 15)
        line += "\n" + words.md("guard.keys.status.tools", tools=Items(tuple(Strong(t) for t in c.tools)))
    return line


def connections_blocks(summaries: list[ConnectionSummary], words: Words, today: date | None = None) -> Blocks:
    if not summaries:
        return [section(words.md("onboarding.status.none"))]
    blocks: Blocks = [section(connection_line(c, words, today)) for c in summaries[:MAX_LISTED]]
    if len(summaries) > MAX_LISTED:
        blocks.append(context(words.md("onboarding.status.more", count=len(summaries) - MAX_LISTED)))
    return blocks


def status_message(summaries: list[ConnectionSummary], words: Words, today: date | None = None) -> tuple[str, Blocks]:
    header = section(words.md("onboarding.status.header", count=len(summaries)))
    return (words.md("onboarding.status.fallback", count=len(summaries)),
            [header, *connections_blocks(summaries, words, today)])


@speaks(ConnectionConnected)
def connected_announcement(payload: ConnectionConnected, words: Words) -> tuple[str, Blocks]:
    """The team-channel post after a connection is saved; it never holds a secret."""
    c, who = payload.summary, payload.actor or payload.summary.created_by
    key = "onboarding.announce.reconnected" if payload.replaced else "onboarding.announce.connected"
    text = words.md(key, name=c.name, user=User(who))
    verified = escape(words.datetime(c.last_verified_at)) if c.last_verified_at else "-"
    pairs = [
        (words.md("onboarding.field.account_type"), words.md(f"onboarding.path.{c.account_type}")),
        (words.md("onboarding.field.marketplace"), escape(words.marketplace(c.marketplace_id))),
        (words.md("onboarding.field.region"), escape(region_label(words, c.region))),
        (words.md("onboarding.field.connected_by"), mention(who)),
        (words.md("onboarding.field.verified"), verified),
        (words.md("onboarding.field.expires"), escape(words.date(c.secret_expires_on))),
    ]
    if c.store_name:
        pairs.append((words.md("onboarding.field.store"), escape(c.store_name)))
    blocks: Blocks = [section(text), fields(pairs)]
    if c.exposed:  # reconnected with the value that was seen in Slack: still exposed
        blocks.append(section(words.md("onboarding.announce.still_exposed", name=c.name,
                                       what=exposure_label(c.exposed))))
    return text, blocks
