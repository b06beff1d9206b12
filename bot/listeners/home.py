"""App Home: publish the user's checklist progress and the team's connections when the tab opens (in a
worker: the event is acked and queued)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from bot.flows import checklist as checklist_flow
from bot.flows import onboarding as flow
from bot.flows.ports import Outbox
from bot.jobs.slack_work import SlackJob, queue_from_listener, work
from bot.listeners.context import actor_of, after_ack
from bot.services import Services
from bot.slack_errors import slack_error
from bot.views.blocks import Words
from bot.views.home import home_view

log = logging.getLogger(__name__)


def publish_home(services: Services, client: WebClient, team_id: str, user_id: str, words: Words) -> None:
    """Publish ``user_id``'s Home tab in their language (``words``)."""
    with services.db.session() as session:
        state = checklist_flow.load_state(session, team_id, user_id)
        summaries = flow.list_summaries(session, team_id)
    client.views_publish(user_id=user_id, view=home_view(state, summaries, words, services.clock().date()))


def register(app: App, services: Services, outbox: Outbox) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
        """Acked by Bolt before this runs; the publishing is a job (one per ``event_id``)."""
        if event.get("tab", "home") != "home":
            return
        actor = actor_of(context)
        after_ack(services.after_ack, context, body, lambda: queue_from_listener(services, "home", body, actor))


@work("home")
def publish(services: Services, job: SlackJob) -> None:
    """``views.publish`` replaces the whole tab: a rerun publishes the same view again, harmlessly."""
    actor = job.actor
    try:
        publish_home(services, job.client, actor.team_id, actor.user_id, actor.words)
    except SlackClientError as exc:
        log.warning("could not publish the Home tab for %s: %s", actor.user_id, slack_error(exc))
