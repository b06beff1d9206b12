"""Builds the Bolt App: one Web API client pointed at SLACK_API_URL, listeners registered."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.locales import Locales
from bot.outbox import SlackOutbox
from bot.server import payload_problem
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)


def ignore_malformed(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:  # noqa: A002
    """Socket Mode: acknowledge, and otherwise ignore, a payload not shaped like Slack's (the HTTP edge
    answers those 400 before Bolt sees them; see bot/server.py)."""
    problem = payload_problem(body)
    if problem is not None:
        log.info("ignored a Socket Mode payload: %s", problem)
        return BoltResponse(status=200, body="")
    return next()


def build_web_client(settings: Settings, *, logger: logging.Logger | None = None) -> WebClient:
    """A WebClient that honours SLACK_API_URL and retries 429s, 5xx and dropped connections."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=10,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
        logger=logger or WEB_API_LOGGER,
    )


class _TokenFromEnvironmentWarning(logging.Filter):
    """Drops Bolt's "As you gave `client` as well, `token` will be unused." at start.

    Bolt's App reads SLACK_BOT_TOKEN from the process environment whenever no ``token`` argument is
    given, and warns that it ignores it when a ``client`` is given too. The client is how the bot sets
    SLACK_API_URL, the timeout and the retry handlers, and it carries that same token: there is nothing
    for the operator to fix, and no argument that stops Bolt reading the environment.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != warning_client_prioritized_and_token_skipped()


class _OnlyWarnings(logging.Filter):
    """Bolt's App logger at DEBUG prints every payload whole (response_url, what people typed in a modal);
    bot.logs keeps ``slack_bolt`` at WARNING, but each ``App()`` built without a logger (Bolt's
    ``get_bolt_logger``) copies the root logger's level onto ``slack_bolt.App`` itself, so LOG_LEVEL=DEBUG
    would let it through. The level cannot be trusted; this filter can."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


BOLT_LOGGER = logging.getLogger("slack_bolt.App")
BOLT_LOGGER.addFilter(_TokenFromEnvironmentWarning())
BOLT_LOGGER.addFilter(_OnlyWarnings())
WEB_API_LOGGER = logging.getLogger("slack_sdk.web")
# Bolt and slack_sdk test the logger's *own* level (``logger.level <= logging.DEBUG``), not the effective one,
# before they build a DEBUG message: a NOTSET logger (level 0) made them format every request's body and
# every Web API call's arguments and answer (a whole modal, twice) only for the message to be dropped.
for _quiet in (BOLT_LOGGER, WEB_API_LOGGER):
    _quiet.setLevel(logging.WARNING)


def build_outbox(services: Services, client: WebClient, locales: Locales) -> SlackOutbox:
    """The outbox: channel posts in TEAM_LANGUAGE, each DM in its reader's language (``locales``)."""
    return SlackOutbox(client, services.settings.notify_channel, team_locale=services.settings.team_language,
                       locale_of=locales.locale_of)


def build_app(services: Services, *, client: WebClient | None = None, outbox: SlackOutbox | None = None,
              locales: Locales | None = None) -> App:
    """The Bolt App. ``outbox`` is the one SlackOutbox every listener posts notices through, ``locales`` the
    one record of who reads which language (both built here on the app's client when not given)."""
    settings = services.settings
    app = App(
        client=client or build_web_client(settings),
        signing_secret=settings.slack_signing_secret or None,
        # Socket Mode envelopes are not signed; HTTP requests always are.
        request_verification_enabled=not settings.socket_mode,
        # Over HTTP every listener acks and hands the rest to AfterAck (bot.after_ack), so it returns right
        # after its ack: Bolt runs it in the HTTP thread and answers when it returns, without the hand-over to
        # the listener pool and the HTTP thread's 10 ms polling for the ack. In Socket Mode (AfterAck inline)
        # the work runs after the ack in the listener's thread, and the ack must not wait for it.
        process_before_response=services.after_ack.holds,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="listener"
        ),
        logger=BOLT_LOGGER,
    )
    from bot import response_url
    from bot.listeners import context, register

    if settings.socket_mode:
        app.use(ignore_malformed)
    response_url.install(app, settings.slack_api_url)  # before any listener: every respond() is guarded
    locales = locales or Locales(services.db, app.client)
    context.install(app, settings.admin_user_ids, locales)  # context["actor"] on every request; the @app.error
    register(app, services, outbox or build_outbox(services, app.client, locales))
    return app
