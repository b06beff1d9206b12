"""App Home: publish the user's checklist progress and the team's connections when the tab opens."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.flows import checklist as checklist_flow
from bot.flows import onboarding as flow
from bot.services import Services
from bot.views.home import home_view

log = logging.getLogger(__name__)


def publish_home(services: Services, client: WebClient, team_id: str, user_id: str) -> None:
    with services.db.session() as session:
        state = checklist_flow.load_state(session, team_id, user_id)
        summaries = flow.list_summaries(session, team_id)
    client.views_publish(user_id=user_id, view=home_view(state, summaries, services.clock().date()))


def register(app: App, services: Services) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user_id = str(event.get("user") or "")
        team_id = str(body.get("team_id") or "")
        try:
            publish_home(services, client, team_id, user_id)
        except (SlackApiError, SlackClientError) as exc:
            error = exc.response.get("error") if isinstance(exc, SlackApiError) and exc.response is not None else None
            log.warning("could not publish the Home tab for %s: %s", user_id, error or type(exc).__name__)
        except Exception:
            log.exception("publishing the Home tab failed")
