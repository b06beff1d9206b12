"""A bare Bolt app that only acknowledges: the baseline for the ack-latency ratio.

It is served exactly like the bot (bot/server.py: Bolt's WSGI adapter behind ``BotWSGI``, waitress with
HTTP_THREADS threads) and built with the bot's ``App`` options (Web API client pointed at SLACK_API_URL,
signing secret, a listener thread pool of LISTENER_THREADS) but one: Bolt's own default
``process_before_response=False`` (the listener runs in the listener pool while the HTTP thread polls for
its ack every 10 ms), the bare Bolt app the issue 14 targets were set against. ``--process-before-response``
runs it the way the bot runs over HTTP (bot.app.build_app: the listener in the HTTP thread, the answer when
it returns), which leaves only the bot's own code between the two. What it lacks is everything of ours:
listeners that ack with a plain ``ack()`` and do nothing else, no lazy work, no database, no logging set-up.

Run: ``python -m bench.bare_bolt [--process-before-response]`` with the bot's environment (PORT, SLACK_*, ...).
"""

from __future__ import annotations

import logging
import re
import signal
import sys
from concurrent.futures import ThreadPoolExecutor
from types import FrameType
from typing import Any

from slack_bolt import Ack, App

from bot.app import build_web_client
from bot.server import BotWSGI, make_server
from bot.settings import load_settings

ANY = re.compile(".*")


def build_bare_app(*, process_before_response: bool = False) -> tuple[App, Any]:
    settings = load_settings()
    app = App(
        client=build_web_client(settings),
        signing_secret=settings.slack_signing_secret,
        request_verification_enabled=True,
        process_before_response=process_before_response,
        listener_executor=ThreadPoolExecutor(max_workers=settings.listener_threads, thread_name_prefix="listener"),
        logger=logging.getLogger("slack_bolt.App"),
    )

    @app.command(ANY)
    def on_command(ack: Ack) -> None:
        ack()

    @app.action(ANY)
    def on_action(ack: Ack) -> None:
        ack()

    @app.view(ANY)
    def on_view(ack: Ack) -> None:
        ack()

    server = make_server(BotWSGI(app, lambda: True), "127.0.0.1", settings.port, settings.http_threads)
    return app, server


def main() -> int:
    logging.basicConfig(level=logging.WARNING)
    _, server = build_bare_app(process_before_response="--process-before-response" in sys.argv[1:])

    def on_signal(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        server.run()
    finally:
        server.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
