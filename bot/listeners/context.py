"""The Slack edge's one request context: who sent this (an :class:`Actor` on Bolt's ``context``), the one
reading of Slack error codes, the one reading of form values, and the one error handler.

``install(app, admin_user_ids)`` registers the middleware that puts ``context["actor"]`` on every request and
the ``@app.error`` handler. Listeners take ``context`` (Bolt injects it) and read ``context["actor"]``
instead of parsing the body themselves; the authorization decisions are ``bot.flows.authz``'s.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from typing import Any

from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.after_ack import AfterAck
from bot.flows import authz
from bot.i18n import DEFAULT_LOCALE, LOCALES, resolve_locale, supported, t
from bot.locales import Locales, users_info
from bot.payload import get_str, selected_value, state_values
from bot.response_url import GuardedRespond
from bot.slack_errors import slack_error
from bot.views.blocks import Words

log = logging.getLogger(__name__)

ACTOR = "actor"  # the key of the Actor on Bolt's context


def user_id_of(body: Any) -> str:
    """The person who sent a payload: ``user.id`` (interactions), ``user_id`` (commands), ``event.user``."""
    return get_str(body, "user", "id") or get_str(body, "user_id") or get_str(body, "event", "user")


def team_id_of(body: Any) -> str:
    """The workspace a payload came from: ``team.id``, ``team_id``, else the user's ``team_id``."""
    return get_str(body, "team", "id") or get_str(body, "team_id") or get_str(body, "user", "team_id")


def form_values(view: Any) -> dict[str, str | None]:
    """{action_id: submitted value} from a view submission's ``view.state.values`` (by the input's type)."""
    result: dict[str, str | None] = {}
    for actions in state_values(view).values():
        for action_id, state in actions.items():
            result[action_id] = selected_value(state)
    return result


