"""Block Kit for the leak guard: the private warning to a poster and the team-channel alert.

Pure functions of plain values; neither ever contains a secret, masked or not.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.views.blocks import Markup, bold, button, channel_link, context, md, mention, section
from bot.views.notices import Blocks, renders

ROTATE_NOW_ACTION = "rotate_now"  # handled by the lifecycle listeners; value = connection id
REAUTHORIZE_NOW_ACTION = "reauthorize_now"  # likewise, for a leaked refresh token


def _label(kind: str) -> Markup:
    return md(f"guard.leak.kind.{kind}")


def _joined(items: list[Markup]) -> Markup:
    if len(items) <= 1:
        return Markup("".join(items))
    return Markup(", ".join(items[:-1]) + md("guard.leak.and") + items[-1])


def warning_message(kinds: tuple[str, ...], connection_names: tuple[str, ...], *, edited: bool) -> tuple[str, Blocks]:
    """The ephemeral warning to whoever posted a secret: delete it, treat it as exposed, use the command."""
    what = _joined([_label(k) for k in kinds]) or _label("client_secret")
    headline = md("guard.leak.warning.edited" if edited else "guard.leak.warning.headline", what=what)
    steps = "\n".join(
        [
            md("guard.leak.warning.delete"),
            md("guard.leak.warning.rotate", what=what),
            md("guard.leak.warning.next_time"),
        ]
    )
    blocks: Blocks = [section(f":warning: *{headline}*"), section(steps)]
    if connection_names:
        names = _joined([bold(n) for n in connection_names])
        blocks.append(context(md("guard.leak.warning.matched", names=names)))
    text = f"{headline} {md('guard.leak.warning.delete')}"
    return text[:3000], blocks


@renders("connection_exposed")
def exposed_alert(data: dict[str, Any]) -> tuple[str, Blocks]:
    """Team-channel alert: a connection's secret was seen in a message. Names the connection, never the secret."""
    name = str(data.get("name") or "")
    secret = str(data.get("secret") or "client_secret")
    what = _label(secret)
    where = channel_link(data["channel_id"]) if data.get("channel_id") else md("guard.leak.alert.somewhere")
    who = mention(data["user_id"]) if data.get("user_id") else md("guard.leak.alert.an_app")
    headline = md("guard.leak.alert.headline", name=name, label=md(f"guard.leak.label.{secret}"))
    body = md("guard.leak.alert.body", what=what, where=where, who=who)
    value = str(data.get("connection_id", ""))
    buttons: Blocks = [button(t("guard.leak.alert.rotate_button"), ROTATE_NOW_ACTION, value, "danger")]
    if secret == "refresh_token":
        body = Markup(body + " " + md("guard.leak.alert.refresh_token_hint"))
        buttons.append(button(t("guard.leak.alert.reauthorize_button"), REAUTHORIZE_NOW_ACTION, value))
    blocks: Blocks = [
        section(f":rotating_light: *{headline}*"),
        section(body),
        {"type": "actions", "block_id": "exposed_actions", "elements": buttons},
    ]
    return headline[:3000], blocks
