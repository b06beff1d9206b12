"""``python -m bot doctor``: check the set-up before ``run``, one line per check with the fix.

Checks, in order: the settings; the database (it answers, its migrations); the keys (every key id the
stored secrets use is in ENCRYPTION_KEYS or the key file); Slack (SLACK_BOT_TOKEN with ``auth.test``,
SLACK_APP_TOKEN in Socket Mode, and that the bot is a member of NOTIFY_CHANNEL); and that Amazon's
Login with Amazon token URL and SP-API endpoints answer over the network. After the database: the job
queue, as ``/healthz`` reports it (``bot.jobs.health``: jobs waiting, the oldest one's wait, running
jobs, live workers); a warning (``!``, not a failure: the bot may simply be stopped) when jobs have
waited over 60 s with no live worker.

The doctor changes nothing: it migrates nothing, makes no key file, creates no SQLite file and posts
nothing to Slack. Membership of NOTIFY_CHANNEL is read with ``conversations.history`` (limit 1), the
one call the manifest's scopes allow for it (``channels:history`` / ``groups:history``;
``conversations.info`` and ``conversations.members`` need ``channels:read``, which the bot does not ask
for): Slack answers ``not_in_channel`` to a bot that is not a member.

Exit code 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import httpx
from alembic.script import ScriptDirectory
from slack_sdk.errors import SlackApiError, SlackClientError
from sqlalchemy.engine import make_url

from bot.amazon.marketplaces import REGION_HOSTS, REGION_NAMES, endpoint_for_region
from bot.i18n import t
from bot.preflight import (
    StartupError,
    app_token_problem,
    check_bot_token,
    missing_key_file_problem,
    missing_keys_problem,
    on_database,
    short_reason,
    slack_error,
    slack_unreachable_problem,
)
from bot.settings import Settings, SettingsError, load_settings
from storage import keycheck
from storage.crypto import Crypto, DecryptionError, parse_keys
from storage.db import Database, alembic_config, current_revision, head_revision
from storage.keycheck import key_ids_in_use

PASS = "✓"
FAIL = "✗"
WARN = "!"
AMAZON_TIMEOUT = 10.0
_QUIET = logging.getLogger("bot.doctor.slack")
_QUIET.setLevel(logging.CRITICAL)


@dataclass(frozen=True)
class Check:
    ok: bool
    line: str  # what was found; for a failure or a warning, also what to do
    warn: bool = False  # passes, but something needs a look

    def render(self) -> str:
        return f"{(WARN if self.warn else PASS) if self.ok else FAIL} {self.line}"


def _where(settings: Settings) -> str:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return f"{url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _sqlite_path(settings: Settings) -> Path | None:
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database).expanduser()


def _nearest_existing(path: Path) -> Path:
    path = path.resolve()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_database(settings: Settings) -> tuple[Check, Database | None]:
    """Does the database answer, and where do its migrations stand? (Creates no file, migrates nothing.)"""
    where = _where(settings)
    path = _sqlite_path(settings)
    if path is not None and not path.exists():
        folder = _nearest_existing(path.parent)
        if folder.is_dir() and os.access(folder, os.W_OK):
            return Check(True, t("general.doctor.database_new_file", where=where)), None
        reason = f"{folder} is not a folder this user may write to"
        return Check(False, t("general.startup.sqlite_unopenable", where=where, reason=reason)), None
    try:
        db = on_database(settings, lambda: Database(settings.database_url))
    except StartupError as exc:
        return Check(False, exc.sentence), None
    try:
        current = on_database(settings, lambda: current_revision(db.engine))
    except StartupError as exc:
        db.dispose()
        return Check(False, exc.sentence), None
    head = head_revision()
    if current == head:
        return Check(True, t("general.doctor.database_ok", where=where, revision=head)), db
    if current is None:
        return Check(True, t("general.doctor.database_empty", where=where)), db
    scripts = ScriptDirectory.from_config(alembic_config())
    known = [rev.revision for rev in scripts.walk_revisions()]
    if current not in known:
        return Check(False, t("general.doctor.database_ahead", where=where, current=current)), db
    behind = known.index(current)  # walk_revisions goes from the head down
    return Check(True, t("general.doctor.database_behind", where=where, count=behind, current=current,
                         head=head)), db


def _held(crypto: Crypto) -> str:
    return ", ".join(f"'{k}'" for k in crypto.kids)


def _decrypts_a_sample(db: Database, crypto: Crypto, kid: str) -> bool:
    """Does the key held under ``kid`` decrypt any of a few ciphertexts stored under that id? (A key made
    again with the same id is another key.) One damaged row alone does not make this False."""
    samples = keycheck.samples_under(db.engine, kid)
    for table, row_id, column, blob in samples:
        try:
            crypto.decrypt(blob, table=table, row_id=row_id, field=column.removesuffix(keycheck.CIPHERTEXT_SUFFIX))
            return True
        except DecryptionError:
            continue
    return not samples


def check_keys(settings: Settings, db: Database | None, *, database_ok: bool) -> Check:
    """Is every key id the stored secrets use present? (Never makes a key file.) ``db`` is None when
    the database did not answer (``database_ok`` False) or does not exist yet (nothing is stored)."""
    key_file = settings.data_dir / "encryption.key"
    crypto: Crypto | None = None
    source = "ENCRYPTION_KEYS"
    try:
        if settings.encryption_keys:
            crypto = Crypto(parse_keys(settings.encryption_keys))
        elif key_file.exists():
            text = key_file.read_text(encoding="ascii", errors="replace").strip()
            crypto = Crypto(parse_keys(text, source=f"the key file {key_file}"))
            source = f"the key file {key_file}"
    except (ValueError, OSError) as exc:
        return Check(False, f"{short_reason(exc)}.")
    if not database_ok:
        return Check(False, t("general.doctor.keys_unchecked"))
    in_use: set[str] = set()
    if db is not None:
        try:
            in_use = on_database(settings, lambda: key_ids_in_use(db.engine))
        except StartupError as exc:
            return Check(False, exc.sentence)
    if crypto is None:
        if in_use:
            return Check(False, missing_key_file_problem(in_use, key_file))
        return Check(True, t("general.doctor.keys_will_generate", path=key_file))
    missing = sorted(in_use - set(crypto.kids))
    if missing:
        return Check(False, missing_keys_problem(settings, missing))
    for kid in sorted(in_use):
        if db is not None and not _decrypts_a_sample(db, crypto, kid):
            return Check(False, t("general.doctor.keys_wrong_material", kid=kid, source=source))
    if not in_use:
        return Check(True, t("general.doctor.keys_none_stored", source=source, held=_held(crypto)))
    used = ", ".join(f"'{k}'" for k in sorted(in_use))
    return Check(True, t("general.doctor.keys_ok", in_use=used, source=source, held=_held(crypto)))


def check_slack(settings: Settings) -> list[Check]:
    """SLACK_BOT_TOKEN (auth.test), SLACK_APP_TOKEN in Socket Mode, and membership of NOTIFY_CHANNEL."""
    from bot.app import build_web_client

    channel = settings.notify_channel
    try:
        me = check_bot_token(settings)
    except StartupError as exc:
        return [Check(False, exc.sentence), Check(False, t("general.doctor.channel_unchecked", channel=channel))]
    checks = [Check(True, t("general.doctor.slack_ok", user=me.get("user", "?"), team=me.get("team", "?"),
                            team_id=me.get("team_id", "?")))]
    client = build_web_client(settings, logger=_QUIET)
    if settings.socket_mode:
        try:
            client.apps_connections_open(app_token=settings.slack_app_token)
            checks.append(Check(True, t("general.doctor.app_token_ok")))
        except SlackApiError as exc:
            checks.append(Check(False, app_token_problem(settings, exc)))
        except (SlackClientError, OSError) as exc:
            checks.append(Check(False, slack_unreachable_problem(settings, exc)))
    try:
        client.conversations_history(channel=channel, limit=1)
        checks.append(Check(True, t("general.doctor.channel_ok", channel=channel)))
    except SlackApiError as exc:
        error = slack_error(exc)
        key = {"not_in_channel": "general.doctor.channel_not_member",
               "channel_not_found": "general.doctor.channel_not_found"}.get(error, "general.doctor.channel_error")
        checks.append(Check(False, t(key, channel=channel, bot=me.get("user", "amazon-connect"), error=error)))
    except (SlackClientError, OSError) as exc:
        checks.append(Check(False, slack_unreachable_problem(settings, exc)))
    return checks


def amazon_endpoints(settings: Settings) -> list[tuple[str, str, str]]:
    """(what, url, setting to correct) for the LWA token URL and every SP-API endpoint the bot may call."""
    found = [("Login with Amazon", settings.lwa_token_url, "LWA_TOKEN_URL")]
    seen: set[str] = set()
    for region in REGION_HOSTS:
        url = endpoint_for_region(region, settings.sp_api_endpoint)
        if url in seen:
            continue
        seen.add(url)
        what = "SP-API" if settings.sp_api_endpoint and "{region}" not in settings.sp_api_endpoint else (
            f"SP-API ({REGION_NAMES[region]})")
        found.append((what, url, "SP_API_ENDPOINT" if settings.sp_api_endpoint else ""))
    return found


def _probe(endpoint: tuple[str, str, str]) -> Check:
    what, url, setting = endpoint
    try:
        response = httpx.get(url, timeout=AMAZON_TIMEOUT, follow_redirects=False)
    except httpx.HTTPError as exc:
        hint = t("general.doctor.amazon_hint", setting=setting) if setting else ""
        reason = short_reason(exc) or type(exc).__name__
        return Check(False, t("general.doctor.amazon_down", what=what, url=url, reason=reason, hint=hint))
    # Any HTTP answer (a 400 or 403 without credentials included) means the endpoint is reachable.
    return Check(True, t("general.doctor.amazon_ok", what=what, url=url, status=response.status_code))


def check_amazon(settings: Settings) -> list[Check]:
    endpoints = amazon_endpoints(settings)
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        return list(pool.map(_probe, endpoints))


def check_queue(db: Database | None, *, database_ok: bool) -> Check:
    """The job queue as ``/healthz`` reports it; a warning when jobs wait with no live worker."""
    from datetime import UTC, datetime

    from sqlalchemy.exc import SQLAlchemyError

    from bot.jobs.health import queue_health_in

    unchecked = Check(True, t("general.doctor.queue_unchecked"), warn=True)
    if db is None or not database_ok:
        return unchecked
    try:
        health = queue_health_in(db, datetime.now(UTC))
    except SQLAlchemyError:  # no jobs table yet (migrations due), or the database stopped answering
        return unchecked
    oldest = f"{health.oldest_waiting_seconds:g}"
    if not health.ok:
        return Check(True, t("general.doctor.queue_stuck", depth=health.depth, oldest=oldest), warn=True)
    return Check(True, t("general.doctor.queue_ok", depth=health.depth, oldest=oldest, running=health.running,
                         workers=health.live_workers))


def run_doctor(environ: Mapping[str, str] | None = None, *, env_file: str | Path = ".env",
               out: TextIO | None = None) -> int:
    stream = out or sys.stdout

    def say(check: Check) -> None:
        print(check.render(), file=stream, flush=True)
    try:
        settings = load_settings(environ, env_file=env_file)
    except SettingsError as exc:
        for problem in exc.problems:
            say(Check(False, problem))
        print(t("general.doctor.settings_first"), file=stream)
        return 1
    mode = (t("general.doctor.mode_socket") if settings.socket_mode
            else t("general.doctor.mode_http", port=settings.port))
    checks = [Check(True, t("general.doctor.settings_ok", mode=mode))]
    say(checks[0])
    database, db = check_database(settings)
    checks.append(database)
    say(database)
    try:
        checks.append(check_keys(settings, db, database_ok=database.ok))
        say(checks[-1])
        checks.append(check_queue(db, database_ok=database.ok))
        say(checks[-1])
    finally:
        if db is not None:
            db.dispose()
    from bot.doctor_rotation import check_rotation_queue

    queue = [Check(ok, sentence) for ok, sentence in check_rotation_queue(settings)]
    for check in check_slack(settings) + check_amazon(settings) + queue:
        checks.append(check)
        say(check)
    failed = [c for c in checks if not c.ok]
    if failed:
        print(t("general.doctor.failed", count=len(failed)), file=stream)
        return 1
    print(t("general.doctor.all_passed"), file=stream)
    return 0