class Actor:
    """The person a request comes from, read once per request by the middleware.

    ``lookup()`` asks ``users.info`` on first use only and keeps the answer for the rest of the request
    (a listener run after the ack shares it: Bolt's deep copy of the context returns this same object; a
    worker rebuilds the actor from its job, with the language the web tier knew). A person in
    ADMIN_USER_IDS, or a request without a user, needs no lookup for that.

    ``locale`` (the reader's language) is worked out on first read, not before: the language the request
    carries (``assume_locale``: a form answered in the language it was written in), else the person's own choice
    (``/connect-amazon language``), else their Slack locale (cached across requests by ``locales``; when
    not cached, the same one ``users.info`` call the admin flags use, so a request costs at most one),
    else English. A request that never speaks to the person never asks.
    """

    def __init__(self, *, user_id: str, team_id: str, client: Any, admin_user_ids: Collection[str],
                 locale: str | None = None, locales: Locales | None = None) -> None:
        self.user_id = user_id
        self.team_id = team_id
        self._client = client
        self._admin_user_ids = frozenset(admin_user_ids)
        self._locales = locales
        self._lock = threading.RLock()
        self._user: tuple[dict[str, Any] | None, str | None] | None = None  # users.info: (user, error)
        self._looked_up: tuple[authz.Actor, str | None] | None = None
        self._locale = supported(locale) if locale is not None else None
        self._known_read = False  # Locales.known asked already (its answer, None included, in _known_value)
        self._known_value: str | None = None

    def __repr__(self) -> str:
        return f"Actor(user_id={self.user_id!r}, team_id={self.team_id!r})"

    @property
    def locale(self) -> str:
        """The reader's catalog (a ``bot.i18n.LOCALES`` key), worked out on first read."""
        with self._lock:
            if self._locale is None:
                self._locale = self._resolve_locale()
            return self._locale

    def known_locale(self) -> str | None:
        """The reader's language when it is known without asking Slack (worked out already, their own
        choice, or their cached Slack locale), else None. What the web tier puts in a job's payload."""
        with self._lock:
            if self._locale is not None:
                return self._locale
        if not self.user_id:
            return DEFAULT_LOCALE
        if self._locales is None:
            return None
        known = self._known()
        if known is not None:
            with self._lock:  # what ``locale`` would work out first (the same order): read once per request
                if self._locale is None:
                    self._locale = known
                return self._locale
        return None

    def _known(self) -> str | None:
        """``Locales.known`` for this person, asked once per request (a database read); None when only Slack
        can say."""
        with self._lock:
            if self._known_read:
                return self._known_value
        assert self._locales is not None
        known = self._locales.known(self.team_id, self.user_id)
        with self._lock:
            self._known_read, self._known_value = True, known
        return known

    def offline(self) -> Actor:
        """This person without a Web API client: their language is the known one, else English, and no
        answer costs a Slack call (what the web tier uses before an ack)."""
        return Actor(user_id=self.user_id, team_id=self.team_id, client=None, admin_user_ids=self._admin_user_ids,
                     locale=self.known_locale() or DEFAULT_LOCALE, locales=self._locales)

    def assume_locale(self, locale: str | None) -> None:
        """Answer in ``locale`` (a ``LOCALES`` key the request itself carries, e.g. the language a form was
        written in) unless the language is worked out already; None changes nothing."""
        if locale is None or locale not in LOCALES:
            return
        with self._lock:
            if self._locale is None:
                self._locale = locale

    def forget_locale(self) -> None:
        """Work the language out again on the next read (the person just changed their choice)."""
        with self._lock:
            self._locale = None
            self._known_read = False

    @property
    def words(self) -> Words:
        """The reader's language for everything answered to this person."""
        return Words(self.locale)

    def __deepcopy__(self, memo: dict[int, Any]) -> Actor:
        return self  # one lookup per request, whether the ack listener or a lazy listener makes it

    @property
    def listed(self) -> bool:
        """In ADMIN_USER_IDS."""
        return bool(self.user_id) and self.user_id in self._admin_user_ids

    def _slack_user(self) -> tuple[dict[str, Any] | None, str | None]:
        """This request's one ``users.info`` answer (with the locale, which is remembered for later
        requests): (user, None), or (None, Slack's error)."""
        with self._lock:
            if self._user is None:
                self._user = users_info(self._client, self.user_id)
                user = self._user[0]
                if user is not None and self._locales is not None:
                    self._locales.remember(self.team_id, self.user_id, user.get("locale"))
            return self._user

    def _resolve_locale(self) -> str:
        if not self.user_id:
            return DEFAULT_LOCALE
        if self._locales is not None:
            known = self._known()
            if known is not None:
                return known
        if self._client is None:
            return DEFAULT_LOCALE
        user, _error = self._slack_user()  # a failure is logged there; the person reads English
        if user is None:
            return DEFAULT_LOCALE
        slack_locale = user.get("locale")
        return resolve_locale(slack_locale if isinstance(slack_locale, str) else None)

    def lookup(self) -> tuple[authz.Actor, str | None]:
        """The person's workspace admin/owner flags as ``authz.Actor``, and the Slack error if users.info
        failed (the flags then read False). One rule: admin is ``is_admin``; owner is ``is_owner`` or
        ``is_primary_owner``."""
        with self._lock:
            if self._looked_up is None:
                self._looked_up = self._ask()
            return self._looked_up

    def _ask(self) -> tuple[authz.Actor, str | None]:
        if not self.user_id or self.listed or self._client is None:
            return authz.Actor(user_id=self.user_id), None
        user, error = self._slack_user()
        if user is None:
            return authz.Actor(user_id=self.user_id), error
        return authz.Actor(user_id=self.user_id, is_workspace_admin=bool(user.get("is_admin")),
                           is_workspace_owner=bool(user.get("is_owner") or user.get("is_primary_owner"))), None

    def is_admin(self) -> bool:
        """In ADMIN_USER_IDS, or a workspace admin or owner (False when Slack cannot say)."""
        actor, _error = self.lookup()
        return authz.may_administer(actor, self._admin_user_ids)

    def user_facts(self, connect_allowed: str) -> authz.UserFacts:
        """The facts the CONNECT_ALLOWED policy needs (no Slack call for ``everyone``)."""
        is_admin = False
        if authz.needs_admin_lookup(connect_allowed, self.user_id, self._admin_user_ids):
            actor, error = self.lookup()
            if error is not None:
                log.warning("treating %s as not an admin: users.info failed (%s)", self.user_id, error)
            is_admin = actor.is_workspace_admin or actor.is_workspace_owner
        groups: set[str] = set()
        for group in authz.usergroups_to_check(connect_allowed):
            try:
                members = self._client.usergroups_users_list(usergroup=group)["users"] or []
            except (SlackApiError, SlackClientError) as exc:
                log.warning("usergroups.users.list %s failed (%s)", group, slack_error(exc))
                continue
            if self.user_id in members:
                groups.add(group)
        return authz.UserFacts(user_id=self.user_id, is_admin=is_admin, groups=frozenset(groups))

    def may_connect(self, connect_allowed: str) -> bool:
        """CONNECT_ALLOWED, decided by ``authz.may_connect`` over this person's facts."""
        if connect_allowed == "everyone":
            return bool(self.user_id)
        return authz.may_connect(connect_allowed, self.user_facts(connect_allowed), self._admin_user_ids)


