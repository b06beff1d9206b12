"""The team's connections (status answer, App Home) and the channel announcement, as Block Kit."""

from __future__ import annotations

from datetime import date

from bot.flows.leak_guard import exposure_label
from bot.flows.onboarding.save import ConnectionConnected, exposed_what
from bot.flows.summary import ConnectionSummary
from bot.i18n import User, catalog, t
from bot.views.blocks import Words, context, cut, escape, fields, md, mention, section
from bot.views.credentials import region_label
from bot.views.notices import Blocks, speaks

STATUS_EMOJI = {"connected": ":large_green_circle:", "failing": ":red_circle:", "exposed": ":rotating_light:",
                "disconnected": ":white_circle:"}
MAX_LISTED = 40  # a message holds 50 blocks


def status_label(status: str) -> str:
    key = f"onboarding.status.{status}"
    return t(key) if key in catalog() else status


def status_text(c: ConnectionSummary) -> str:
    """The status, with "exposed" beside it while a secret in use was seen in Slack."""
    label = status_label(c.status)
    if c.exposed:
        label += " · " + t("onboarding.status.exposed_beside", what=exposure_label(c.exposed))
    return label


def connection_line(c: ConnectionSummary, today: date | None = None) -> str:
    emoji = STATUS_EMOJI.get(c.status, ":grey_question:")
    line: str = md(
        "onboarding.status.line",
        emoji=emoji,
        name=c.name,
        status=status_text(c),
        path=md(f"onboarding.path.{c.account_type}"),
        marketplace=c.marketplace_label,
        region=c.region,
        expires=c.secret_expires_on.isoformat(),
    )
    if today is not None:
        days = (c.secret_expires_on - today).days
        line += " " + (md("onboarding.status.expired") if days < 0 else md("onboarding.status.days_left", days=days))
    if c.store_name:
        line += "\n" + md("onboarding.status.store", store=c.store_name)
    if c.last_problem and c.last_problem.kind == "legacy":
        text = str(c.last_problem.params.get("text", ""))
        line += "\n" + md("onboarding.status.last_error", error=cut(escape(text), 500))
    return line


def connections_blocks(summaries: list[ConnectionSummary], today: date | None = None) -> Blocks:
    if not summaries:
        return [section(md("onboarding.status.none"))]
    blocks: Blocks = [section(connection_line(c, today)) for c in summaries[:MAX_LISTED]]
    if len(summaries) > MAX_LISTED:
        blocks.append(context(md("onboarding.status.more", count=len(summaries) - MAX_LISTED)))
    return blocks


def status_message(summaries: list[ConnectionSummary], today: date | None = None) -> tuple[str, Blocks]:
    header = section(md("onboarding.status.header", count=len(summaries)))
    return md("onboarding.status.fallback", count=len(summaries)), [header, *connections_blocks(summaries, today)]


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
        blocks.append(section(words.md("onboarding.announce.still_exposed", name=c.name, what=exposed_what(c.exposed))))
    return text, blocks
