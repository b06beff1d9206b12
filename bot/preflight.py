"""Start-up checks of ``run`` and ``sweep`` (and ``doctor``): each problem becomes one sentence.

An operator's mistake (a key missing from ENCRYPTION_KEYS, a database that does not answer, a
Slack token Slack refuses) is reported as one sentence that names the setting and says what to do;
the command exits with code 2 before it posts anything to Slack or changes any row.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar
from urllib.error import URLError

import sqlalchemy as sa
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import make_url

from bot.i18n import t
from bot.redaction import redact
from bot.settings import DEFAULT_SLACK_API_URL, Settings
from storage.crypto import Crypto
from storage.keycheck import key_ids_in_use

T = TypeVar("T")

# auth.test errors that mean "this token is not (or no longer) valid" (Slack's auth.test reference).
TOKEN_REJECTED = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "not_allowed_token_type", "no_permission", "team_access_not_granted", "org_login_required",
    "ekm_access_denied", "missing_scope",
})


class StartupError(Exception):
    """Something the operator must fix before the bot can run: one sentence, never a secret (exit 2)."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


def short_reason(exc: BaseException, secret: str | None = None) -> str:
    """The first line of an error, redacted, at most 200 characters (``secret`` masked when given)."""
    inner: object = getattr(exc, "orig", None) or exc
    if isinstance(inner, URLError):  # urllib (slack_sdk's WebClient) wraps the socket error
        inner = inner.reason
    if isinstance(inner, OSError) and inner.strerror:
        inner = inner.strerror
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    if secret:
        text = text.replace(secret, "***")
    return redact(text)[:200].rstrip(" .:")


def database_problem(settings: Settings, exc: BaseException) -> str:
    """The sentence for a database that cannot be reached or opened (the password never appears)."""
    url = make_url(settings.database_url)
    reason = short_reason(exc, url.password if isinstance(url.password, str) else None)
    if url.get_backend_name() == "sqlite":
        return t("general.startup.sqlite_unopenable", where=url.database or "(memory)", reason=reason)
    where = f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"
    return t("general.startup.database_unreachable", where=where, reason=reason)


def on_database(settings: Settings, step: Callable[[], T]) -> T:
    """Run ``step``; a database that does not answer (or a SQLite file that cannot be opened) raises
    StartupError with the sentence for it. Other errors (a bug, a failed migration) propagate as they are."""
    try:
        return step()
    except (sa.exc.OperationalError, sa.exc.InterfaceError, OSError) as exc:
        raise StartupError(database_problem(settings, exc)) from None


def _quoted(kids: Iterable[str]) -> str:
    """``'kidA', 'kidB'``: the key ids for ``{kids}`` (the sentence itself says "key")."""
    return t("general.list_separator").join(f"'{k}'" for k in sorted(kids))


def missing_key_file_problem(kids: Iterable[str], path: Path) -> str:
    return t("general.startup.missing_key_file", kids=_quoted(kids), path=path)


def missing_keys(settings: Settings, engine: sa.Engine, crypto: Crypto) -> list[str]:
    """The key ids the database's ciphertexts use that ``crypto`` does not hold (sorted)."""
    return sorted(on_database(settings, lambda: key_ids_in_use(engine)) - set(crypto.kids))


def missing_keys_problem(settings: Settings, missing: Iterable[str]) -> str:
    source = "ENCRYPTION_KEYS" if settings.encryption_keys else f"the key file {settings.data_dir / 'encryption.key'}"
    return t("general.startup.missing_keys", kids=_quoted(missing), source=source)


def require_keys(settings: Settings, engine: sa.Engine, crypto: Crypto) -> None:
    """Raise StartupError when a stored ciphertext's key is not in ENCRYPTION_KEYS (or the key file)."""
    missing = missing_keys(settings, engine, crypto)
    if missing:
        raise StartupError(missing_keys_problem(settings, missing))


def slack_unreachable_problem(settings: Settings, exc: BaseException) -> str:
    return t("general.startup.slack_unreachable", url=settings.slack_api_url, reason=short_reason(exc),
             default=DEFAULT_SLACK_API_URL)


def slack_error(exc: SlackApiError) -> str:
    response = exc.response
    error = response.get("error") if response is not None else None
    return str(error or "unknown_error")[:80]


# slack_sdk logs every failed attempt at ERROR; at start-up the one sentence below says it all.
_QUIET_SLACK_LOGGER = logging.getLogger("bot.preflight.slack")
_QUIET_SLACK_LOGGER.setLevel(logging.CRITICAL)


def not_slack(exc: SlackApiError) -> bool:
    """True when the answer was no Slack Web API answer at all (no ``error`` field: HTML, a 404...)."""
    response = exc.response
    return response is None or not isinstance(response.data, dict) or not response.get("error")


def not_slack_problem(settings: Settings, exc: SlackApiError) -> str:
    status = exc.response.status_code if exc.response is not None else "?"
    return t("general.startup.slack_not_slack", url=settings.slack_api_url, status=status,
             default=DEFAULT_SLACK_API_URL)


def check_bot_token(settings: Settings, client: WebClient | None = None) -> dict[str, Any]:
    """``auth.test`` with SLACK_BOT_TOKEN; returns Slack's answer or raises StartupError."""
    if client is None:
        from bot.app import build_web_client  # bot.app imports the services, which import this module

        client = build_web_client(settings, logger=_QUIET_SLACK_LOGGER)
    try:
        return dict(client.auth_test().data)  # type: ignore[arg-type]  # .data is dict | bytes; auth.test answers JSON
    except SlackApiError as exc:
        if not_slack(exc):
            raise StartupError(not_slack_problem(settings, exc)) from None
        error = slack_error(exc)
        key = "general.startup.slack_token_rejected" if error in TOKEN_REJECTED else "general.startup.slack_error"
        raise StartupError(t(key, error=error, setting="SLACK_BOT_TOKEN")) from None
    except (SlackClientError, OSError) as exc:  # urllib's URLError, refused connections, timeouts
        raise StartupError(slack_unreachable_problem(settings, exc)) from None


def app_token_problem(settings: Settings, exc: BaseException) -> str:
    """The sentence for a Socket Mode connection that could not be opened with SLACK_APP_TOKEN."""
    if isinstance(exc, SlackApiError):
        if not_slack(exc):
            return not_slack_problem(settings, exc)
        error = slack_error(exc)
        if error in TOKEN_REJECTED:
            return t("general.startup.slack_app_token_rejected", error=error)
        return t("general.startup.slack_error", error=error, setting="SLACK_APP_TOKEN")
    return slack_unreachable_problem(settings, exc)
