"""What `python -m bot run` and `sweep` do with an operator's mistake, as real processes.

A missing encryption key, a Slack token Slack refuses, a Slack or a database that does not answer:
exit code 2 and one sentence that names the setting and what to do, no traceback, nothing posted to
Slack and no row changed. A clean start prints no alembic chatter and no Bolt token warning.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot.i18n import t
from storage import repo
from storage.crypto import Crypto, Key, format_keys, generate_key
from storage.db import Database, migrate
from tests.catalog import says
from tests.db_fixtures import drop_postgres_url, postgres_url_or_skip, sqlite_url
from tests.fakes.fake_slack import FakeSlack
from tests.repo_helpers import seed_sellers
from tests.storage.conftest import SECRET_A, TOKEN_A

REPO = Path(__file__).resolve().parents[1]
NOTIFY = "C0NOTIFY01"
SIGNING_SECRET = "8f742231b10e8888abcd99aaa0c85a50"
SEALED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
LATER = "2026-04-01T09:00:00+00:00"  # every seeded health check is due by then


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        fake.add_channel(NOTIFY, "amazon-news")
        yield fake


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    url = sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url_or_skip()
    yield url
    if request.param == "postgresql":
        drop_postgres_url(url)


def env_for(fake: FakeSlack, tmp_path: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_", "LWA_", "SP_API_", "DATABASE_URL", "DATA_DIR"))}
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        NOTIFY_CHANNEL=NOTIFY,
        DATABASE_URL=database_url,
        DATA_DIR=str(tmp_path / "data"),
        LWA_TOKEN_URL="http://127.0.0.1:9/auth/o2/token",
        SP_API_ENDPOINT="http://127.0.0.1:9",
        PORT=str(closed_port()),
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def bot(env: dict[str, str], cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def seal(database_url: str, kid: str, names: tuple[str, ...] = ("Main US", "Main EU"), *,
         key: Key | None = None) -> Database:
    """A migrated database whose connections' secrets are encrypted under key ``kid``, all due for a check."""
    db = Database(database_url)
    migrate(db.engine)
    crypto = Crypto([key or generate_key(kid)])
    with db.session() as s:
        seed_sellers(s, crypto, names, client_secret=SECRET_A, refresh_token=TOKEN_A, created_by="U0MEMBER",
                     now=SEALED_AT)
    return db


def snapshot(db: Database) -> dict[str, list[tuple]]:
    with db.engine.connect() as conn:
        return {table: [tuple(row) for row in conn.execute(sa.text(f'SELECT * FROM "{table}" ORDER BY 1'))]
                for table in sorted(sa.inspect(db.engine).get_table_names())}


