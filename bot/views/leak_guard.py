"""Block Kit for the leak guard: the private warning to a poster and the team-channel alert.

Pure functions of the flow's facts and the reader's ``Words``; neither ever contains a secret, masked or not.
"""

from __future__ import annotations

from bot.flows.leak_guard import ConnectionExposed, LeakWarning, Secret, exposure_kinds, secret_label
from bot.i18n import Channel, Message, User
from bot.views.blocks import Markup, Words, button, context, section
from bot.views.notices import Blocks, speaks

ROTATE_NOW_ACTION = "rotate_now"  # handled by the lifecycle listeners; value = connection id
REAUTHORIZE_NOW_ACTION = "reauthorize_now"  # likewise, for a leaked refresh token


def warning_message(warning: LeakWarning, words: Words) -> tuple[str, Blocks]:
    """The ephemeral warning to whoever posted a secret: delete it, treat it as exposed, use the command."""
    headline = words.render(warning.headline)
    steps = "\n".join(words.render(step) for step in warning.steps)
    blocks: Blocks = [section(f":warning: *{headline}*"), section(steps)]
    if warning.matched is not None:
        blocks.append(context(words.render(warning.matched)))
    text = f"{headline} {words.md('guard.leak.warning.delete')}"
    return text[:3000], blocks


@speaks(ConnectionExposed)
def exposed_alert(payload: ConnectionExposed, words: Words) -> tuple[str, Blocks]:
    """Team-channel alert: a connection's secret was seen in a message. Names the connection, never the secret."""
    secret = Secret(payload.secret)
    where: Channel | Message = (
        Channel(payload.channel_id) if payload.channel_id else Message("guard.leak.alert.somewhere")
    )
    who: User | Message = User(payload.user_id) if payload.user_id else Message("guard.leak.alert.an_app")
    headline = words.md("guard.leak.alert.headline", name=payload.name, label=secret_label(secret))
    body = words.md("guard.leak.alert.body", what=exposure_kinds((secret,)), where=where, who=who)
    value = str(payload.connection_id)
    buttons: Blocks = [button(words.text("guard.leak.alert.rotate_button"), ROTATE_NOW_ACTION, value, "danger")]
    if secret == Secret.refresh_token:
        body = Markup(body + " " + words.md("guard.leak.alert.refresh_token_hint"))
        buttons.append(button(words.text("guard.leak.alert.reauthorize_button"), REAUTHORIZE_NOW_ACTION, value))
    blocks: Blocks = [
        section(f":rotating_light: *{headline}*"),
        section(body),
        {"type": "actions", "block_id": "exposed_actions", "elements": buttons},
    ]
    return headline[:3000], blocks
