"""HTTP mode: POST /slack/events (Bolt, signature verified) and GET /healthz, served by waitress.

Bolt's own ``app.start()`` is a single-threaded development server; production traffic goes
through waitress, a multi-threaded WSGI server, in front of Bolt's WSGI adapter.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (big views) are far below this.

StartResponse = Callable[..., Any]


def _plain(start_response: StartResponse, status: str, body: str, content_type: str = "text/plain") -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class BotWSGI:
    """Routes the two paths; anything else is 404. Never lets a traceback reach a response."""

    def __init__(self, app: App, ping: Callable[[], bool], max_body: int = MAX_BODY_BYTES) -> None:
        self.slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self.ping = ping
        self.max_body = max_body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == HEALTH_PATH and method in ("GET", "HEAD"):
                ok = self.ping()
                body = json.dumps({"ok": ok, "database": "up" if ok else "down"})
                return _plain(start_response, "200 OK" if ok else "503 Service Unavailable", body, "application/json")
            if path == EVENTS_PATH:
                if method != "POST":
                    return _plain(start_response, "405 Method Not Allowed", "POST only")
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    return _plain(start_response, "400 Bad Request", "bad Content-Length")
                if length > self.max_body:
                    return _plain(start_response, "413 Payload Too Large", "request body too large")
                return self.slack(environ, start_response)
            return _plain(start_response, "404 Not Found", "not found")
        except Exception:
            log.exception("request to %s failed", path)
            return _plain(start_response, "500 Internal Server Error", "internal error")


def make_server(wsgi: BotWSGI, host: str, port: int, threads: int) -> Any:
    """A waitress server bound now; call ``.run()`` to serve and ``.close()`` to stop."""
    return create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        ident="",
        max_request_body_size=wsgi.max_body,
        connection_limit=1000,
        channel_timeout=30,
    )
