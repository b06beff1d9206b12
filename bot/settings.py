"""One Settings object, read from the environment and ``.env``.

Every problem is reported as one plain sentence that names the variable and says where its
value comes from; the caller prints them and exits with code 2.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

from dotenv import dotenv_values

from bot.i18n import DEFAULT_LOCALE, LOCALES
from bot.redaction import hide_password

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
DEFAULT_DATABASE_URL = "sqlite:///./data/bot.db"
DEFAULT_REMINDER_DAYS = (30, 14, 7, 3, 1)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_APP = "the Slack app you created from manifest.yml (https://api.slack.com/apps)"
_BOT_TOKEN_HELP = (
    f"copy the Bot User OAuth Token from the OAuth & Permissions page of {_APP}; it starts with xoxb-"
)
_APP_TOKEN_HELP = (
    f"create an App-Level Token with the connections:write scope on the Basic Information page of {_APP}"
    "; it starts with xapp- (leave it unset to run in HTTP mode)"
)
_SIGNING_HELP = (
    f"copy the Signing Secret from the App Credentials section of the Basic Information page of {_APP}"
    "; it is 32 hexadecimal characters"
)
_CHANNEL_HELP = (
    "set it to the ID of the team channel for connection news (open the channel, click its name, the "
    "Channel ID at the bottom starts with C or G) and invite the bot there"
)


class SettingsError(Exception):
    """Raised with one sentence per problem; never contains a secret value."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False, default="")
    slack_signing_secret: str = field(repr=False, default="")
    slack_app_token: str = field(repr=False, default="")
    slack_api_url: str = DEFAULT_SLACK_API_URL
    port: int = 3000
    notify_channel: str = ""
    database_url: str = DEFAULT_DATABASE_URL
    encryption_keys: str = field(repr=False, default="")
    lwa_token_url: str = DEFAULT_LWA_TOKEN_URL
    sp_api_endpoint: str | None = None
    log_level: str = "INFO"
    sweep_interval_seconds: int = 15 * 60
    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS
    health_check_hours: int = 24
    admin_user_ids: frozenset[str] = frozenset()
    connect_allowed: str = "everyone"
    http_threads: int = 16
    listener_threads: int = 16  # the web tier only acks and queues (the work is in the workers)
    workers: int = 1  # worker processes `run` starts (0: none; run `python -m bot worker` separately)
    worker_threads: int = 8  # WORKER_THREADS: jobs one worker process runs at a time (each waits on Amazon alone)
    data_dir: Path = Path("./data")
    team_language: str = "en"  # TEAM_LANGUAGE: the language of channel posts (a bot.i18n.LOCALES key)
    api_rate_limit: int = 120  # API_RATE_LIMIT: requests a minute per tool key (per replica), bot.api
    # Automatic client-secret rotation (bot.jobs.rotation_queue): the SQS queue Amazon sends the
    # rotation notifications to; unset, none of it runs. AWS credentials and region: boto3's own chain.
    rotation_queue_url: str = ""
    rotate_before_days: int = 7

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    def __repr__(self) -> str:
        """Every field but the tokens and keys; DATABASE_URL without its password."""
        shown = []
        for f in fields(self):
            if f.repr:
                value = getattr(self, f.name)
                shown.append(f"{f.name}={hide_password(value) if f.name == 'database_url' else value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


def read_environment(environ: Mapping[str, str] | None = None, env_file: str | Path = ".env") -> dict[str, str]:
    """The process environment over the values of ``.env`` (the environment wins)."""
    values: dict[str, str] = {}
    path = Path(env_file)
    if path.is_file():
        values.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return values


_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_CHANNEL = re.compile(r"^[CGD][A-Z0-9]{6,}$")  # an ID: a #name is refused (names change, IDs do not)
_USER_OR_GROUP = re.compile(r"^[UWS][A-Z0-9]{6,}$")


def _duration_seconds(text: str) -> int | None:
    m = re.fullmatch(r"\s*(\d+)\s*([smh]?)\s*", text)
    if not m:
        return None
    n = int(m.group(1))
    return n * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]