def only_sentence(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    assert lines[0] == t("general.startup.cannot_start"), stderr
    assert len(lines) == 2 and lines[1].startswith("- "), stderr
    return lines[1][2:]


@pytest.mark.parametrize("command", [["sweep", "--now", LATER], ["run"]])
def test_a_key_missing_from_encryption_keys_stops_run_and_sweep_before_anything_happens(
    fake_slack: FakeSlack, tmp_path: Path, database_url: str, command: list[str]
) -> None:
    db = seal(database_url, "kidA")
    before = snapshot(db)
    try:
        result = bot(env_for(fake_slack, tmp_path, database_url, ENCRYPTION_KEYS=format_keys([generate_key("kidB")])),
                     tmp_path, *command)
        assert result.returncode == 2, result.stdout + result.stderr
        sentence = only_sentence(result.stderr)
        assert says(sentence, "general.startup.missing_keys", kids="'kidA'")
        assert "kidB" not in sentence
        assert "Traceback" not in result.stderr + result.stdout
        assert fake_slack.calls == []  # not even auth.test: nothing reached Slack
        assert snapshot(db) == before
    finally:
        db.dispose()


def test_a_key_that_is_present_among_others_lets_the_sweep_run(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    a = generate_key("kidA")
    db = Database(url)
    migrate(db.engine)
    with db.session() as s:
        repo.create_or_update_connection(
            s, Crypto([a]),
            repo.ConnectionValues(team_id="T1", name="Main US", account_type="seller",
            selling_partner_id="A1SELLER0001",
            region="NA", marketplace_id="ATVPDKIKX0DER", client_id="amzn1.application-oa2-client." + "a" * 32,
            client_secret=SECRET_A, refresh_token=TOKEN_A, secret_created_on=SEALED_AT.date(), store_name=None),
            created_by="U0MEMBER", now=SEALED_AT)
        s.commit()
    db.dispose()
    keys = format_keys([generate_key("kidB"), a])  # kidB newest, kidA still there to decrypt
    result = bot(env_for(fake_slack, tmp_path, url, ENCRYPTION_KEYS=keys), tmp_path, "sweep", "--now", LATER)
    assert t("general.startup.cannot_start") not in result.stderr
    assert "health checks: 1" in result.stdout, result.stdout + result.stderr


def test_a_lost_key_file_is_not_replaced_by_a_new_key(fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    db = seal(url, "kfile1")
    before = snapshot(db)
    env = env_for(fake_slack, tmp_path, url)  # no ENCRYPTION_KEYS, and DATA_DIR has no encryption.key
    try:
        result = bot(env, tmp_path, "sweep", "--now", LATER)
        assert result.returncode == 2, result.stdout + result.stderr
        sentence = only_sentence(result.stderr)
        assert says(sentence, "general.startup.missing_key_file", kids="'kfile1'",
                    path=re.compile(r".*encryption\.key"))
        assert not (tmp_path / "data" / "encryption.key").exists()
        assert fake_slack.calls == [] and snapshot(db) == before
    finally:
        db.dispose()


def test_a_token_slack_refuses_is_one_sentence_and_exit_2(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = env_for(fake_slack, tmp_path, sqlite_url(tmp_path), ENCRYPTION_KEYS=format_keys([generate_key("k")]),
                  SLACK_BOT_TOKEN="xoxb-1111-2222-revokedtoken")  # well-formed, unknown to the (fake) workspace
    result = bot(env, tmp_path, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    sentence = only_sentence(result.stderr)
    assert says(sentence, "general.startup.slack_token_rejected", error="invalid_auth")
    assert "revokedtoken" not in result.stderr + result.stdout
    assert [c.method for c in fake_slack.calls] == ["auth.test"]
    assert fake_slack.calls[0].response["error"] == "invalid_auth"


def test_a_rejected_app_level_token_is_one_sentence_and_exit_2(fake_slack: FakeSlack, tmp_path: Path) -> None:
    env = env_for(fake_slack, tmp_path, sqlite_url(tmp_path), ENCRYPTION_KEYS=format_keys([generate_key("k")]),
                  SLACK_APP_TOKEN="xapp-1-A0FAKEAPP-9999-revoked")
    result = bot(env, tmp_path, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert says(result.stderr, "general.startup.slack_app_token_rejected", error="invalid_auth")
    assert "Traceback" not in result.stderr
    assert not [c for c in fake_slack.calls if c.method == "chat.postMessage"]


def test_a_slack_that_does_not_answer_is_one_sentence_and_exit_2(fake_slack: FakeSlack, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{closed_port()}/api/"
    env = env_for(fake_slack, tmp_path, sqlite_url(tmp_path), ENCRYPTION_KEYS=format_keys([generate_key("k")]),
                  SLACK_API_URL=dead)
    result = bot(env, tmp_path, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    sentence = only_sentence(result.stderr)
    assert says(sentence, "general.startup.slack_unreachable", url=dead) and "Connection refused" in sentence


def test_a_database_that_does_not_answer_is_one_sentence_and_exit_2(fake_slack: FakeSlack, tmp_path: Path) -> None:
    url = f"postgresql://bot:s3cretpass@127.0.0.1:{closed_port()}/bot"
    env = env_for(fake_slack, tmp_path, url, ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    result = bot(env, tmp_path, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    sentence = only_sentence(result.stderr)
    assert says(sentence, "general.startup.database_unreachable", where=re.compile(r"127\.0\.0\.1:\d+/bot"))
    assert "s3cretpass" not in result.stderr + result.stdout
    assert fake_slack.calls == []


def test_a_sqlite_file_that_cannot_be_opened_is_one_sentence_and_exit_2(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the database folder should be")
    env = env_for(fake_slack, tmp_path, f"sqlite:///{blocker / 'bot.db'}",
                  ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    result = bot(env, tmp_path, "sweep")
    assert result.returncode == 2, result.stdout + result.stderr
    sentence = only_sentence(result.stderr)
    assert says(sentence, "general.startup.sqlite_unopenable", where=str(blocker / "bot.db"))


def test_a_clean_start_prints_no_alembic_lines_and_no_bolt_token_warning(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = closed_port()
    env = env_for(fake_slack, tmp_path, sqlite_url(tmp_path), ENCRYPTION_KEYS=format_keys([generate_key("k")]),
                  PORT=str(port))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        assert proc.poll() is None, proc.communicate()
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "listening for Slack" in err  # the bot's own start line is there ...
    assert "alembic" not in err and "Running upgrade" not in err  # ... alembic's seven INFO lines are not
    assert "will be unused" not in err and "WARNING" not in err
    assert [c.method for c in fake_slack.calls][:2] == ["auth.test", "auth.test"]  # the bot's check, then Bolt's


def test_a_slack_api_url_that_is_not_slack_is_one_sentence_and_exit_2(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    from tests.fakes.fake_amazon import FakeAmazon

    with FakeAmazon() as elsewhere:  # an HTTP server that answers, but not as Slack's Web API
        wrong = f"{elsewhere.sp_api_url}/api/"
        env = env_for(fake_slack, tmp_path, sqlite_url(tmp_path), ENCRYPTION_KEYS=format_keys([generate_key("k")]),
                      SLACK_API_URL=wrong)
        result = bot(env, tmp_path, "run")
    assert result.returncode == 2, result.stdout + result.stderr
    sentence = only_sentence(result.stderr)
    assert says(sentence, "general.startup.slack_not_slack", url=wrong)
