"""HTTP mode: POST /slack/events (Bolt, signature verified) and GET /healthz, served by waitress.

Bolt's own ``app.start()`` is a single-threaded development server; production traffic goes
through waitress, a multi-threaded WSGI server, in front of Bolt's WSGI adapter.

Before a request reaches Bolt, :class:`BotWSGI` reads the body itself (at most ``max_body``
bytes, with or without Content-Length, chunked or not) and checks that it has the shape Slack
sends (:func:`malformed_reason`): a form or JSON body in UTF-8, a numeric signature timestamp,
JSON objects where Bolt expects objects. Anything else gets a 4xx with a one-line reason and is
never parsed by Bolt, whose parsers would otherwise raise and answer 500.
"""

from __future__ import annotations

import io
import json
import logging
import re
import select
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

import slack_bolt.request.request as bolt_request_module
from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body as _bolt_parse_body
from waitress.server import create_server

from bot.after_ack import AfterAck

if TYPE_CHECKING:
    from bot.jobs.health import QueueHealth

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
API_PREFIX = "/v1/"  # the tools' HTTP API (bot.api), a WSGI app handed every path under it
MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (big views) are far below this.
FORM_TYPE = "application/x-www-form-urlencoded"
JSON_TYPE = "application/json"
_READ_CHUNK = 64 * 1024
# Slack's X-Slack-Request-Timestamp is Unix seconds: ASCII digits only (``str.isdigit`` also accepts "²" or
# "١٢٣", which Bolt's ``int()`` then rejects), and short (a 400-digit number overflows the float Bolt compares
# it with). Twelve digits are good until the year 33658.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")

# Keys Bolt reads as JSON objects (``body["team"].get(...)`` and the like) wherever they appear.
_OBJECT_KEYS = ("team", "user", "view", "event", "message", "previous_message", "item", "container",
                "channel", "enterprise", "assistant_thread", "function_data", "workflow_step", "state")
_STRING_KEYS = ("type", "callback_id", "response_url", "trigger_id", "token", "team_id", "user_id",
                "channel_id", "api_app_id", "event_id", "id", "subtype")

StartResponse = Callable[..., Any]


def _plain(start_response: StartResponse, status: str, body: str, content_type: str = "text/plain") -> list[bytes]:
    data = body.encode()
    start_response(status, [("Content-Type", f"{content_type}; charset=utf-8"), ("Content-Length", str(len(data)))])
    return [data]


