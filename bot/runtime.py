"""What each ``python -m bot`` command does, once its arguments are parsed."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from types import FrameType
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackClientError

from bot.preflight import StartupError, app_token_problem, check_bot_token
from bot.services import Services, build_services
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.flows.ports import Outbox

log = logging.getLogger("bot")


class Shutdown(SystemExit):
    """Raised from the SIGTERM/SIGINT handler so servers unwind cleanly."""


class Sweeper(threading.Thread):
    """Runs one sweep every ``interval`` seconds until stopped."""

    def __init__(self, services: Services, outbox: Outbox, interval: float) -> None:
        super().__init__(name="sweeper", daemon=True)
        self.services = services
        self.outbox = outbox
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        from bot.flows.sweep import run_sweep

        while not self.stopped.wait(self.interval):
            try:
                run_sweep(self.services, self.outbox, now=self.services.clock())
            except Exception:
                log.exception("sweep failed; the next one retries")

    def stop(self) -> None:
        self.stopped.set()


def run_bot(settings: Settings, *, host: str = "0.0.0.0") -> int:  # noqa: S104 - a server listens on all interfaces
    from bot.app import build_app, build_outbox, build_web_client
    from bot.locales import Locales

    # Keys and database first (nothing is posted or changed when a key is missing), then the Slack token.
    services = build_services(settings, check_keys=True)
    if not settings.socket_mode:  # acks over HTTP go first: the work after each waits for the others (bot.after_ack)
        from bot.after_ack import AfterAck

        services.after_ack = AfterAck()
    try:
        check_bot_token(settings)
        client = build_web_client(settings)
        locales = Locales(services.db, client)  # who reads which language: requests and DMs share it
        outbox = build_outbox(services, client, locales)  # the one outbox: listeners and the sweeper
        app = build_app(services, client=client, outbox=outbox, locales=locales)
    except BaseException:
        services.close()
        raise
    from bot.warmup import warm_up

    warm_up()
    # Work after the ack runs in WORKERS worker processes (bot.jobs), which also sweep; with WORKERS=0 the
    # sweep stays in this process (the Sweeper thread) and `python -m bot worker` runs the jobs elsewhere.
    from bot.jobs.health import queue_health
    from bot.jobs.pool import start_workers

    pool = start_workers(settings.workers)
    sweeper = Sweeper(services, outbox, settings.sweep_interval_seconds) if pool is None else None

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s, shutting down", signal.Signals(signum).name)
        stop.set()
        if not settings.socket_mode:
            raise Shutdown(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if sweeper is not None:
        sweeper.start()
    try:
        if settings.socket_mode:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            handler = SocketModeHandler(app, settings.slack_app_token)
            try:
                handler.connect()
            except (SlackClientError, OSError) as exc:
                raise StartupError(app_token_problem(settings, exc)) from None
            log.info("connected to Slack in Socket Mode")
            # The tools' API and /healthz listen on PORT in Socket Mode too (Slack's events come over the socket).
            http = make_http(services, app, host, queue_health, serve_events=False)
            def serve_http() -> None:
                try:
                    http.run()
                except (OSError, ValueError):  # its sockets closed under it by the shutdown below
                    if not stop.is_set():
                        raise

            serving = threading.Thread(target=serve_http, name="http", daemon=True)
            serving.start()
            log.info("listening for the tools' API on http://%s:%s/v1/", host, http.effective_port)
            stop.wait()
            handler.close()
            http.close()
            serving.join(timeout=5)
        else:
            server = make_http(services, app, host, queue_health)
            log.info("listening for Slack on http://%s:%s/slack/events", host, server.effective_port)
            try:
                server.run()
            finally:
                server.close()
    finally:
        if sweeper is not None:
            sweeper.stop()
        if pool is not None:
            pool.stop()
        services.close()
        log.info("stopped")
    return 0


def make_http(services: Services, app: Any, host: str, queue_health: Callable[[Services], Any], *,
              serve_events: bool = True) -> Any:
    """The waitress server on PORT: /healthz, the tools' API (/v1/…, bot.api) and, in HTTP mode, /slack/events."""
    from bot.api.app import wsgi_api
    from bot.server import BotWSGI, make_server

    wsgi = BotWSGI(app, services.db.ping, queue=lambda: queue_health(services), api=wsgi_api(services),
                   serve_events=serve_events, after_ack=services.after_ack)
    return make_server(wsgi, host, services.settings.port, services.settings.http_threads)


def run_sweep_once(settings: Settings, now: datetime | None) -> int:
    from bot.app import build_outbox, build_web_client
    from bot.flows.sweep import run_sweep
    from bot.locales import Locales

    services = build_services(settings, check_keys=True)
    try:
        client = build_web_client(settings)
        outbox = build_outbox(services, client, Locales(services.db, client))
        report = run_sweep(services, outbox, now=now or services.clock())
        print(report.summary())
        return 0 if report.ok else 1
    finally:
        services.close()


def rotate_key(settings: Settings, batch_size: int) -> int:
    """Re-encrypt every secret under the newest key; safe to interrupt and run again."""
    from storage.repo import KeyRotationError, rotate_keys

    services = build_services(settings)

    def progress(total: int) -> None:
        print(f"re-encrypted {total} connection(s) so far", flush=True)

    try:
        rotated = rotate_keys(services.db, services.crypto, batch_size=batch_size, on_batch=progress)
    except KeyRotationError as exc:
        print(f"Key rotation finished with problems: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    print(f"Done: {rotated} connection(s) re-encrypted under key '{services.crypto.newest_kid}'.")
    return 0