def actor_of(context: BoltContext) -> Actor:
    """The request's actor (the middleware always sets one)."""
    actor = context.get(ACTOR)
    if not isinstance(actor, Actor):  # a request that bypassed the middleware (never in the running bot)
        actor = Actor(user_id="", team_id="", client=context.client, admin_user_ids=())
    return actor


def report_failure(error: Exception, body: Any, context: BoltContext) -> None:
    """A listener (or its work after the ack) raised: log it (redacted, as every log line is), tell the
    person, never show a traceback."""
    if isinstance(error, SlackClientError):
        log.warning("a listener failed: Slack answered %s", slack_error(error))
    else:
        log.error("a listener failed", exc_info=error)
    try:
        try:
            text = actor_of(context).words.text("general.listener_failed")  # in the person's language
        except Exception:  # noqa: BLE001 - their language cannot be rendered: English, which always can
            text = t("general.listener_failed")
        answer_person(context, body, text)
    except Exception as exc:  # noqa: BLE001 - the error is logged above; the answer is best effort
        log.warning("could not tell the person about the error: %s", slack_error(exc))


def after_ack(after: AfterAck, context: BoltContext, body: Any, work: Callable[[], None]) -> None:
    """What a listener does after its ``ack()``: ``work`` runs once the acks waiting behind this one are
    out (``bot.after_ack``); if it raises, the person is told as for any listener failure."""
    after.submit(work, on_error=lambda error: report_failure(error, body, context))


def answer_person(context: BoltContext, body: Any, text: str) -> None:
    """An ephemeral answer to the person: through Bolt's GuardedRespond, else the Web API (ephemeral in the
    channel, else a DM)."""
    respond = context.get("respond")
    if not isinstance(respond, GuardedRespond):
        channel = get_str(body, "channel", "id") or get_str(body, "channel_id") or None
        respond = GuardedRespond(response_url=None, client=context.client, user_id=actor_of(context).user_id
                                 or None, channel_id=channel)
    respond(text=text, response_type="ephemeral", replace_original=False)


class ActorMiddleware(Middleware):
    """Puts the request's :class:`Actor` in ``context["actor"]``. A ``Middleware`` object: Bolt calls its
    ``process`` as it is, where a plain function would have its arguments worked out by name per request."""

    def __init__(self, admin_user_ids: Collection[str], locales: Locales) -> None:
        self.admin_user_ids = frozenset(admin_user_ids)
        self.locales = locales

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:  # noqa: A002 - Bolt's name
        context, body = req.context, req.body
        context[ACTOR] = Actor(user_id=user_id_of(body), team_id=team_id_of(body), client=context.client,
                               admin_user_ids=self.admin_user_ids, locales=self.locales)
        return next()


def install(app: App, admin_user_ids: Collection[str], locales: Locales | None = None) -> None:
    """Register the actor middleware and the one error handler on ``app`` (ADMIN_USER_IDS: ``admin_user_ids``;
    ``locales``: the bot's one ``Locales``, which remembers Slack locales across requests; without it the
    app keeps its own, with no stored choices)."""
    book = locales if locales is not None else Locales(None)

    app.use(ActorMiddleware(admin_user_ids, book))

    @app.error
    def on_error(error: Exception, body: dict[str, Any], context: BoltContext) -> BoltResponse | None:
        """A listener raised: Slack's answer for an unacknowledged request stays Bolt's (HTTP 500, no body)."""
        report_failure(error, body, context)
        return None
