"""The Slack side of ``bot.flows.ports.Outbox``: renders a Notice and posts it."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows.ports import Audience, Delivery, DeliveryError, Notice
from bot.slack_errors import slack_error
from bot.views.notices import render

log = logging.getLogger(__name__)


class SlackOutbox:
    def __init__(self, client: WebClient, notify_channel: str) -> None:
        self.client = client
        self.notify_channel = notify_channel

    def send(self, notice: Notice) -> Delivery:
        text, blocks = render(notice)
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
