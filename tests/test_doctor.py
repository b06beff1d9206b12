"""`python -m bot doctor` as a newcomer runs it: a real process against the fake Slack, the fake Amazon
and a real database; one ✓/✗ line per check, exit 0 only when all pass, and nothing changed."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from storage.crypto import format_keys, generate_key
from storage.db import Database, current_revision, migrate
from tests.catalog import says
from tests.db_fixtures import sqlite_url
from tests.fakes.fake_amazon import FakeAmazon
from tests.fakes.fake_slack import FakeSlack
from tests.test_startup_checks import NOTIFY, closed_port, env_for, seal, snapshot

OUTSIDE = "C0OUTSIDE1"  # a channel the bot was never invited to


@pytest.fixture
def fakes() -> Iterator[tuple[FakeSlack, FakeAmazon]]:
    with FakeSlack() as slack, FakeAmazon() as amazon:
        slack.add_channel(NOTIFY, "amazon-news")
        slack.add_channel(OUTSIDE, "elsewhere", bot_is_member=False)
        yield slack, amazon


def doctor(fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path, database_url: str, **extra: str
           ) -> tuple[int, list[str]]:
    slack, amazon = fakes
    env = env_for(slack, tmp_path, database_url, LWA_TOKEN_URL=amazon.token_url, SP_API_ENDPOINT=amazon.sp_api_url)
    env.update(extra)
    result = subprocess.run([sys.executable, "-m", "bot", "doctor"], env=env, cwd=tmp_path, capture_output=True,
                            text=True, timeout=60, check=False)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout.strip().splitlines()


def line(lines: list[str], word: str) -> str:
    found = [x for x in lines if word in x]
    assert len(found) == 1, lines
    return found[0]


def said(lines: list[str], key: str, **known: object) -> str:
    """The one line that says catalog sentence ``key``."""
    found = [x for x in lines if says(x, key, **known)]
    assert len(found) == 1, (key, lines)
    return found[0]


def test_everything_set_up_passes_every_check_and_changes_nothing(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    key = generate_key("kidA")
    db = seal(url, "kidA", key=key)
    before = snapshot(db)
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([key]))
    assert code == 0, lines
    checks, summary = lines[:-1], lines[-1]
    assert all(x.startswith("✓ ") for x in checks), lines
    assert says(summary, "general.doctor.all_passed")
    assert said(lines, "general.doctor.database_ok")
    assert "'kidA'" in said(lines, "general.doctor.keys_ok")
    assert said(lines, "general.doctor.slack_ok", user="amazon-connect")
    assert said(lines, "general.doctor.channel_ok", channel=NOTIFY)
    assert said(lines, "general.doctor.amazon_ok", what="Login with Amazon")
    assert said(lines, "general.doctor.amazon_ok", what="SP-API")
    slack, amazon = fakes
    assert {c.method for c in slack.calls} == {"auth.test", "conversations.history"}
    assert snapshot(db) == before
    db.dispose()


def test_a_bot_that_is_not_in_notify_channel_fails_with_the_fix(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), NOTIFY_CHANNEL=OUTSIDE,
                         ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    assert code == 1
    bad = line(lines, f"NOTIFY_CHANNEL {OUTSIDE}")
    assert bad.startswith("✗ ") and says(bad, "general.doctor.channel_not_member", channel=OUTSIDE,
                                         bot="amazon-connect")
    assert [x for x in lines if x.startswith("✗ ")] == [bad]
    assert says(lines[-1], "general.doctor.failed", count=1)


def test_an_unknown_channel_id_fails_with_how_to_find_the_id(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), NOTIFY_CHANNEL="C0NOSUCH99",
                         ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    assert code == 1
    bad = line(lines, "NOTIFY_CHANNEL C0NOSUCH99")
    assert bad.startswith("✗ ") and says(bad, "general.doctor.channel_not_found", channel="C0NOSUCH99")


def test_a_database_that_does_not_answer_fails_and_the_key_check_says_why_it_did_not_run(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    url = f"postgresql://bot:s3cretpass@127.0.0.1:{closed_port()}/bot"
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    assert code == 1
    bad = line(lines, "DATABASE_URL")
    assert bad.startswith("✗ ") and says(bad, "general.startup.database_unreachable")
    assert "s3cretpass" not in "\n".join(lines)
    assert said(lines, "general.doctor.keys_unchecked").startswith("✗ ")
    assert said(lines, "general.doctor.slack_ok").startswith("✓ ")  # the other checks still ran


def test_a_key_missing_from_encryption_keys_fails_naming_it(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    seal(url, "kidA").dispose()
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([generate_key("kidB")]))
    assert code == 1
    bad = line(lines, "'kidA'")
    assert bad.startswith("✗ ") and says(bad, "general.startup.missing_keys")


def test_a_token_slack_refuses_fails_and_the_channel_is_not_checked(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), SLACK_BOT_TOKEN="xoxb-1111-2222-revoked",
                         ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    assert code == 1
    refused = said(lines, "general.startup.slack_token_rejected", error="invalid_auth")
    assert refused.startswith("✗ ")
    assert said(lines, "general.doctor.channel_unchecked", channel=NOTIFY) and "revoked" not in "\n".join(lines)


def test_amazon_endpoints_that_do_not_answer_fail_naming_the_setting(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), SP_API_ENDPOINT=dead,
                         LWA_TOKEN_URL=f"{dead}/auth/o2/token", ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    assert code == 1
    lwa = said(lines, "general.doctor.amazon_down", what="Login with Amazon")
    assert lwa.startswith("✗") and says(lwa, "general.doctor.amazon_hint", setting="LWA_TOKEN_URL")
    sp_api = said(lines, "general.doctor.amazon_down", what="SP-API")
    assert sp_api.startswith("✗") and says(sp_api, "general.doctor.amazon_hint", setting="SP_API_ENDPOINT")


def test_regional_sp_api_hosts_are_each_checked(fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path) -> None:
    slack, amazon = fakes
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), SP_API_ENDPOINT=amazon.sp_api_url + "/{region}",
                         ENCRYPTION_KEYS=format_keys([generate_key("k")]))
    regional = re.compile(r"SP-API \(.+\)")
    regions = [x for x in lines if x.startswith("✓ ") and says(x, "general.doctor.amazon_ok", what=regional)]
    assert len(regions) == 3 and code == 0, lines


def test_broken_settings_fail_before_anything_else(fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path) -> None:
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), NOTIFY_CHANNEL="#amazon-news")
    assert code == 1
    assert lines[0].startswith("✗ NOTIFY_CHANNEL '#amazon-news' is a channel name")
    assert says(lines[-1], "general.doctor.settings_first")
    slack, _ = fakes
    assert slack.calls == []


def test_a_fresh_set_up_passes_and_the_doctor_creates_no_file(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    target = tmp_path / "state" / "bot.db"
    code, lines = doctor(fakes, tmp_path, f"sqlite:///{target}")  # no ENCRYPTION_KEYS: run would make a key file
    assert code == 0, lines
    assert said(lines, "general.doctor.database_new_file", where=str(target))
    assert said(lines, "general.doctor.keys_will_generate")
    assert not target.exists() and not target.parent.exists() and not (tmp_path / "data").exists()


def test_socket_mode_checks_the_app_level_token(fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path) -> None:
    slack, _ = fakes
    keys = format_keys([generate_key("k")])
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), SLACK_APP_TOKEN=slack.app_token, ENCRYPTION_KEYS=keys)
    assert code == 0 and said(lines, "general.doctor.app_token_ok").startswith("✓ "), lines
    code, lines = doctor(fakes, tmp_path, sqlite_url(tmp_path), SLACK_APP_TOKEN="xapp-1-A0FAKEAPP-1-revoked",
                         ENCRYPTION_KEYS=keys)
    refused = said(lines, "general.startup.slack_app_token_rejected")
    assert code == 1 and refused.startswith("✗ ")


def test_migrations_due_pass_and_a_database_from_a_newer_version_fails(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    db = Database(url)
    migrate(db.engine, "0002")
    keys = format_keys([generate_key("k")])
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=keys)
    due = said(lines, "general.doctor.database_behind", current="0002")
    assert code == 0 and due.startswith("✓ "), lines
    assert current_revision(db.engine) == "0002"  # the doctor migrated nothing
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=keys)
    ahead = said(lines, "general.doctor.database_ahead", current="9999")
    assert code == 1 and ahead.startswith("✗ ")
    db.dispose()


def test_a_key_made_again_under_the_same_id_fails(fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path) -> None:
    url = sqlite_url(tmp_path)
    seal(url, "kidA").dispose()  # sealed under one key called kidA ...
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([generate_key("kidA")]))  # ... given another
    assert code == 1
    bad = said(lines, "general.doctor.keys_wrong_material", kid="kidA")
    assert bad.startswith("✗ ")


def test_the_job_queue_is_shown_and_jobs_waiting_with_no_live_worker_warn(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from storage import repo

    url = sqlite_url(tmp_path)
    key = generate_key("kidA")
    db = seal(url, "kidA", key=key)
    keys = format_keys([key])
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=keys)
    assert code == 0, lines
    assert said(lines, "general.doctor.queue_ok", depth=0, running=0, workers=0).startswith("✓ ")

    # Two jobs queued 2 minutes ago, and no worker alive: a warning that says to start one (not a failure:
    # the bot may simply be stopped while the doctor runs).
    with db.session(write=True) as s:
        for n in range(2):
            repo.enqueue(s, "slack_work", {"work": "home"}, now=datetime.now(UTC) - timedelta(minutes=2),
                         dedupe_key=f"doctor-test-{n}")
        s.commit()
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=keys)
    assert code == 0, lines
    stuck = said(lines, "general.doctor.queue_stuck", depth=2)
    assert stuck.startswith("! ") and "python -m bot worker" in stuck
    waited = float(re.search(r"up to ([0-9.]+) s", stuck).group(1))  # type: ignore[union-attr]
    assert 110 <= waited <= 200

    # A live worker (its heartbeat): the queue is being worked, whatever waits.
    repo.heartbeat(db, "doctor-test-worker", "host", 1, datetime.now(UTC))
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=keys)
    assert said(lines, "general.doctor.queue_ok", depth=2, workers=1).startswith("✓ ")
    db.dispose()


def test_the_queue_is_not_checked_when_the_database_is_not_migrated(
    fakes: tuple[FakeSlack, FakeAmazon], tmp_path: Path
) -> None:
    url = sqlite_url(tmp_path)
    Database(url).dispose()
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([generate_key("kidA")]))
    assert said(lines, "general.doctor.queue_unchecked").startswith("! ")