class BadRequest(Exception):
    """A request that is not shaped like anything Slack sends; ``str()`` is a safe one-line reason."""

    def __init__(self, status: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def _check_object(value: Any, where: str, depth: int = 0) -> None:
    """Raise BadRequest when a key Bolt dereferences has the wrong JSON type (checked a few levels deep)."""
    if not isinstance(value, dict):
        raise BadRequest("400 Bad Request", f"{where} must be a JSON object")
    if depth > 4:
        return
    for key in _STRING_KEYS:
        if key in value and value[key] is not None and not isinstance(value[key], str):
            raise BadRequest("400 Bad Request", f"{where}.{key} must be a string")
    for key in _OBJECT_KEYS:
        if key in value and value[key] is not None:
            if key == "channel" and isinstance(value[key], str):  # events carry the channel id as a string
                continue
            if key in ("user", "team") and isinstance(value[key], str):  # events carry ids as strings
                continue
            _check_object(value[key], f"{where}.{key}", depth + 1)
    for key in ("authorizations", "actions", "response_urls"):
        if key in value and value[key] is not None:
            items = value[key]
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise BadRequest("400 Bad Request", f"{where}.{key} must be a list of JSON objects")


# An action (``actions[]``) or an input's state (``view.state.values.<block>.<action>``): the fields the
# listeners read, with the JSON types Slack documents for them
# (https://api.slack.com/reference/interaction-payloads/block-actions, .../views#view_submission).
_ELEMENT_STRING_KEYS = ("type", "action_id", "block_id", "value", "action_ts", "selected_date", "selected_time",
                        "selected_user", "selected_channel", "selected_conversation")
_VIEW_STRING_KEYS = ("id", "type", "callback_id", "hash", "private_metadata", "root_view_id", "previous_view_id",
                     "external_id", "team_id", "app_id", "bot_id")
_CONTAINER_STRING_KEYS = ("type", "message_ts", "channel_id", "view_id", "thread_ts")


def _check_strings(value: dict[str, Any], keys: tuple[str, ...], where: str) -> None:
    for key in keys:
        if value.get(key) is not None and not isinstance(value[key], str):
            raise BadRequest("400 Bad Request", f"{where}.{key} must be a string")


def _check_option(option: Any, where: str) -> None:
    if not isinstance(option, dict):
        raise BadRequest("400 Bad Request", f"{where} must be a JSON object")
    _check_strings(option, ("value",), where)


def _check_element(element: Any, where: str, *, needs_action_id: bool) -> None:
    if not isinstance(element, dict):
        raise BadRequest("400 Bad Request", f"{where} must be a JSON object")
    if needs_action_id and not isinstance(element.get("action_id"), str):
        raise BadRequest("400 Bad Request", f"{where}.action_id must be a string")
    _check_strings(element, _ELEMENT_STRING_KEYS, where)
    if element.get("selected_option") is not None:
        _check_option(element["selected_option"], f"{where}.selected_option")
    options = element.get("selected_options")
    if options is not None:
        if not isinstance(options, list):
            raise BadRequest("400 Bad Request", f"{where}.selected_options must be a list")
        for i, option in enumerate(options):
            _check_option(option, f"{where}.selected_options[{i}]")


def _check_view(view: dict[str, Any]) -> None:
    _check_strings(view, _VIEW_STRING_KEYS, "view")
    state = view.get("state")
    if state is None:
        return
    values = state.get("values") if isinstance(state, dict) else None
    if not isinstance(state, dict) or not isinstance(values if values is not None else {}, dict):
        raise BadRequest("400 Bad Request", "view.state.values must be a JSON object")
    for actions in (values or {}).values():
        if not isinstance(actions, dict):
            raise BadRequest("400 Bad Request", "view.state.values.<block> must be a JSON object")
        for element in actions.values():
            _check_element(element, "view.state.values.<block>.<action>", needs_action_id=False)


def _check_payload(payload: dict[str, Any]) -> None:
    _check_object(payload, "payload")
    if isinstance(payload.get("view"), dict):
        _check_view(payload["view"])
    if isinstance(payload.get("container"), dict):
        _check_strings(payload["container"], _CONTAINER_STRING_KEYS, "payload.container")
    if isinstance(payload.get("actions"), list):  # legacy attachment actions have no action_id, blocks' do
        for i, action in enumerate(payload["actions"]):
            _check_element(action, f"payload.actions[{i}]", needs_action_id=payload.get("type") == "block_actions")
    kind = payload.get("type")
    if kind is not None and not isinstance(kind, str):
        raise BadRequest("400 Bad Request", "payload.type must be a string")
    if kind in ("view_submission", "view_closed"):
        view = payload.get("view")
        if not isinstance(view, dict) or not all(isinstance(view.get(k), str) for k in ("id", "type", "callback_id")):
            raise BadRequest("400 Bad Request", "a view payload needs view.id, view.type and view.callback_id")
        state = view.get("state")
        if state is not None and not (isinstance(state, dict) and isinstance(state.get("values", {}), dict)):
            raise BadRequest("400 Bad Request", "view.state.values must be a JSON object")
    if kind == "block_actions" and not payload.get("actions"):
        raise BadRequest("400 Bad Request", "a block_actions payload needs actions")
    if kind == "event_callback":
        event = payload.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise BadRequest("400 Bad Request", "an event_callback needs an event with a type")


def payload_problem(payload: Any) -> str | None:
    """Why a parsed payload does not have the shape Slack sends (one line), or None: the same check for
    Socket Mode envelopes, which never pass through this server."""
    try:
        _check_payload(payload)
    except BadRequest as exc:
        return str(exc)
    except RecursionError:
        return "the payload is nested too deeply"
    return None


# The body Bolt is about to parse, parsed already by the check below (one request per thread at a time):
# (the body's text, the content type as Bolt reads it, what Bolt's parse_body returns for them).
_checked = threading.local()


def _parse_body_once(body: str, content_type: str | None) -> dict[str, Any]:
    """Bolt's ``parse_body``, answered from the check's own parse when it is of the same body: a modal's
    submission is several KB of URL-encoded JSON, and unquoting it in Python was the largest single cost
    of a submission's ack (``./dev bench`` with yappi: one parse here, one in Bolt)."""
    memo = getattr(_checked, "memo", None)
    if memo is not None and memo[1] == content_type and memo[0] == body:
        return memo[2]  # type: ignore[no-any-return]
    return _bolt_parse_body(body, content_type)


bolt_request_module.parse_body = _parse_body_once  # type: ignore[attr-defined]  # what BoltRequest calls


def malformed_reason(content_type: str, body: bytes, headers: dict[str, str]) -> BadRequest | None:
    """Why this request cannot be from Slack (a BadRequest to answer with), or None when it looks right."""
    problem, _parsed = check_body(content_type, body, headers)
    return problem


def check_body(content_type: str, body: bytes, headers: dict[str, str]
               ) -> tuple[BadRequest | None, tuple[str, str | None, dict[str, Any]] | None]:
    """``malformed_reason``, and for a body that passed, what Bolt's ``parse_body`` will make of it when
    this check parsed it already: (text, Bolt's content type, parsed body), else None."""
    bolt_type = content_type.split(";")[0] if content_type else None  # Bolt's extract_content_type
    timestamp = headers.get("x-slack-request-timestamp")
    if timestamp is not None and not _TIMESTAMP.fullmatch(timestamp):
        return BadRequest("401 Unauthorized", "invalid request timestamp"), None
    media = content_type.split(";", 1)[0].strip().lower()
    if media not in (FORM_TYPE, JSON_TYPE):
        return BadRequest("415 Unsupported Media Type", f"expected {FORM_TYPE} or {JSON_TYPE}"), None
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return BadRequest("400 Bad Request", "the body is not UTF-8"), None
    try:
        if media == JSON_TYPE:
            try:
                data = json.loads(text) if text.strip() else {}
            except (ValueError, RecursionError):
                return BadRequest("400 Bad Request", "the body is not valid JSON"), None
            _check_payload(data)
            # Bolt: json.loads(body) for a non-empty body sent as exactly application/json
            return None, ((text, bolt_type, data) if text and bolt_type == JSON_TYPE else None)
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            if len(form["payload"]) != 1:
                return BadRequest("400 Bad Request", "more than one payload field"), None
            try:
                payload = json.loads(form["payload"][0])
            except (ValueError, RecursionError):
                return BadRequest("400 Bad Request", "the payload field is not valid JSON"), None
            _check_payload(payload)
            # Bolt: json.loads(the payload field) for a form body that does not start with "{"
            if bolt_type != JSON_TYPE and not text.startswith("{"):
                return None, (text, bolt_type, payload)
    except BadRequest as exc:
        return exc, None
    except (ValueError, RecursionError):
        return BadRequest("400 Bad Request", "the body could not be read"), None
    return None, None


def _read_body(environ: dict[str, Any], limit: int) -> bytes:
    """The request body, read once: at most ``limit`` bytes whatever Content-Length says (or omits)."""
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    raw_length = (environ.get("CONTENT_LENGTH") or "").strip()
    if raw_length:
        if not raw_length.isdigit():
            raise BadRequest("400 Bad Request", "bad Content-Length")
        length = int(raw_length)
        if length > limit:
            raise BadRequest("413 Payload Too Large", "request body too large")
        data: bytes = stream.read(length)
        if len(data) > limit:  # a stream that returns more than it announced
            raise BadRequest("413 Payload Too Large", "request body too large")
        return data
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise BadRequest("413 Payload Too Large", "request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    out = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = str(environ["CONTENT_TYPE"])
    return out


class BotWSGI:
    """Routes the two paths (and ``/v1/…`` to ``api`` when given); anything else is 404. Never lets a traceback
    reach a response. ``serve_events=False`` (Socket Mode, where Slack's events come over the socket) answers
    ``/slack/events`` with 404."""

    api: Callable[..., Iterable[bytes]] | None = None
    serve_events: bool = True

    def __init__(self, app: App, ping: Callable[[], bool], max_body: int = MAX_BODY_BYTES,
                 queue: Callable[[], QueueHealth] | None = None, api: Callable[..., Iterable[bytes]] | None = None,
                 serve_events: bool = True, after_ack: AfterAck | None = None) -> None:
        self.slack = SlackRequestHandler(app, path=EVENTS_PATH)
        self.ping = ping
        self.max_body = max_body
        self.queue = queue
        self.api = api
        self.serve_events = serve_events
        # Counts the Slack requests waiting for their ack, so that the work after other acks waits for them.
        self.after_ack = after_ack or AfterAck.inline()

    def health(self) -> tuple[bool, str]:
        """``/healthz``: the database answers, and no job has waited over a minute with no worker alive."""
        ok = self.ping()
        body: dict[str, Any] = {"ok": ok, "database": "up" if ok else "down"}
        if ok and self.queue is not None:
            try:
                queue = self.queue()
            except Exception as exc:  # noqa: BLE001 - the queue's state is unknown, not unhealthy
                log.warning("queue health failed: %s", type(exc).__name__)
            else:
                body["queue"] = queue.as_json()
                ok = body["ok"] = queue.ok
        return ok, json.dumps(body)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == HEALTH_PATH and method in ("GET", "HEAD"):
                ok, health = self.health()
                return _plain(start_response, "200 OK" if ok else "503 Service Unavailable", health, "application/json")
            if self.api is not None and path.startswith(API_PREFIX):
                return self.api(environ, start_response)
            if path == EVENTS_PATH and self.serve_events:
                if method != "POST":
                    return _plain(start_response, "405 Method Not Allowed", "POST only")
                try:
                    body = _read_body(environ, self.max_body)
                except BadRequest as exc:
                    return _plain(start_response, exc.status, str(exc))
                problem, parsed = check_body(str(environ.get("CONTENT_TYPE") or ""), body, _headers(environ))
                if problem is not None:
                    log.info("rejected a request to %s: %s", path, problem)
                    return _plain(start_response, problem.status, str(problem))
                environ["wsgi.input"] = io.BytesIO(body)
                environ["CONTENT_LENGTH"] = str(len(body))
                _checked.memo = parsed
                try:
                    with self.after_ack.answering():
                        return self.slack(environ, start_response)
                finally:
                    _checked.memo = None
            return _plain(start_response, "404 Not Found", "not found")
        except Exception:
            log.exception("request to %s failed", path)
            return _plain(start_response, "500 Internal Server Error", "internal error")


def make_server(wsgi: BotWSGI, host: str, port: int, threads: int) -> Any:
    """A waitress server bound now; call ``.run()`` to serve and ``.close()`` to stop."""
    server = create_server(
        wsgi,
        host=host,
        port=port,
        threads=threads,
        ident="",
        max_request_body_size=wsgi.max_body,
        connection_limit=1000,
        channel_timeout=30,
    )
    # Requests read but waiting for one of the server's threads also wait for their ack, and so do the
    # ones that have arrived but that the server's loop has not read yet (in a burst the loop waits for
    # the interpreter like every thread): those are its sockets with data to read.
    dispatcher = server.task_dispatcher
    # waitress's map of its loop's sockets (fd -> dispatcher): the listening socket, each connection, and the
    # trigger that wakes the loop to send an answer (an ack not sent yet). Not public: without it, the queue.
    sockets: dict[int, Any] = getattr(server, "_map", {})

    def waiting() -> int:
        queued = len(dispatcher.queue)
        return queued if queued else unread(list(sockets))

    wsgi.after_ack.watch_queue(waiting)
    return server


def unread(fds: Iterable[int]) -> int:
    """How many of ``fds`` have data waiting to be read (a new connection to accept, a request not read
    yet), without waiting."""
    poller = select.poll()
    for fd in fds:
        poller.register(fd, select.POLLIN)
    return sum(1 for _fd, events in poller.poll(0) if events & select.POLLIN)
