"""The Slack side of ``bot.flows.ports.Outbox``: renders a Notice in its reader's language and posts it.

A channel post has many readers, so it speaks the team's language (TEAM_LANGUAGE); a DM speaks its
reader's (``locale_of(user_id)``, the person's choice or Slack locale)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.ports import Audience, Delivery, DeliveryError, Notice
from bot.i18n import DEFAULT_LOCALE
from bot.slack_errors import slack_error
from bot.views.blocks import Words
from bot.views.notices import render

log = logging.getLogger(__name__)


class SlackOutbox:
    def __init__(self, client: WebClient, notify_channel: str, *, team_locale: str = DEFAULT_LOCALE,
                 locale_of: Callable[[str], str] | None = None) -> None:
        self.client = client
        self.notify_channel = notify_channel
        self.team_locale = team_locale
        self.locale_of = locale_of

    def words_for(self, notice: Notice) -> Words:
        if notice.audience is Audience.CHANNEL or not notice.user_id or self.locale_of is None:
            return Words(self.team_locale if notice.audience is Audience.CHANNEL else DEFAULT_LOCALE)
        return Words(self.locale_of(notice.user_id))

    def send(self, notice: Notice) -> Delivery:
        text, blocks = render(notice, self.words_for(notice))
        try:
            if notice.audience is Audience.CHANNEL:
                channel = self.notify_channel
            else:
                if not notice.user_id:
                    raise DeliveryError(f"notice {notice.kind} has no user to message")
                opened = self.client.conversations_open(users=notice.user_id)
                channel = opened["channel"]["id"]
            resp = self.client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
            return Delivery(channel=resp["channel"], ts=resp["ts"])
        except SlackApiError as exc:
            error = slack_error(exc)
            log.warning("could not deliver %s notice: Slack answered %s", notice.kind, error)
            raise DeliveryError(f"Slack answered {error}") from None
        except SlackClientError as exc:
            log.warning("could not deliver %s notice: %s", notice.kind, type(exc).__name__)
            raise DeliveryError(type(exc).__name__) from None
