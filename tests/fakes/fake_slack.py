"""A local fake of Slack: the Web API over real HTTP and Socket Mode over a real websocket.

Both servers listen on 127.0.0.1 (port 0 by default) in background threads. Point the bot at
``fake.api_url`` (``SLACK_API_URL`` / ``WebClient(base_url=...)``); Socket Mode clients reach the
websocket through ``apps.connections.open`` exactly as they do against Slack.

Contract followed (Slack's documented Web API conventions):

* Every answer is JSON ``{"ok": true, ...}`` or ``{"ok": false, "error": "<code>"}``; warnings come as
  ``"warning"`` plus ``response_metadata.warnings`` (``missing_charset`` for JSON without a charset,
  ``superfluous_charset`` for a form body with one). Argument problems answer ``invalid_arguments``
  with ``response_metadata.messages`` in Slack's ``[ERROR] ... [json-pointer:/...]`` form.
* Tokens come as ``Authorization: Bearer`` or a ``token`` form/query field. No token: ``not_authed``;
  an unknown token: ``invalid_auth``; an app-level ``xapp-`` token on a bot method (or a bot token on
  ``apps.connections.open``): ``not_allowed_token_type``.
* Rate limits: HTTP 429 with a ``Retry-After`` header and ``{"ok": false, "error": "ratelimited"}``.
* Unknown methods: ``{"ok": false, "error": "unknown_method", "req_method": "<name>"}``.
* Trigger ids (``views.open`` / ``views.push``) look like ``12345.98765.abcd2358fdea``; a malformed one
  answers ``invalid_trigger_id``; each can be exchanged once (second use: ``exchanged_trigger_id``);
  one issued by :meth:`FakeSlack.new_trigger_id` expires ``trigger_ttl`` seconds (3 by default, like
  Slack) after issue (``expired_trigger_id``). A well-formed id the fake never issued is accepted once
  (tests may invent their own), unless ``strict_triggers=True``.
* ``/hooks/...`` paths act as ``response_url`` endpoints (see :meth:`FakeSlack.response_url`); posts to
  them are recorded as method ``"response_url"``.

Socket Mode: after a client connects with a ticket from ``apps.connections.open`` the fake sends
Slack's ``hello`` message; envelopes go to the newest connection; acks (``{"envelope_id": ...,
"payload": ...}``) are collected for :meth:`FakeSlack.wait_for_ack`. Pings are answered by the
websocket layer; a ``disconnect`` message (:meth:`FakeSlack.socket_disconnect`) makes slack_sdk call
``apps.connections.open`` again and reconnect.

Run standalone for benchmarks::

    python -m tests.fakes.fake_slack --port 8900 --ws-port 8901
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import secrets
import string
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, unquote_plus, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request as WsRequest
from websockets.http11 import Response as WsResponse
from websockets.sync.server import Server as WsServer
from websockets.sync.server import ServerConnection, serve

from tests.fakes.http_server import FakeHTTPServer
from tests.fakes.slack_signing import APP_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID

DEFAULT_BOT_TOKEN = "xoxb-1111-2222-fakebottoken"
DEFAULT_APP_TOKEN = "xapp-1-A0FAKEAPP-3333-fakeapptoken"

TRIGGER_ID_RE = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
MAX_MODAL_STACK = 3


# --------------------------------------------------------------------------------------------------
# data


@dataclass(frozen=True)
class Call:
    """One recorded Web API (or response_url) call."""

    method: str
    params: dict[str, Any]
    raw_body: str
    headers: dict[str, str]
    http_method: str
    token_kind: str | None
    status: int
    response: dict[str, Any]
    at: float


@dataclass
class Team:
    team_id: str = TEAM_ID
    name: str = "Fake Team"
    domain: str = TEAM_DOMAIN
    app_id: str = APP_ID
    bot_user_id: str = BOT_USER_ID
    bot_id: str = "B0FAKEBOT"
    bot_name: str = "amazon-connect"

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass
class Channel:
    id: str
    name: str
    bot_is_member: bool = True
    is_private: bool = False
    members: set[str] = field(default_factory=set)


@dataclass
class Trigger:
    issued_at: float | None
    used: bool = False
    user_id: str | None = None


@dataclass
class Fault:
    error: str
    status: int
    retry_after: int | None


class SlackError(Exception):
    """An ``ok: false`` answer: raised by method handlers, turned into the JSON envelope."""

    def __init__(self, error: str, status: int = 200, headers: dict[str, str] | None = None,
                 **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra


@dataclass
class ApiRequest:
    method: str
    params: dict[str, Any]
    token: str | None
    token_kind: str | None


DEFAULT_LOCALE = "en-US"  # the locale users.info reports for a person who never changed it


def make_user(user_id: str, name: str, real_name: str | None = None, *, is_admin: bool = False,
              is_owner: bool = False, is_primary_owner: bool = False, is_bot: bool = False,
              deleted: bool = False, tz: str = "Europe/Berlin", tz_label: str = "Central European Time",
              tz_offset: int = 3600, team_id: str = TEAM_ID, email: str | None = None) -> dict[str, Any]:
    """A ``users.info`` user object with Slack's field names."""
    real = real_name or name.title()
    return {
        "id": user_id, "team_id": team_id, "name": name, "deleted": deleted, "color": "9f69e7",
        "real_name": real, "tz": tz, "tz_label": tz_label, "tz_offset": tz_offset,
        "profile": {
            "avatar_hash": "ge3b51ca72de", "status_text": "", "status_emoji": "", "real_name": real,
            "display_name": name, "real_name_normalized": real, "display_name_normalized": name,
            "email": email or f"{name}@example.com", "team": team_id,
        },
        "is_admin": is_admin, "is_owner": is_owner, "is_primary_owner": is_primary_owner,
        "is_restricted": False, "is_ultra_restricted": False, "is_bot": is_bot, "is_app_user": False,
        "updated": 1502138686, "has_2fa": False,
    }


