"""bot/locales.py and ``Actor.locale`` against the fake Slack over HTTP (tests/fakes/fake_slack.py): Slack
locales map to catalogs, the in-process cache expires, stays bounded and thread-safe, and the outbox
speaks TEAM_LANGUAGE in the channel and each reader's language in a DM."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.app import build_outbox
from bot.flows.ports import Audience, Notice
from bot.i18n import Message
from bot.jobs import JobProblem
from bot.listeners.context import Actor
from bot.locales import Locales
from storage import repo
from storage.db import Database
from tests.db_fixtures import migrated_sqlite
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import TEAM_ID
from tests.harness import BotHarness

MEMBER = "U0MEMBER"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    try:
        yield slack
    finally:
        slack.stop()


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_sqlite(tmp_path) as database:
        yield database


def calls(fake: FakeSlack, user: str = MEMBER) -> int:
    return len([c for c in fake.calls_for("users.info") if c.params.get("user") == user])


def actor(client: WebClient, locales: Locales, user: str = MEMBER, admins: tuple[str, ...] = ()) -> Actor:
    return Actor(user_id=user, team_id=TEAM_ID, client=client, admin_user_ids=admins, locales=locales)


@pytest.mark.parametrize(("slack_locale", "expected"), [
    ("zh-CN", "zh-CN"), ("zh-TW", "en"), ("en-US", "en"), ("en-GB", "en"), ("ja-JP", "en"), ("de-DE", "en"),
])
def test_slack_locales_map_to_catalogs(fake: FakeSlack, client: WebClient, slack_locale: str, expected: str) -> None:
    fake.set_locale(MEMBER, slack_locale)
    assert actor(client, Locales(None)).locale == expected
    assert [c.params.get("include_locale") for c in fake.calls_for("users.info")] == ["1"]


def test_the_locale_is_worked_out_only_when_read_and_once_per_request(fake: FakeSlack, client: WebClient) -> None:
    fake.set_locale(MEMBER, "zh-CN")
    person = actor(client, Locales(None))
    assert calls(fake) == 0  # nothing asked until someone reads it
    assert (person.locale, person.words.locale, person.is_admin()) == ("zh-CN", "zh-CN", False)
    assert calls(fake) == 1  # one users.info answers the locale and the admin flags


def test_a_person_in_admin_user_ids_still_reads_their_language(fake: FakeSlack, client: WebClient) -> None:
    fake.set_locale("U0ADMIN", "zh-CN")
    person = actor(client, Locales(None), "U0ADMIN", admins=("U0ADMIN",))
    assert person.is_admin() and calls(fake, "U0ADMIN") == 0  # no lookup for the flags
    assert person.locale == "zh-CN" and calls(fake, "U0ADMIN") == 1


def test_a_changed_choice_is_read_again_after_forget_locale(fake: FakeSlack, client: WebClient, db: Database) -> None:
    fake.set_locale(MEMBER, "zh-CN")
    person = actor(client, Locales(db))
    assert person.locale == "zh-CN"
    with db.session() as s:
        repo.set_language(s, TEAM_ID, MEMBER, "en")
        s.commit()
    assert person.locale == "zh-CN"  # one answer per request...
    person.forget_locale()
    assert person.locale == "en"  # ...until the person changes it
    assert calls(fake) == 1


def test_the_slack_locale_is_cached_for_ten_minutes(fake: FakeSlack, client: WebClient) -> None:
    clock = Clock()
    locales = Locales(None, clock=clock)
    assert locales.ttl == 600
    fake.set_locale(MEMBER, "zh-CN")
    assert actor(client, locales).locale == "zh-CN"
    fake.set_locale(MEMBER, "en-US")  # the person changes Slack's language
    clock.now += 599
    assert actor(client, locales).locale == "zh-CN" and calls(fake) == 1
    clock.now += 2
    assert actor(client, locales).locale == "en" and calls(fake) == 2


def test_the_cache_is_bounded_and_keeps_the_recently_used() -> None:
    locales = Locales(None, max_entries=2)
    locales.remember("T1", "U1", "zh-CN")
    locales.remember("T1", "U2", "en-US")
    assert locales.cached("T1", "U1") == "zh-CN"  # U1 is now the most recently used
    locales.remember("T1", "U3", "zh-CN")
    assert (locales.cached("T1", "U1"), locales.cached("T1", "U2"), locales.cached("T1", "U3")) == (
        "zh-CN", None, "zh-CN")
    assert locales.cached(None, "U2") is None and locales.cached(None, "U3") == "zh-CN"
    assert "zh-CN" not in repr(locales) and "U1" not in repr(locales)


def test_the_cache_is_thread_safe() -> None:
    locales = Locales(None, max_entries=50)
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def hammer(n: int) -> None:
        try:
            start.wait(5)
            for i in range(400):
                user = f"U{(n * 7 + i) % 120}"
                locales.remember(f"T{i % 2}", user, "zh-CN" if i % 3 else "en-US")
                locales.cached(f"T{i % 2}", user)
                locales.cached(None, user)
                if i % 50 == 0:
                    locales.forget(f"T{i % 2}", user)
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert len(locales._slack) <= 50


def test_locale_of_for_a_dm(fake: FakeSlack, client: WebClient, db: Database) -> None:
    fake.set_locale(MEMBER, "zh-CN")
    locales = Locales(db, client)
    assert locales.locale_of(MEMBER) == "zh-CN"
    assert locales.locale_of(MEMBER) == "zh-CN" and calls(fake) == 1  # cached under the user's team
    assert locales.cached(TEAM_ID, MEMBER) == "zh-CN"
    with db.session() as s:
        repo.set_language(s, TEAM_ID, MEMBER, "en")
        s.commit()
    assert locales.locale_of(MEMBER) == "en"  # the choice wins, whichever workspace it was made in
    assert locales.locale_of("") == "en" and Locales(db).locale_of("U0ADMIN") == "en"  # no one / no client
    fake.fail_next("users.info", error="internal_error", status=200, retry_after=None)
    assert locales.locale_of("U0ADMIN") == "en"


PROBE = JobProblem(message=Message("general.job_failed"))


def test_the_outbox_speaks_team_language_in_the_channel_and_the_readers_in_a_dm(tmp_path: Path) -> None:
    with BotHarness(tmp_path, serve=False, env={"TEAM_LANGUAGE": "zh-CN"}) as h:
        assert h.settings.team_language == "zh-CN"
        h.slack.set_locale(MEMBER, "en-US")
        h.slack.set_locale("U0ADMIN", "zh-CN")
        outbox = build_outbox(h.services, h.app.client, Locales(h.services.db, h.app.client))
        assert outbox.team_locale == "zh-CN"
        assert outbox.words_for(Notice.of(Audience.CHANNEL, PROBE, user_id=MEMBER)).locale == "zh-CN"
        assert outbox.words_for(Notice.of(Audience.DM, PROBE, user_id=MEMBER)).locale == "en"
        assert outbox.words_for(Notice.of(Audience.DM, PROBE, user_id="U0ADMIN")).locale == "zh-CN"
    with BotHarness(tmp_path / "default", serve=False) as h:
        outbox = build_outbox(h.services, h.app.client, Locales(h.services.db, h.app.client))
        assert outbox.words_for(Notice.of(Audience.CHANNEL, PROBE)).locale == "en"


def test_what_one_process_learns_of_a_slack_locale_spares_the_others_a_users_info(
        fake: FakeSlack, client: WebClient, db: Database) -> None:
    """The worker looks a person up for their DM; the web tier (another Locales, another process) then
    knows their language when they click in it, without asking Slack, for the same 10 minutes."""
    fake.set_locale(MEMBER, "zh-CN")
    worker = Locales(db, client)
    assert worker.locale_of(MEMBER, TEAM_ID) == "zh-CN" and calls(fake) == 1
    wall = [datetime.now(UTC)]
    web = Locales(db, client, wall=lambda: wall[0])
    assert web.known(TEAM_ID, MEMBER) == "zh-CN"
    assert Actor(user_id=MEMBER, team_id=TEAM_ID, client=client, admin_user_ids=(), locales=web).locale == "zh-CN"
    assert calls(fake) == 1
    with db.session() as s:  # a choice made meanwhile still wins, and the stored locale does not touch it
        repo.set_language(s, TEAM_ID, MEMBER, "en")
        s.commit()
    assert web.known(TEAM_ID, MEMBER) == "en"
    worker.remember(TEAM_ID, MEMBER, "zh-CN")
    assert web.known(TEAM_ID, MEMBER) == "en"
    with db.session() as s:
        repo.set_language(s, TEAM_ID, MEMBER, None)  # follow Slack again
        s.commit()
    fresh = Locales(db, client, wall=lambda: wall[0])
    assert fresh.known(TEAM_ID, MEMBER) == "zh-CN"
    wall[0] += timedelta(minutes=11)  # older than the 10 minutes it is trusted for: Slack is asked again
    later = Locales(db, client, wall=lambda: wall[0])
    assert later.known(TEAM_ID, MEMBER) is None
    assert later.locale_of(MEMBER, TEAM_ID) == "zh-CN" and calls(fake) == 2
    later.forget(TEAM_ID, MEMBER)
    assert Locales(db, client).known(TEAM_ID, MEMBER) is None


def test_a_stored_slack_locale_is_not_a_choice_in_another_workspace(db: Database) -> None:
    """A person's most recent choice (for a DM sent without knowing the team) is still their choice when a
    process later stores their Slack locale in another workspace."""
    with db.session() as s:
        repo.set_language(s, "T1", MEMBER, "zh-CN")
        s.commit()
    Locales(db).remember("T2", MEMBER, "en-US")
    assert Locales(db).choice(None, MEMBER) == "zh-CN"
    with db.session() as s:
        assert repo.get_reader(s, "T1", MEMBER).language == "zh-CN"
        assert repo.get_reader(s, "T2", MEMBER) == repo.Reader(None, "en-US", repo.get_reader(s, "T2", MEMBER)
                                                                .slack_locale_at)
    with db.reading() as conn:  # the plain connection a request reads it on: the same answer, time and zone included
        assert repo.get_reader(conn, "T1", MEMBER).language == "zh-CN"
        stored = repo.get_reader(conn, "T2", MEMBER)
    assert stored.slack_locale == "en-US" and stored.slack_locale_at is not None
    assert stored.slack_locale_at.utcoffset() is not None
    with db.session() as s:
        assert repo.get_reader(s, "T2", MEMBER) == stored