def load_settings(
    environ: Mapping[str, str] | None = None,
    *,
    need_slack: bool = True,
    env_file: str | Path = ".env",
) -> Settings:
    """Build Settings or raise SettingsError listing every problem at once.

    ``need_slack`` is False for commands that never talk to Slack (rotate-key).
    """
    env = read_environment(environ, env_file)
    problems: list[str] = []

    def get(name: str) -> str:
        return (env.get(name) or "").strip()

    bot_token = get("SLACK_BOT_TOKEN")
    app_token = get("SLACK_APP_TOKEN")
    signing_secret = get("SLACK_SIGNING_SECRET")
    notify_channel = get("NOTIFY_CHANNEL")
    if need_slack:
        if not bot_token:
            problems.append(f"SLACK_BOT_TOKEN is missing: {_BOT_TOKEN_HELP}.")
        elif not bot_token.startswith("xoxb-"):
            problems.append(f"SLACK_BOT_TOKEN does not look like a bot token: {_BOT_TOKEN_HELP}.")
        if app_token and not app_token.startswith("xapp-"):
            problems.append(f"SLACK_APP_TOKEN does not look like an app-level token: {_APP_TOKEN_HELP}.")
        if not app_token and not signing_secret:
            problems.append(
                "SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is needed: set SLACK_APP_TOKEN to run in Socket Mode, "
                "the default way: an App-Level Token with the connections:write scope, made on the Basic "
                f"Information page of {_APP}, starting with xapp-; or set SLACK_SIGNING_SECRET to run in HTTP "
                "mode: the Signing Secret in the App Credentials section of that page, 32 hexadecimal characters."
            )
        elif signing_secret and not re.fullmatch(r"[0-9a-fA-F]{32}", signing_secret):
            problems.append(f"SLACK_SIGNING_SECRET does not look like a signing secret: {_SIGNING_HELP}.")
        if not notify_channel:
            problems.append(f"NOTIFY_CHANNEL is missing: {_CHANNEL_HELP}.")
        elif notify_channel.startswith("#"):
            problems.append(
                f"NOTIFY_CHANNEL '{notify_channel[:40]}' is a channel name, and the bot needs the channel's ID: "
                f"{_CHANNEL_HELP}."
            )
        elif not _CHANNEL.match(notify_channel):
            problems.append(f"NOTIFY_CHANNEL '{notify_channel[:40]}' is not a channel ID: {_CHANNEL_HELP}.")

    slack_api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not _URL.match(slack_api_url):
        problems.append(
            "SLACK_API_URL is not an http(s) URL: leave it unset for Slack itself "
            f"({DEFAULT_SLACK_API_URL}) or point it at a Slack-compatible API such as a local fake."
        )
    elif not slack_api_url.endswith("/"):
        slack_api_url += "/"

    def whole(name: str, default: int, low: int, high: int, problem: str) -> int:
        """The setting ``name`` as a whole number in [low, high]; ``default`` when unset; else ``problem``."""
        if not get(name):
            return default
        if get(name).isdigit() and low <= int(get(name)) <= high:
            return int(get(name))
        problems.append(problem)
        return default

    port = whole("PORT", 3000, 1, 65535, "PORT must be a TCP port number between 1 and 65535 (default 3000).")

    database_url = get("DATABASE_URL") or DEFAULT_DATABASE_URL
    if database_url.startswith("postgres://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
    if not (database_url.startswith("sqlite:///") or database_url.startswith("postgresql+psycopg://")):
        problems.append(
            "DATABASE_URL must be sqlite:///path/to/file.db or postgresql://user@host:port/dbname "
            f"(default {DEFAULT_DATABASE_URL})."
        )

    encryption_keys = get("ENCRYPTION_KEYS")
    if encryption_keys:
        from storage.crypto import parse_keys

        try:
            parse_keys(encryption_keys)
        except ValueError as exc:
            problems.append(str(exc))

    lwa_token_url = get("LWA_TOKEN_URL") or DEFAULT_LWA_TOKEN_URL
    if not _URL.match(lwa_token_url):
        problems.append(f"LWA_TOKEN_URL is not an http(s) URL: leave it unset for Amazon's ({DEFAULT_LWA_TOKEN_URL}).")
    sp_api_endpoint = get("SP_API_ENDPOINT") or None
    if sp_api_endpoint and not _URL.match(sp_api_endpoint):
        problems.append(
            "SP_API_ENDPOINT is not an http(s) URL: leave it unset to use Amazon's regional hosts "
            "(sellingpartnerapi-na/eu/fe.amazon.com)."
        )

    log_level = (get("LOG_LEVEL") or "INFO").upper()
    if log_level not in LOG_LEVELS:
        problems.append(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (default INFO).")

    sweep_interval = 15 * 60
    if get("SWEEP_INTERVAL"):
        parsed = _duration_seconds(get("SWEEP_INTERVAL"))
        if parsed is None or parsed < 10:
            problems.append(
                "SWEEP_INTERVAL must be a duration of at least 10 seconds such as 900, 15m or 1h (default 15m)."
            )
        else:
            sweep_interval = parsed

    reminder_days: tuple[int, ...] = DEFAULT_REMINDER_DAYS
    if get("REMINDER_DAYS"):
        parts = [p.strip() for p in get("REMINDER_DAYS").split(",") if p.strip()]
        if parts and all(p.isdigit() and 0 < int(p) <= 179 for p in parts):
            reminder_days = tuple(sorted({int(p) for p in parts}, reverse=True))
        else:
            problems.append(
                "REMINDER_DAYS must be a comma-separated list of days before expiry between 1 and 179 "
                "(default 30,14,7,3,1)."
            )

    health_hours = whole("HEALTH_CHECK_HOURS", 24, 1, 24 * 30,
                         "HEALTH_CHECK_HOURS must be a whole number of hours between 1 and 720 (default 24).")

    admin_ids: list[str] = [p.strip() for p in get("ADMIN_USER_IDS").split(",") if p.strip()]
    bad_admins = [a for a in admin_ids if not _USER_OR_GROUP.match(a) or a.startswith("S")]
    if bad_admins:
        problems.append(
            "ADMIN_USER_IDS must be a comma-separated list of Slack user IDs (they start with U or W; "
            "find one in a profile under More → Copy member ID)."
        )

    connect_allowed = get("CONNECT_ALLOWED") or "everyone"
    if connect_allowed.lower() in ("everyone", "admins"):
        connect_allowed = connect_allowed.lower()
    else:
        ids = [p.strip() for p in connect_allowed.split(",") if p.strip()]
        if not ids or not all(_USER_OR_GROUP.match(i) for i in ids):
            problems.append(
                "CONNECT_ALLOWED must be everyone, admins, or a comma-separated list of Slack user IDs "
                "(U…/W…) and user-group IDs (S…)."
            )
        connect_allowed = ",".join(ids)

    threads = {name: whole(name, default, 1, 512, f"{name} must be a whole number between 1 and 512.")
               for name, default in (("HTTP_THREADS", 16), ("LISTENER_THREADS", 16), ("WORKER_THREADS", 8))}

    workers = whole("WORKERS", 1, 0, 32,
                    "WORKERS must be a whole number of worker processes between 0 and 32 (default 1; 0 starts none, "
                    "for a deployment that runs `python -m bot worker` separately).")

    data_dir = Path(get("DATA_DIR") or "./data")

    team_language = DEFAULT_LOCALE
    if get("TEAM_LANGUAGE"):
        by_name = {name.lower(): name for name in LOCALES}
        if get("TEAM_LANGUAGE").lower() in by_name:
            team_language = by_name[get("TEAM_LANGUAGE").lower()]
        else:
            problems.append(
                f"TEAM_LANGUAGE must be one of {', '.join(LOCALES)}: the language of the bot's posts in "
                f"NOTIFY_CHANNEL (default {DEFAULT_LOCALE}; each person's DMs and answers follow their own "
                "Slack language or /connect-amazon language)."
            )

    api_rate_limit = whole("API_RATE_LIMIT", 120, 1, 1_000_000,
                           "API_RATE_LIMIT must be a whole number of requests a minute per tool key, between 1 and "
                           "1000000 (default 120).")

    rotation_queue_url = get("ROTATION_QUEUE_URL")
    if rotation_queue_url and not _URL.match(rotation_queue_url):
        problems.append(
            "ROTATION_QUEUE_URL must be the URL of the SQS queue Amazon sends the rotation notifications to "
            "(https://sqs.REGION.amazonaws.com/ACCOUNT/NAME, on the queue's page in the AWS console), or unset."
        )
    rotate_before_days = whole("ROTATE_BEFORE_DAYS", 7, 1, 179,
                               "ROTATE_BEFORE_DAYS must be a whole number of days between 1 and 179 (default 7): how "
                               "long before the client secret expires the bot asks Amazon to rotate it.")

    if problems:
        raise SettingsError(problems)
    return Settings(
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_url=slack_api_url,
        port=port,
        notify_channel=notify_channel,
        database_url=database_url,
        encryption_keys=encryption_keys,
        lwa_token_url=lwa_token_url,
        sp_api_endpoint=sp_api_endpoint,
        log_level=log_level,
        sweep_interval_seconds=sweep_interval,
        reminder_days=reminder_days,
        health_check_hours=health_hours,
        admin_user_ids=frozenset(admin_ids),
        connect_allowed=connect_allowed,
        http_threads=threads["HTTP_THREADS"],
        listener_threads=threads["LISTENER_THREADS"],
        workers=workers,
        worker_threads=threads["WORKER_THREADS"],
        data_dir=data_dir,
        team_language=team_language,
        api_rate_limit=api_rate_limit,
        rotation_queue_url=rotation_queue_url,
        rotate_before_days=rotate_before_days,
    )
