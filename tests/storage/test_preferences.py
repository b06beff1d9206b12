"""Each person's language choice (storage/repo/preferences.py), on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from storage import repo
from storage.db import Database
from storage.models import UserPreference
from tests.storage.conftest import NOW


def language(db: Database, team: str, user: str) -> str | None:
    with db.session() as s:
        return repo.get_language(s, team, user)


def test_a_person_without_a_choice_follows_slack(db: Database) -> None:
    assert language(db, "T1", "U1") is None
    with db.session() as s:
        assert repo.get_language_any_team(s, "U1") is None


def test_a_choice_is_stored_changed_and_cleared_in_one_row(db: Database) -> None:
    for value, at in (("zh-CN", NOW), ("en", NOW + timedelta(minutes=1)), (None, NOW + timedelta(minutes=2))):
        with db.session(write=True) as s:
            repo.set_language(s, "T1", "U1", value, at)
            s.commit()
        assert language(db, "T1", "U1") == value
    with db.session() as s:
        rows = list(s.exec(select(UserPreference)).all())
    assert [(r.team_id, r.user_id, r.language) for r in rows] == [("T1", "U1", None)]
    assert rows[0].updated_at == NOW + timedelta(minutes=2)


def test_a_choice_belongs_to_one_person_in_one_workspace(db: Database) -> None:
    with db.session(write=True) as s:
        repo.set_language(s, "T1", "U1", "zh-CN", NOW)
        repo.set_language(s, "T2", "U1", "en", NOW + timedelta(hours=1))
        s.commit()
    assert (language(db, "T1", "U1"), language(db, "T2", "U1"), language(db, "T1", "U2")) == ("zh-CN", "en", None)
    with db.session() as s:
        assert repo.get_language_any_team(s, "U1") == "en"  # the most recent choice
        assert repo.get_language_any_team(s, "U2") is None


def test_a_row_loaded_in_the_session_reads_the_new_choice(db: Database) -> None:
    with db.session(write=True) as s:
        repo.set_language(s, "T1", "U1", "zh-CN", NOW)
        s.commit()
        assert repo.get_language(s, "T1", "U1") == "zh-CN"  # loaded into the session's identity map
        repo.set_language(s, "T1", "U1", "en", NOW)
        assert repo.get_language(s, "T1", "U1") == "en"
        s.commit()


def test_two_requests_at_once_do_not_collide(db: Database) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(6)

    def choose(value: str) -> None:
        try:
            start.wait(5)
            with db.session(write=True) as s:
                repo.set_language(s, "T1", "U1", value, NOW)
                s.commit()
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=choose, args=(v,)) for v in ("en", "zh-CN") * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert language(db, "T1", "U1") in ("en", "zh-CN")
    with db.session() as s:
        assert len(list(s.exec(select(UserPreference)).all())) == 1
