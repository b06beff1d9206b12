"""Where the bot may post a payload's ``response_url``: Slack's hooks host, or the origin of SLACK_API_URL.

A ``response_url`` (or ``response_urls[].response_url``) arrives inside the payload, so it is input like any
other: posting to whatever it names would let a signed-but-crafted payload, or a replayed one, make the bot
send messages to ``http://127.0.0.1:…`` or any host. :func:`ResponseUrlPolicy.allows` is the one check:
``https://hooks.slack.com/…`` on the default port, or exactly the scheme, host and port of SLACK_API_URL (so
a local fake Slack keeps working).

:func:`install` adds a Bolt middleware that runs for every request, HTTP and Socket Mode alike, and replaces
the ``respond`` that listeners receive with a :class:`GuardedRespond`: it posts to the response_url only when
the policy allows it, and otherwise (or when that post fails) answers with chat.postEphemeral, or a DM
when there is no channel. A refused URL is logged by its origin only, never its secret path.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.context.respond import Respond
from slack_bolt.middleware import Middleware
from slack_sdk.errors import SlackClientError

log = logging.getLogger(__name__)

SLACK_HOOKS_ORIGIN = ("https", "hooks.slack.com", 443)
MAX_URL_LENGTH = 2048
_DEFAULT_PORTS = {"https": 443, "http": 80}
_PLAIN_URL = re.compile(r"[!-~]+")  # printable ASCII, no spaces, no control characters
_HOST = re.compile(r"[a-z0-9.\-]+|\[[0-9a-f:.]+\]")

Origin = tuple[str, str, int]


def origin_of(url: object) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL without user info, or None for anything else."""
    if not isinstance(url, str) or not 0 < len(url) <= MAX_URL_LENGTH or not _PLAIN_URL.fullmatch(url):
        return None
    if "\\" in url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or "@" in parts.netloc or not parts.hostname:
        return None
    host = parts.hostname.lower().rstrip(".")
    if not _HOST.fullmatch(host if ":" not in host else f"[{host}]"):
        return None
    return scheme, host, port if port is not None else _DEFAULT_PORTS[scheme]


def describe(url: object) -> str:
    """A URL as it may be logged: its origin only (the path of a response_url is a bearer secret)."""
    found = origin_of(url)
    if found is None:
        return "an unusable URL" if isinstance(url, str) else f"a {type(url).__name__}"
    scheme, host, port = found
    return f"{scheme}://{host[:80]}:{port}"


class ResponseUrlPolicy:
    """Allows ``https://hooks.slack.com/…`` (default port) and the origin of SLACK_API_URL, nothing else."""

    def __init__(self, slack_api_url: str) -> None:
        self.allowed: frozenset[Origin] = frozenset(
            o for o in (SLACK_HOOKS_ORIGIN, origin_of(slack_api_url)) if o is not None)

    def allows(self, url: object) -> bool:
        found = origin_of(url)
        return found is not None and found in self.allowed


class GuardedRespond(Respond):
    """Bolt's ``respond`` behind the policy, falling back to the Web API (chat.postEphemeral, else a DM)."""

    def __init__(self, *, response_url: str | None, client: Any, user_id: str | None, channel_id: str | None,
                 proxy: str | None = None, ssl: Any = None) -> None:
        super().__init__(response_url=response_url, proxy=proxy, ssl=ssl)
        self.client = client
        self.user_id = user_id
        self.channel_id = channel_id

    def __call__(self, text: str | dict[str, Any] = "", blocks: Sequence[Any] | None = None,
                 attachments: Sequence[Any] | None = None, response_type: str | None = None,
                 replace_original: bool | None = None, delete_original: bool | None = None,
                 unfurl_links: bool | None = None, unfurl_media: bool | None = None, thread_ts: str | None = None,
                 metadata: dict[str, Any] | None = None) -> Any:
        if self.response_url is not None:
            try:
                response = super().__call__(
                    text=text, blocks=blocks, attachments=attachments, response_type=response_type,
                    replace_original=replace_original, delete_original=delete_original, unfurl_links=unfurl_links,
                    unfurl_media=unfurl_media, thread_ts=thread_ts, metadata=metadata)
                if getattr(response, "status_code", 200) < 400:
                    return response
                log.warning("the response_url answered HTTP %s: answering with the Web API",
                            getattr(response, "status_code", "?"))
            except Exception as exc:  # noqa: BLE001 - any failure: fall back to the Web API
                log.warning("the response_url answer failed (%s): answering with the Web API", type(exc).__name__)
        if isinstance(text, dict):
            message = text
            text, blocks = str(message.get("text") or ""), message.get("blocks")
        return self.fallback(text, blocks)

    def fallback(self, text: str, blocks: Sequence[Any] | None = None) -> Any:
        """The same answer through the Web API: ephemeral in the channel, else (or if that fails) a DM."""
        if not self.user_id or self.client is None:
            log.warning("no response_url and no user to answer")
            return None
        extra: dict[str, Any] = {"blocks": list(blocks)} if blocks else {}
        if self.channel_id:
            try:
                return self.client.chat_postEphemeral(channel=self.channel_id, user=self.user_id, text=text,
                                                      **extra)
            except SlackClientError as exc:
                log.warning("chat.postEphemeral to %s failed (%s): sending a DM", self.user_id, type(exc).__name__)
        try:
            dm = self.client.conversations_open(users=self.user_id)["channel"]["id"]
            return self.client.chat_postMessage(channel=dm, text=text, **extra)
        except (SlackClientError, KeyError, TypeError) as exc:
            log.warning("could not answer %s: %s", self.user_id, type(exc).__name__)
            return None


def guard_context(context: BoltContext, policy: ResponseUrlPolicy) -> None:
    """Drop a refused response_url from ``context`` and give it a :class:`GuardedRespond`."""
    url = context.response_url
    if url is not None and not policy.allows(url):
        log.warning("refused to post to a response_url at %s (only Slack's own are used): answering with the "
                    "Web API", describe(url))
        url = None
    context["response_url"] = url
    user_id, channel_id = context.user_id, context.channel_id
    client = context.client
    context["respond"] = GuardedRespond(
        response_url=url, client=client, user_id=user_id if isinstance(user_id, str) else None,
        channel_id=channel_id if isinstance(channel_id, str) else None,
        proxy=getattr(client, "proxy", None), ssl=getattr(client, "ssl", None))


def install(app: App, slack_api_url: str) -> ResponseUrlPolicy:
    """Register the middleware on ``app`` (before any listener runs); returns the policy it uses."""
    policy = ResponseUrlPolicy(slack_api_url)
    app.use(ResponseUrlGuard(policy))
    return policy


class ResponseUrlGuard(Middleware):
    """The middleware :func:`install` registers: Bolt calls a ``Middleware`` object's ``process`` as it is,
    where a plain function would have its arguments worked out by name on every request."""

    def __init__(self, policy: ResponseUrlPolicy) -> None:
        self.policy = policy

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        guard_context(req.context, self.policy)
        return next()