def default_users(team_id: str) -> dict[str, dict[str, Any]]:
    return {
        "U0ADMIN": make_user("U0ADMIN", "ada", "Ada Admin", is_admin=True, team_id=team_id),
        "U0OWNER": make_user("U0OWNER", "olga", "Olga Owner", is_admin=True, is_owner=True,
                             is_primary_owner=True, team_id=team_id),
        "U0MEMBER": make_user("U0MEMBER", "max", "Max Member", tz="America/New_York",
                              tz_label="Eastern Standard Time", tz_offset=-18000, team_id=team_id),
    }


def default_channels() -> dict[str, Channel]:
    return {
        "C0TEAM": Channel("C0TEAM", "amazon-connections", members={"U0ADMIN", "U0OWNER", "U0MEMBER"}),
        "C0GENERAL": Channel("C0GENERAL", "general", members={"U0ADMIN", "U0OWNER", "U0MEMBER"}),
        "C0OUTSIDE": Channel("C0OUTSIDE", "random", bot_is_member=False, members={"U0MEMBER"}),
    }


def _random_id(prefix: str, length: int = 10) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def _text_leaves(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _text_leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _text_leaves(v)


# --------------------------------------------------------------------------------------------------
# Block Kit checks (the handful of limits Slack enforces that a bot is likely to trip over)


def _text_of(obj: Any) -> str | None:
    if isinstance(obj, dict) and isinstance(obj.get("text"), str):
        return obj["text"]
    return None


def check_blocks(blocks: Any, pointer: str, *, limit: int) -> list[str]:
    """Slack-style ``[ERROR] ... [json-pointer:...]`` messages for a blocks array."""
    if not isinstance(blocks, list):
        return [f"[ERROR] must be an array [json-pointer:{pointer}]"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"[ERROR] no more than {limit} items allowed [json-pointer:{pointer}]")
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        here = f"{pointer}/{i}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            problems.append(f"[ERROR] missing required field: type [json-pointer:{here}]")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or len(block_id) > 255:
                problems.append(f"[ERROR] must be less than 256 characters [json-pointer:{here}/block_id]")
            elif block_id in seen:
                problems.append(f"[ERROR] duplicate block_id [json-pointer:{here}/block_id]")
            else:
                seen.add(block_id)
        kind = block["type"]
        text = _text_of(block.get("text"))
        if kind == "section":
            if text is None and not block.get("fields"):
                problems.append(f"[ERROR] must provide text or fields [json-pointer:{here}]")
            if text is not None and (len(text) > 3000 or not text):
                problems.append(f"[ERROR] must be between 1 and 3000 characters [json-pointer:{here}/text]")
        elif kind == "header":
            if text is None or len(text) > 150 or block["text"].get("type") != "plain_text":
                problems.append(
                    f"[ERROR] must be plain_text of at most 150 characters [json-pointer:{here}/text]")
        elif kind == "input":
            if _text_of(block.get("label")) is None:
                problems.append(f"[ERROR] missing required field: label [json-pointer:{here}]")
            element = block.get("element")
            if not isinstance(element, dict) or not element.get("type"):
                problems.append(f"[ERROR] missing required field: element [json-pointer:{here}]")
        elif kind == "actions":
            elements = block.get("elements")
            if not isinstance(elements, list) or not elements or len(elements) > 25:
                problems.append(f"[ERROR] must have between 1 and 25 elements [json-pointer:{here}/elements]")
    return problems


def check_view(view: Any, allowed_types: tuple[str, ...]) -> list[str]:
    if not isinstance(view, dict):
        return ["[ERROR] must be an object [json-pointer:/view]"]
    problems: list[str] = []
    kind = view.get("type")
    if kind not in allowed_types:
        problems.append(f"[ERROR] must be one of {list(allowed_types)} [json-pointer:/view/type]")
    blocks = view.get("blocks")
    problems += check_blocks(blocks, "/view/blocks", limit=100)
    if kind == "modal":
        for key, required in (("title", True), ("submit", False), ("close", False)):
            text = _text_of(view.get(key))
            if text is None:
                if required:
                    problems.append(f"[ERROR] missing required field: {key} [json-pointer:/view]")
                continue
            if len(text) > 24:
                problems.append(f"[ERROR] must be less than 25 characters [json-pointer:/view/{key}/text]")
        has_input = isinstance(blocks, list) and any(
            isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            problems.append("[ERROR] submit is required when an input block is present [json-pointer:/view]")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]")
    return problems


# --------------------------------------------------------------------------------------------------
# the fake


MethodHandler = Callable[["FakeSlack", ApiRequest], dict[str, Any]]


@dataclass(frozen=True)
class MethodSpec:
    handler: MethodHandler
    token: str = "bot"  # which token type the method accepts: "bot" or "app"


class FakeSlack:
    """A fake Slack workspace with a Web API and a Socket Mode endpoint. Use as a context manager."""

    def __init__(self, *, port: int = 0, ws_port: int = 0, host: str = "127.0.0.1",
                 bot_tokens: tuple[str, ...] = (DEFAULT_BOT_TOKEN,),
                 app_tokens: tuple[str, ...] = (DEFAULT_APP_TOKEN,),
                 team: Team | None = None, users: dict[str, dict[str, Any]] | None = None,
                 channels: dict[str, Channel] | None = None,
                 usergroups: dict[str, list[str]] | None = None,
                 trigger_ttl: float = 3.0, strict_triggers: bool = False, ws_ping_interval: float = 0.5) -> None:
        self.host = host
        self.team = team or Team()
        self.bot_tokens = set(bot_tokens)
        self.app_tokens = set(app_tokens)
        self.users: dict[str, dict[str, Any]] = users if users is not None else default_users(self.team.team_id)
        self.channels: dict[str, Channel] = channels if channels is not None else default_channels()
        self.usergroups: dict[str, list[str]] = usergroups if usergroups is not None else {
            "S0ADMINS": ["U0ADMIN", "U0OWNER"]}
        self.trigger_ttl = trigger_ttl
        self.strict_triggers = strict_triggers
        # user id -> the Slack locale users.info reports with include_locale=true (set_locale); others: en-US
        self.locales: dict[str, str] = {}

        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.calls: list[Call] = []
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self._external_ids: dict[str, str] = {}
        self._modal_stack: list[str] = []
        self._view_order: list[str] = []
        self._triggers: dict[str, Trigger] = {}
        self._dms: dict[str, str] = {}
        self._faults: dict[str, deque[Fault]] = {}
        self._latency: dict[str, float] = {}
        self._last_ts = (0, 0)

        # Socket Mode state
        self._tickets: set[str] = set()
        self._connections: list[ServerConnection] = []
        self.socket_connected = threading.Event()
        self.socket_connections_total = 0
        self.socket_messages: list[dict[str, Any]] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._socket_text: list[str] = []

        self._http = FakeHTTPServer((host, port), _make_handler(self))
        # Slack pings Socket Mode clients; frequent pings also wake slack_sdk's blocking receive loop,
        # so its reconnect and close finish quickly instead of after its 3 s receive timeout.
        self._ws: WsServer = serve(self._ws_handler, host, ws_port, process_request=self._ws_check_ticket,
                                   ping_interval=ws_ping_interval)
        self._threads: list[threading.Thread] = []

    # ---------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def ws_port(self) -> int:
        return int(self._ws.socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The WebClient ``base_url`` (ends with ``/api/``)."""
        return f"{self.base_url}/api/"

    @property
    def bot_token(self) -> str:
        return sorted(self.bot_tokens)[0]

    @property
    def app_token(self) -> str:
        return sorted(self.app_tokens)[0]

    def start(self) -> FakeSlack:
        for name, target in (("fake-slack-http", lambda: self._http.serve_forever(poll_interval=0.05)),
                             ("fake-slack-ws", self._ws.serve_forever)):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.close(1001, "server shutting down")
        self._ws.shutdown()
        self._http.shutdown()
        self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- recording

    def calls_for(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, method: str, predicate: Callable[[Call], bool] | None = None,
                 timeout: float = 5.0) -> Call:
        """The first recorded call (past or future) of ``method`` matching ``predicate``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for c in self.calls:
                    if c.method == method and (predicate is None or predicate(c)):
                        return c
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [c.method for c in self.calls]
                    raise TimeoutError(f"no {method} call matched within {timeout}s; calls so far: {seen}")
                self._changed.wait(remaining)

    def all_text(self) -> str:
        """Everything the bot sent: raw bodies, their decoded forms, every string value and every
        Socket Mode message. Scan this for leaked secrets."""
        with self._lock:
            parts: list[str] = []
            for c in self.calls:
                parts.append(c.raw_body)
                parts.append(unquote_plus(c.raw_body))
                parts.extend(_text_leaves(c.params))
            parts.extend(self._socket_text)
            return "\n".join(parts)

    def reset(self) -> None:
        """Forget calls, messages, views, acks, faults and latencies (configuration stays)."""
        with self._lock:
            self.calls.clear()
            self.messages.clear()
            self.ephemerals.clear()
            self.views.clear()
            self.home_views.clear()
            self._external_ids.clear()
            self._modal_stack.clear()
            self._view_order.clear()
            self._triggers.clear()
            self._faults.clear()
            self._latency.clear()
            self.socket_messages.clear()
            self._acks.clear()
            self._socket_text.clear()

    # ---------------------------------------------------------------- configuration and faults

    def fail_next(self, method: str, error: str = "ratelimited", status: int = 429,
                  retry_after: int | None = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``error`` (HTTP ``status``; a 429 carries
        ``Retry-After: retry_after``)."""
        with self._lock:
            queue = self._faults.setdefault(method, deque())
            queue.extend(Fault(error, status, retry_after) for _ in range(times))

    def set_latency(self, method: str, seconds: float) -> None:
        """Delay every answer to ``method`` (``"*"``: all methods) by ``seconds``; 0 removes it."""
        with self._lock:
            if seconds <= 0:
                self._latency.pop(method, None)
            else:
                self._latency[method] = seconds

    def add_user(self, user_id: str, name: str, real_name: str | None = None, **kwargs: Any) -> dict[str, Any]:
        """Add (or replace) a workspace member; keyword arguments as :func:`make_user`."""
        user = make_user(user_id, name, real_name, team_id=self.team.team_id, **kwargs)
        with self._lock:
            self.users[user_id] = user
        return user

    def set_locale(self, user_id: str, locale: str) -> None:
        """The Slack locale (``zh-CN``, ``en-US``, ...) ``users.info`` reports for ``user_id`` when asked
        with ``include_locale=true``, as the person set it in their Slack preferences."""
        with self._lock:
            self.locales[user_id] = locale

    def add_channel(self, channel_id: str, name: str, *, bot_is_member: bool = True,
                    is_private: bool = False, members: set[str] | None = None) -> Channel:
        channel = Channel(channel_id, name, bot_is_member, is_private, set(members or set()))
        with self._lock:
            self.channels[channel_id] = channel
        return channel

    def new_trigger_id(self, *, user_id: str | None = None, age: float = 0.0) -> str:
        """Issue a trigger id as Slack would with an interaction; ``age`` backdates it."""
        trigger_id = f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"
        with self._lock:
            self._triggers[trigger_id] = Trigger(time.monotonic() - age, user_id=user_id)
        return trigger_id

    def response_url(self, name: str = "") -> str:
        """A ``response_url`` served by this fake; posts to it are recorded as ``"response_url"``."""
        return f"{self.base_url}/hooks/commands/{self.team.team_id}/{name or secrets.token_hex(6)}"

    def last_modal(self) -> dict[str, Any] | None:
        """The most recently opened, pushed or updated modal view, or None."""
        with self._lock:
            modals = [self.views[i] for i in self._view_order if self.views[i].get("type") == "modal"]
            return modals[-1] if modals else None

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages.get(channel, []))

    # ---------------------------------------------------------------- HTTP entry point

    def handle_api(self, http_method: str, method: str, query: str, body: str, content_type: str,
                   headers: dict[str, str]) -> tuple[int, dict[str, str], dict[str, Any]]:
        params, warnings = _parse_params(query, body, content_type)
        auth = headers.get("authorization", "")
        token: str | None = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        token = token or params.pop("token", None)
        params.pop("token", None)
        token_kind = self._token_kind(token)
        with self._lock:
            latency = self._latency.get(method, self._latency.get("*", 0.0))
        if latency:
            time.sleep(latency)
        status, extra_headers = 200, {}
        try:
            response = self._dispatch(ApiRequest(method, params, token, token_kind))
        except SlackError as e:
            status, extra_headers = e.status, e.headers
            response = {"ok": False, "error": e.error, **e.extra}
        if warnings and response.get("ok"):
            response["warning"] = ",".join(warnings)
            response.setdefault("response_metadata", {})["warnings"] = warnings
        recorded = {k: v for k, v in headers.items() if k != "authorization"}
        self._record(Call(method, params, body, recorded, http_method, token_kind, status, response, time.time()))
        return status, extra_headers, response

    def handle_hook(self, path: str, body: str, content_type: str, headers: dict[str, str]) -> dict[str, Any]:
        params, _ = _parse_params("", body, content_type)
        params["_path"] = path
        response = {"ok": True}
        self._record(Call("response_url", params, body, dict(headers), "POST", None, 200, response, time.time()))
        return response

    def _record(self, call: Call) -> None:
        with self._changed:
            self.calls.append(call)
            self._changed.notify_all()

    def _token_kind(self, token: str | None) -> str | None:
        if token is None:
            return None
        if token in self.bot_tokens:
            return "bot"
        if token in self.app_tokens:
            return "app"
        return "invalid"

    def _dispatch(self, req: ApiRequest) -> dict[str, Any]:
        with self._lock:
            queue = self._faults.get(req.method)
            fault = queue.popleft() if queue else None
        if fault is not None:
            headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
            raise SlackError(fault.error, fault.status, headers)
        spec = METHODS.get(req.method)
        if spec is None:
            raise SlackError("unknown_method", req_method=req.method)
        if req.token_kind is None:
            raise SlackError("not_authed")
        if req.token_kind == "invalid":
            raise SlackError("invalid_auth")
        if req.token_kind != spec.token:
            raise SlackError("not_allowed_token_type")
        with self._lock:
            return {"ok": True, **spec.handler(self, req)}

    # ---------------------------------------------------------------- helpers for handlers

    def _next_ts(self) -> str:
        now = time.time()
        sec, micro = int(now), int((now % 1) * 1_000_000)
        if (sec, micro) <= self._last_ts:
            sec, micro = self._last_ts[0], self._last_ts[1] + 1
            if micro >= 1_000_000:
                sec, micro = sec + 1, 0
        self._last_ts = (sec, micro)
        return f"{sec}.{micro:06d}"

    def _dm_for(self, user_id: str) -> str:
        if user_id not in self._dms:
            self._dms[user_id] = "D" + hashlib.sha256(user_id.encode()).hexdigest()[:10].upper()
        return self._dms[user_id]

    def _resolve_postable(self, channel: Any, *, ephemeral_user: str | None = None) -> str:
        """The channel id a message lands in, or the error Slack would give."""
        if not isinstance(channel, str) or not channel:
            raise SlackError("channel_not_found")
        if channel[0] in "UW":
            if channel not in self.users:
                raise SlackError("channel_not_found")
            return self._dm_for(channel)
        if channel.startswith("D"):
            if channel not in self._dms.values():
                raise SlackError("channel_not_found")
            return channel
        by_name = {f"#{c.name}": c.id for c in self.channels.values()}
        channel = by_name.get(channel, channel)
        found = self.channels.get(channel)
        if found is None:
            raise SlackError("channel_not_found")
        if not found.bot_is_member:
            raise SlackError("not_in_channel")
        if ephemeral_user is not None and ephemeral_user not in found.members:
            raise SlackError("user_not_in_channel")
        return channel

    def _message_fields(self, params: dict[str, Any]) -> dict[str, Any]:
        text, blocks, attachments = params.get("text"), params.get("blocks"), params.get("attachments")
        if not text and not blocks and not attachments:
            raise SlackError("no_text")
        if isinstance(text, str) and len(text) > 40000:
            raise SlackError("msg_too_long")
        if blocks is not None:
            problems = check_blocks(blocks, "/blocks", limit=50)
            if problems:
                raise SlackError("invalid_blocks", response_metadata={"messages": problems})
        message: dict[str, Any] = {"text": text or ""}
        if blocks is not None:
            message["blocks"] = blocks
        if attachments is not None:
            message["attachments"] = attachments
        if params.get("metadata"):
            message["metadata"] = params["metadata"]
        return message

    def _consume_trigger(self, trigger_id: Any) -> None:
        if not isinstance(trigger_id, str) or not TRIGGER_ID_RE.match(trigger_id):
            raise SlackError("invalid_trigger_id")
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            if self.strict_triggers:
                raise SlackError("invalid_trigger_id")
            trigger = self._triggers[trigger_id] = Trigger(issued_at=None)
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if trigger.issued_at is not None and time.monotonic() - trigger.issued_at > self.trigger_ttl:
            raise SlackError("expired_trigger_id")
        trigger.used = True

    def _checked_view(self, req: ApiRequest, allowed: tuple[str, ...]) -> dict[str, Any]:
        view = req.params.get("view")
        if view is None:
            raise SlackError("invalid_arguments",
                             response_metadata={"messages": ["[ERROR] missing required field: view"]})
        problems = check_view(view, allowed)
        if problems:
            raise SlackError("invalid_arguments", response_metadata={"messages": problems})
        return view

    def _store_view(self, view: dict[str, Any], *, view_id: str | None = None,
                    root_view_id: str | None = None, previous_view_id: str | None = None) -> dict[str, Any]:
        view_id = view_id or _random_id("V")
        external_id = str(view.get("external_id", ""))
        if external_id and self._external_ids.get(external_id, view_id) != view_id:
            raise SlackError("duplicate_external_id")
        if external_id:
            self._external_ids[external_id] = view_id
        stored = {
            "id": view_id, "team_id": self.team.team_id, "type": view.get("type"),
            "title": view.get("title"), "submit": view.get("submit"), "close": view.get("close"),
            "blocks": view.get("blocks", []), "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""), "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(view.get("clear_on_close", False)),
            "notify_on_close": bool(view.get("notify_on_close", False)),
            "previous_view_id": previous_view_id, "root_view_id": root_view_id or view_id,
            "app_id": self.team.app_id, "external_id": external_id,
            "app_installed_team_id": self.team.team_id, "bot_id": self.team.bot_id,
        }
        self.views[view_id] = stored
        if view_id in self._view_order:
            self._view_order.remove(view_id)
        self._view_order.append(view_id)
        return stored

    # ---------------------------------------------------------------- Socket Mode

    def _ws_check_ticket(self, connection: ServerConnection, request: WsRequest) -> WsResponse | None:
        query = dict(parse_qsl(urlsplit(request.path).query))
        with self._lock:
            known = query.get("ticket") in self._tickets
        if not urlsplit(request.path).path.startswith("/link") or not known:
            return connection.respond(401, "invalid or missing ticket\n")
        return None

    def _ws_handler(self, connection: ServerConnection) -> None:
        hello = {"type": "hello", "num_connections": 0,
                 "debug_info": {"host": "applink-fake-1", "build_number": 1, "approximate_connection_time": 18060},
                 "connection_info": {"app_id": self.team.app_id}}
        with self._changed:
            self._connections.append(connection)
            self.socket_connections_total += 1
            hello["num_connections"] = len(self._connections)
        try:
            connection.send(json.dumps(hello))
            self.socket_connected.set()
            for raw in connection:
                text = raw if isinstance(raw, str) else raw.decode("utf-8", errors="replace")
                try:
                    message = json.loads(text)
                except ValueError:
                    message = {"_unparsed": text}
                with self._changed:
                    self._socket_text.append(text)
                    self.socket_messages.append(message)
                    if isinstance(message, dict) and message.get("envelope_id"):
                        self._acks[str(message["envelope_id"])] = message
                    self._changed.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                if connection in self._connections:
                    self._connections.remove(connection)
                if not self._connections:
                    self.socket_connected.clear()
                self._changed.notify_all()

    def socket_send_envelope(self, type: str, payload: dict[str, Any], *,  # noqa: A002 - Slack's name
                             accepts_response_payload: bool | None = None, retry_attempt: int = 0,
                             retry_reason: str = "") -> str:
        """Send a Socket Mode envelope (``slash_commands``, ``interactive`` or ``events_api``) to the newest
        connection, shaped like Slack's; returns its ``envelope_id``."""
        if type not in ("slash_commands", "interactive", "events_api"):
            raise ValueError(f"unknown envelope type {type!r}")
        if accepts_response_payload is None:
            accepts_response_payload = type == "slash_commands" or (
                type == "interactive" and payload.get("type") in ("view_submission", "block_suggestion"))
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {"envelope_id": envelope_id, "payload": payload, "type": type,
                                    "accepts_response_payload": accepts_response_payload}
        if type == "events_api":
            envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
        with self._lock:
            if not self._connections:
                raise RuntimeError("no Socket Mode client is connected")
            connection = self._connections[-1]
        connection.send(json.dumps(envelope))
        return envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """The client's ack for ``envelope_id``: ``{"envelope_id": ..., "payload": ...?}``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while envelope_id not in self._acks:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no ack for envelope {envelope_id} within {timeout}s")
                self._changed.wait(remaining)
            return self._acks[envelope_id]

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Slack's ``disconnect`` message to every connection (the client should reconnect)."""
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.send(json.dumps({"type": "disconnect", "reason": reason,
                                        "debug_info": {"host": "applink-fake-1"}}))


# --------------------------------------------------------------------------------------------------
# method handlers (one small function each; the table below maps names to them)


def _auth_test(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    t = fake.team
    return {"url": t.url, "team": t.name, "user": t.bot_name, "team_id": t.team_id,
            "user_id": t.bot_user_id, "bot_id": t.bot_id, "is_enterprise_install": False}


def _chat_post_message(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    channel = fake._resolve_postable(req.params.get("channel"))
    message = fake._message_fields(req.params)
    ts = fake._next_ts()
    message = {"user": fake.team.bot_user_id, "type": "message", "ts": ts, "bot_id": fake.team.bot_id,
               "app_id": fake.team.app_id, "team": fake.team.team_id, **message}
    if req.params.get("thread_ts"):
        message["thread_ts"] = str(req.params["thread_ts"])
    fake.messages.setdefault(channel, []).append(message)
    return {"channel": channel, "ts": ts, "message": message}


def _chat_update(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    channel = fake._resolve_postable(req.params.get("channel"))
    ts = req.params.get("ts")
    if not ts:
        raise SlackError("invalid_arguments", response_metadata={"messages": ["[ERROR] missing required field: ts"]})
    existing = next((m for m in fake.messages.get(channel, []) if m["ts"] == ts), None)
    if existing is None:
        raise SlackError("message_not_found")
    if existing.get("bot_id") != fake.team.bot_id:
        raise SlackError("cant_update_message")
    fields = fake._message_fields({**{"text": existing.get("text")}, **req.params})
    existing.update(fields, edited={"user": fake.team.bot_user_id, "ts": fake._next_ts()})
    return {"channel": channel, "ts": ts, "text": existing.get("text", ""), "message": dict(existing)}


def _chat_post_ephemeral(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    user = req.params.get("user")
    if user not in fake.users:
        raise SlackError("user_not_found")
    channel = fake._resolve_postable(req.params.get("channel"), ephemeral_user=str(user))
    message = fake._message_fields(req.params)
    ts = fake._next_ts()
    fake.ephemerals.append({"channel": channel, "user": user, "ts": ts, **message})
    return {"message_ts": ts}


def _chat_get_permalink(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    channel = req.params.get("channel")
    ts = req.params.get("message_ts")
    if not any(m["ts"] == ts for m in fake.messages.get(str(channel), [])):
        raise SlackError("message_not_found")
    return {"channel": channel, "permalink": f"{fake.team.url}archives/{channel}/p{str(ts).replace('.', '')}"}


def _conversations_open(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    users = [u for u in str(req.params.get("users", "")).split(",") if u]
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 1:
        raise SlackError("not_supported", detail="the fake opens one-to-one DMs only")
    user = users[0]
    if user not in fake.users:
        raise SlackError("user_not_found")
    already = user in fake._dms
    channel: dict[str, Any] = {"id": fake._dm_for(user)}
    if str(req.params.get("return_im", "")).lower() in ("1", "true"):
        channel.update(created=1460147748, is_im=True, is_org_shared=False, user=user,
                       last_read="0000000000.000000", latest=None, unread_count=0,
                       unread_count_display=0, is_open=True, priority=0)
    answer: dict[str, Any] = {"channel": channel}
    if already:
        answer.update(no_op=True, already_open=True)
    return answer


def _conversations_history(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    """Scopes channels:history / groups:history (Slack's OpenAPI spec, conversations.history). A bot
    token reads only conversations the bot is in: ``not_in_channel`` for a public channel it is not a
    member of, ``channel_not_found`` for an unknown ID or a private channel it was not invited to
    (Slack's conversations.history reference, "Errors"). Newest messages first, ``limit`` default 100."""
    channel_id = str(req.params.get("channel", ""))
    if not channel_id:
        raise SlackError("channel_not_found")
    found = fake.channels.get(channel_id)
    if channel_id.startswith("D") and channel_id in fake._dms.values():
        found = Channel(channel_id, "", bot_is_member=True, is_private=True)
    if found is None or (found.is_private and not found.bot_is_member):
        raise SlackError("channel_not_found")
    if not found.bot_is_member:
        raise SlackError("not_in_channel")
    try:
        limit = max(1, min(999, int(req.params.get("limit") or 100)))
    except ValueError:
        raise SlackError("invalid_limit") from None
    messages = list(reversed(fake.messages.get(channel_id, [])))
    return {"messages": messages[:limit], "has_more": len(messages) > limit, "pin_count": 0,
            "channel_actions_ts": None, "channel_actions_count": 0,
            "response_metadata": {"next_cursor": ""}}


def _users_info(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    user = fake.users.get(str(req.params.get("user", "")))
    if user is None:
        raise SlackError("user_not_found")
    user = json.loads(json.dumps(user))
    # Slack adds the person's locale only when asked (include_locale=true; slack_sdk sends 1).
    if str(req.params.get("include_locale", "")).lower() in ("1", "true"):
        user["locale"] = fake.locales.get(user["id"], DEFAULT_LOCALE)
    return {"user": user}


def _usergroups_users_list(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    members = fake.usergroups.get(str(req.params.get("usergroup", "")))
    if members is None:
        raise SlackError("no_such_subteam")
    return {"users": list(members)}


def _views_open(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    view = fake._checked_view(req, ("modal",))
    fake._consume_trigger(req.params.get("trigger_id"))
    stored = fake._store_view(view)
    fake._modal_stack[:] = [stored["id"]]
    return {"view": stored}


def _views_push(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    view = fake._checked_view(req, ("modal",))
    fake._consume_trigger(req.params.get("trigger_id"))
    if len(fake._modal_stack) >= MAX_MODAL_STACK:
        raise SlackError("push_limit_reached")
    root = fake._modal_stack[0] if fake._modal_stack else None
    previous = fake._modal_stack[-1] if fake._modal_stack else None
    stored = fake._store_view(view, root_view_id=root, previous_view_id=previous)
    fake._modal_stack.append(stored["id"])
    return {"view": stored}


def _views_update(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    view = fake._checked_view(req, ("modal", "home"))
    view_id = req.params.get("view_id") or fake._external_ids.get(str(req.params.get("external_id", "")))
    if not req.params.get("view_id") and not req.params.get("external_id"):
        raise SlackError("invalid_arguments",
                         response_metadata={"messages": ["[ERROR] view_id or external_id is required"]})
    existing = fake.views.get(str(view_id)) if view_id else None
    if existing is None:
        raise SlackError("not_found")
    if req.params.get("hash") and req.params["hash"] != existing["hash"]:
        raise SlackError("hash_conflict")
    stored = fake._store_view(view, view_id=existing["id"], root_view_id=existing["root_view_id"],
                              previous_view_id=existing["previous_view_id"])
    return {"view": stored}


def _views_publish(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    user_id = str(req.params.get("user_id", ""))
    if user_id not in fake.users:
        raise SlackError("user_not_found")
    view = fake._checked_view(req, ("home",))
    existing = fake.home_views.get(user_id)
    if existing and req.params.get("hash") and req.params["hash"] != existing["hash"]:
        raise SlackError("hash_conflict")
    stored = fake._store_view(view, view_id=existing["id"] if existing else None)
    fake.home_views[user_id] = stored
    return {"view": stored}


def _apps_connections_open(fake: FakeSlack, req: ApiRequest) -> dict[str, Any]:
    ticket = str(uuid.uuid4())
    fake._tickets.add(ticket)
    return {"url": f"ws://{fake.host}:{fake.ws_port}/link/?ticket={ticket}&app_id={fake.team.app_id}"}


METHODS: dict[str, MethodSpec] = {
    "auth.test": MethodSpec(_auth_test),
    "chat.postMessage": MethodSpec(_chat_post_message),
    "chat.update": MethodSpec(_chat_update),
    "chat.postEphemeral": MethodSpec(_chat_post_ephemeral),
    "chat.getPermalink": MethodSpec(_chat_get_permalink),
    "conversations.open": MethodSpec(_conversations_open),
    "conversations.history": MethodSpec(_conversations_history),
    "users.info": MethodSpec(_users_info),
    "usergroups.users.list": MethodSpec(_usergroups_users_list),
    "views.open": MethodSpec(_views_open),
    "views.push": MethodSpec(_views_push),
    "views.update": MethodSpec(_views_update),
    "views.publish": MethodSpec(_views_publish),
    "apps.connections.open": MethodSpec(_apps_connections_open, token="app"),
}


# --------------------------------------------------------------------------------------------------
# request parsing and the HTTP handler


def _parse_params(query: str, body: str, content_type: str) -> tuple[dict[str, Any], list[str]]:
    """Query string + form or JSON body -> params (JSON-valued form fields decoded); warnings."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    warnings: list[str] = []
    ctype = content_type.lower()
    if "application/json" in ctype:
        if "charset" not in ctype:
            warnings.append("missing_charset")
        if body.strip():
            try:
                decoded = json.loads(body)
            except ValueError:
                decoded = None
            if isinstance(decoded, dict):
                params.update(decoded)
            else:
                params["_invalid_json"] = body
    elif body:
        if "charset" in ctype:
            warnings.append("superfluous_charset")
        params.update(parse_qsl(body, keep_blank_values=True))
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params, warnings


def _make_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True
        server_version = "FakeSlack/1.0"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def _serve(self, http_method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
            url = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            content_type = headers.get("content-type", "")
            if url.path.startswith("/api/"):
                method = url.path[len("/api/"):].strip("/")
                status, extra, answer = fake.handle_api(http_method, method, url.query, body,
                                                        content_type, headers)
            elif url.path.startswith("/hooks/") and http_method == "POST":
                status, extra, answer = 200, {}, fake.handle_hook(url.path, body, content_type, headers)
            else:
                status, extra, answer = 404, {}, {"ok": False, "error": "not_found"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            self._serve("GET")

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            self._serve("POST")

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the fake Slack Web API + Socket Mode server.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ws-port", type=int, default=0)
    parser.add_argument("--bot-token", default=DEFAULT_BOT_TOKEN)
    parser.add_argument("--app-token", default=DEFAULT_APP_TOKEN)
    args = parser.parse_args(argv)
    with FakeSlack(port=args.port, ws_port=args.ws_port, bot_tokens=(args.bot_token,),
                   app_tokens=(args.app_token,)) as fake:
        print(f"SLACK_API_URL={fake.api_url}", flush=True)
        print(f"socket mode on ws://{fake.host}:{fake.ws_port}/link/ (via apps.connections.open)", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
