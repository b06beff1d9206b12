"""Block Kit for the leak guard: the private warning to a poster and the team-channel alert.

Pure functions of plain values; neither ever contains a secret, masked or not.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import t
from bot.views.notices import renders

Blocks = list[dict[str, Any]]

ROTATE_NOW_ACTION = "rotate_now"  # handled by the lifecycle listeners; value = connection id
REAUTHORIZE_NOW_ACTION = "reauthorize_now"  # likewise, for a leaked refresh token


def _label(kind: str) -> str:
    return t(f"guard.leak.kind.{kind}")


def _joined(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + t("guard.leak.and") + items[-1]


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def warning_message(kinds: tuple[str, ...], connection_names: tuple[str, ...], *, edited: bool) -> tuple[str, Blocks]:
    """The ephemeral warning to whoever posted a secret: delete it, treat it as exposed, use the command."""
    what = _joined([_label(k) for k in kinds]) or _label("client_secret")
    headline = t("guard.leak.warning.edited" if edited else "guard.leak.warning.headline", what=what)
    steps = "\n".join(
        [
            t("guard.leak.warning.delete"),
            t("guard.leak.warning.rotate", what=what),
            t("guard.leak.warning.next_time"),
        ]
    )
    blocks: Blocks = [_section(f":warning: *{headline}*"), _section(steps)]
    if connection_names:
        names = _joined([f"*{n}*" for n in connection_names])
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": t("guard.leak.warning.matched", names=names)[:2000]}
        ]})
    text = f"{headline} {t('guard.leak.warning.delete')}"
    return text[:3000], blocks


@renders("connection_exposed")
def exposed_alert(data: dict[str, Any]) -> tuple[str, Blocks]:
    """Team-channel alert: a connection's secret was seen in a message. Names the connection, never the secret."""
    name = str(data.get("name") or "")
    what = _label(str(data.get("secret") or "client_secret"))
    where = f"<#{data['channel_id']}>" if data.get("channel_id") else t("guard.leak.alert.somewhere")
    who = f"<@{data['user_id']}>" if data.get("user_id") else t("guard.leak.alert.an_app")
    headline = t("guard.leak.alert.headline", name=name, what=what)
    body = t("guard.leak.alert.body", what=what, where=where, who=who)
    buttons: Blocks = [
        {
            "type": "button",
            "action_id": ROTATE_NOW_ACTION,
            "style": "danger",
            "text": {"type": "plain_text", "text": t("guard.leak.alert.rotate_button"), "emoji": True},
            "value": str(data.get("connection_id", "")),
        }
    ]
    if data.get("secret") == "refresh_token":
        body += " " + t("guard.leak.alert.refresh_token_hint", name=name)
        buttons.append(
            {
                "type": "button",
                "action_id": REAUTHORIZE_NOW_ACTION,
                "text": {"type": "plain_text", "text": t("guard.leak.alert.reauthorize_button"), "emoji": True},
                "value": str(data.get("connection_id", "")),
            }
        )
    blocks: Blocks = [
        _section(f":rotating_light: *{headline}*"),
        _section(body),
        {"type": "actions", "block_id": "exposed_actions", "elements": buttons},
    ]
    return headline[:3000], blocks
