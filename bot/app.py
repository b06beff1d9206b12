"""Builds the Bolt App: one Web API client pointed at SLACK_API_URL, listeners registered."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.services import Services
from bot.settings import Settings


def build_web_client(settings: Settings) -> WebClient:
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
        logger=logging.getLogger("slack_sdk.web"),
    )


def build_app(services: Services, *, client: WebClient | None = None) -> App:
    settings = services.settings
    app = App(
        client=client or build_web_client(settings),
        signing_secret=settings.slack_signing_secret or None,
        # Socket Mode envelopes are not signed; HTTP requests always are.
        request_verification_enabled=not settings.socket_mode,
        process_before_response=False,
        listener_executor=ThreadPoolExecutor(
            max_workers=settings.listener_threads, thread_name_prefix="listener"
        ),
        logger=logging.getLogger("slack_bolt.App"),
    )
    from bot.listeners import register

    register(app, services)
    return app
