"""Leak guard flow without Slack: scanning, fingerprint matching, exposure, one alert per leaked value."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.flows.audit import read_detail
from bot.flows.leak_guard import (
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ConnectionExposed,
    LeakWarning,
    PostedMessage,
    handle_message,
    scan,
)
from bot.flows.ports import Delivery, DeliveryError, Notice
from bot.i18n import Channel, Message
from bot.views.blocks import Words
from bot.views.notices import render
from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database
from storage.models import exposed_kinds
from tests.db_fixtures import drop_postgres_url, postgres_url_or_skip, sqlite_url

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEAM = "T0FAKETEAM"


def new_secret() -> str:
    return "amzn1.oa2-cs.v1." + secrets.token_hex(32)


def new_token() -> str:
    return "Atzr|IwEB" + secrets.token_urlsafe(240)


class RecordingOutbox:
    """An Outbox that keeps what it was given (the Slack-side outbox is tested over HTTP elsewhere)."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[Notice] = []
        self.fail = fail

    def send(self, notice: Notice) -> Delivery:
        if self.fail:
            raise DeliveryError("Slack answered not_in_channel")
        render(notice, Words())  # every notice must render
        self.sent.append(notice)
        return Delivery(channel="C0NOTIFY01", ts=f"{len(self.sent)}.000")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = sqlite_url(tmp_path) if request.param == "sqlite" else postgres_url_or_skip()
    database = Database(url)
    database.migrate()
    try:
        yield database
    finally:
        database.dispose()
        drop_postgres_url(url)


@pytest.fixture
def crypto() -> Crypto:
    return Crypto([generate_key("k1")])


def store(db: Database, crypto: Crypto, name: str, secret: str, token: str, team: str = TEAM) -> int:
    with db.session() as s:
        conn = repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id=team, name=name, account_type="seller", selling_partner_id="A1B2C3D4E5F6G7",
            region="NA", marketplace_id="ATVPDKIKX0DER", client_id="amzn1.application-oa2-client." + "a" * 32,
            client_secret=secret, refresh_token=token, secret_created_on=date(2026, 1, 1), store_name=None),
            created_by="U0OWNER01", now=NOW,
        )
        s.commit()
        assert conn.id is not None
        return conn.id


def msg(text: str, event_id: str | None = None, **kw: object) -> PostedMessage:
    return PostedMessage(
        team_id=kw.pop("team_id", TEAM), channel_id="C0GENERAL1", user_id=kw.pop("user_id", "U0POSTER1"),  # type: ignore[arg-type]
        ts="1700000000.000100", event_id=event_id or f"Ev{secrets.token_hex(5)}", texts=(text,), **kw,  # type: ignore[arg-type]
    )


# ----------------------------------------------------------------------------- scan


def test_scan_finds_both_shapes_and_never_shows_them_in_repr() -> None:
    s, t = new_secret(), new_token()
    found = scan([f"here you go `{s}` and the token {t}."])
    assert {f.kind for f in found} == {CLIENT_SECRET, REFRESH_TOKEN}
    assert all(f.confident for f in found)
    assert s not in repr(found) and t not in repr(found) and s[-4:] not in repr(found)


def test_scan_client_secret_prefix_case_and_exact_value() -> None:
    s = new_secret()
    found = scan([f"secret={s.upper().replace('AMZN1.OA2-CS.V1.', 'AMZN1.OA2-CS.V1.')}"])
    assert len(found) == 1 and found[0].kind == CLIENT_SECRET
    assert scan([s])[0].candidates()[0] == s


@pytest.mark.parametrize(
    "text",
    [
        "commit 3f9c1e0a7b2d4c6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e",  # a sha256 with no context
        "sha256: " + "ab" * 32,
        "Atzr|short",  # too short for a refresh token
        "amzn1.oa2-cs.v1.xyz",  # not hex
        "amzn1.application-oa2-client." + "a" * 32,  # a client id is not a secret
        "Atza|" + "x" * 300,  # an access token expires within an hour: not the leak guard's business
    ],
)
def test_scan_leaves_ordinary_text_alone(text: str) -> None:
    assert [f for f in scan([text]) if f.confident] == []


def test_bare_hex_counts_with_context() -> None:
    legacy = secrets.token_hex(32)
    found = scan([f"LWA client secret: {legacy}"])
    assert len(found) == 1 and found[0].confident
    assert not scan([f"checksum {legacy}"])[0].confident


def test_scan_of_an_edit_counts_only_new_secrets() -> None:
    s, t = new_secret(), new_token()
    assert scan([f"{s} (fixed a typo)"], [f"{s} (fixd a typo)"]) == []
    found = scan([f"{s} and {t}"], [s])
    assert [f.kind for f in found] == [REFRESH_TOKEN]


def test_scan_is_bounded_on_huge_input() -> None:
    s = new_secret()
    assert scan(["x" * 300_000 + s]) == []  # beyond the scan cap: ignored, and it returns quickly
    assert len(scan(["x" * 1000 + s])) == 1


# ----------------------------------------------------------------------------- flow


def test_match_flags_exposed_alerts_once_and_warns_per_message(db: Database, crypto: Crypto) -> None:
    s, t = new_secret(), new_token()
    cid = store(db, crypto, "US Main", s, t)
    other = store(db, crypto, "EU Store", new_secret(), new_token())
    outbox, warnings = RecordingOutbox(), []

    out = handle_message(db, crypto, outbox, msg(f"my secret {s}", "Ev1"), now=NOW, warn=warnings.append)
    assert out.warned and out.found == (CLIENT_SECRET,)
    assert [(e.connection_id, e.secret, e.alerted) for e in out.exposed] == [(cid, CLIENT_SECRET, True)]
    assert isinstance(warnings[0], LeakWarning) and warnings[0].connection_names == ("US Main",)
    assert len(outbox.sent) == 1 and outbox.sent[0].payload == ConnectionExposed(
        connection_id=cid, name="US Main", secret=CLIENT_SECRET, channel_id="C0GENERAL1", user_id="U0POSTER1")

    # Slack retries the same event: nothing more happens.
    again = handle_message(db, crypto, outbox, msg(f"my secret {s}", "Ev1"), now=NOW, warn=warnings.append)
    assert again.duplicate and len(warnings) == 1 and len(outbox.sent) == 1

    # The same secret in another message: the poster is warned again, the channel is not alerted twice.
    third = handle_message(db, crypto, outbox, msg(f"again {s}", "Ev2"), now=NOW, warn=warnings.append)
    assert third.warned and len(warnings) == 2 and len(outbox.sent) == 1

    # The refresh token is another leaked value: one more alert.
    handle_message(db, crypto, outbox, msg(t, "Ev3"), now=NOW, warn=warnings.append)
    assert [n.payload.secret for n in outbox.sent if isinstance(n.payload, ConnectionExposed)] == [
        CLIENT_SECRET, REFRESH_TOKEN]

    with db.session() as session:
        conn = repo.get_connection_by_id(session, cid)
        # "exposed" stands beside the status (derived from the leaked fingerprints), not instead of it
        assert conn is not None and conn.status == "connected"
        assert exposed_kinds(conn) == (CLIENT_SECRET, REFRESH_TOKEN)
        other_conn = repo.get_connection_by_id(session, other)
        assert other_conn is not None and other_conn.status == "connected" and exposed_kinds(other_conn) == ()
        exposures = [a for a in repo.list_audit(session, TEAM, "US Main") if a.action == "exposed"]
        assert len(exposures) == 2
        assert all(s not in (a.detail or "") for a in exposures)
        assert {read_detail(a.detail) for a in exposures} == {
            Message("guard.leak.last_error", what=Message(f"guard.leak.label.{which}"), channel=Channel("C0GENERAL1"))
            for which in (CLIENT_SECRET, REFRESH_TOKEN)}
        actions = [a.action for a in repo.list_audit(session, TEAM, "US Main")]
        assert actions.count("exposed") == 2
        for entry in repo.list_audit(session, TEAM):
            assert s not in (entry.detail or "") and t not in (entry.detail or "")


def test_unknown_secret_warns_but_flags_nothing(db: Database, crypto: Crypto) -> None:
    store(db, crypto, "US Main", new_secret(), new_token())
    outbox, warnings = RecordingOutbox(), []
    out = handle_message(db, crypto, outbox, msg(new_secret()), now=NOW, warn=warnings.append)
    assert out.warned and out.exposed == () and outbox.sent == []


def test_other_workspace_connection_is_not_flagged(db: Database, crypto: Crypto) -> None:
    s = new_secret()
    store(db, crypto, "Theirs", s, new_token(), team="T0OTHERTEAM")
    outbox, warnings = RecordingOutbox(), []
    out = handle_message(db, crypto, outbox, msg(s), now=NOW, warn=warnings.append)
    assert out.warned and out.exposed == () and outbox.sent == []


def test_bare_hex_without_context_acts_only_on_a_stored_legacy_secret(db: Database, crypto: Crypto) -> None:
    legacy = secrets.token_hex(32)
    cid = store(db, crypto, "Legacy", legacy, new_token())
    outbox, warnings = RecordingOutbox(), []
    out = handle_message(db, crypto, outbox, msg(f"sha {secrets.token_hex(32)}"), now=NOW, warn=warnings.append)
    assert not out.hit and warnings == []
    out = handle_message(db, crypto, outbox, msg(f"here {legacy}"), now=NOW, warn=warnings.append)
    assert out.warned and [e.connection_id for e in out.exposed] == [cid]


def test_fingerprint_matching_survives_key_rotation(db: Database) -> None:
    old = generate_key("k1")
    s = new_secret()
    cid = store(db, Crypto([old]), "US Main", s, new_token())
    rotated = Crypto([generate_key("k2"), old])  # a new key added, rotate-key not run yet
    out = handle_message(db, rotated, RecordingOutbox(), msg(s), now=NOW, warn=lambda w: None)
    assert [e.connection_id for e in out.exposed] == [cid]


def test_failed_alert_is_released_so_a_later_leak_alerts(db: Database, crypto: Crypto) -> None:
    s = new_secret()
    store(db, crypto, "US Main", s, new_token())
    out = handle_message(db, crypto, RecordingOutbox(fail=True), msg(s), now=NOW, warn=lambda w: None)
    assert [e.alerted for e in out.exposed] == [False]
    ok = RecordingOutbox()
    out = handle_message(db, crypto, ok, msg(s), now=NOW, warn=lambda w: None)
    assert [e.alerted for e in out.exposed] == [True] and len(ok.sent) == 1


def test_warning_failure_does_not_stop_the_alert(db: Database, crypto: Crypto) -> None:
    s = new_secret()
    store(db, crypto, "US Main", s, new_token())

    def broken(_: LeakWarning) -> None:
        raise RuntimeError("slack down")

    outbox = RecordingOutbox()
    out = handle_message(db, crypto, outbox, msg(s), now=NOW, warn=broken)
    assert not out.warned and len(outbox.sent) == 1


def test_message_from_an_app_alerts_without_warning(db: Database, crypto: Crypto) -> None:
    s = new_secret()
    store(db, crypto, "US Main", s, new_token())
    warnings: list[LeakWarning] = []
    outbox = RecordingOutbox()
    out = handle_message(db, crypto, outbox, msg(s, user_id=None), now=NOW, warn=warnings.append)
    assert warnings == [] and len(outbox.sent) == 1 and out.exposed


def test_still_exposed_tracks_which_leaked_secret_is_still_in_use(db: Database, crypto: Crypto) -> None:
    from bot.flows.leak_guard import still_exposed

    s, t = new_secret(), new_token()
    cid = store(db, crypto, "US Main", s, t)
    handle_message(db, crypto, RecordingOutbox(), msg(f"{s} {t}"), now=NOW, warn=lambda w: None)
    with db.session() as session:
        conn = repo.get_connection_by_id(session, cid)
        assert conn is not None and sorted(still_exposed(session, conn)) == [CLIENT_SECRET, REFRESH_TOKEN]
        repo.replace_refresh_token(session, crypto, conn, new_token(), "U0OWNER01", NOW)
        session.commit()
        assert still_exposed(session, conn) == [CLIENT_SECRET]  # the leaked client secret is still the one in use
        repo.replace_client_secret(session, crypto, conn, new_secret(), date(2026, 3, 1), "U0OWNER01", NOW)
        session.commit()
        assert still_exposed(session, conn) == []


def test_a_write_committed_between_the_read_and_the_claim_does_not_fail_the_claim(
        db: Database, crypto: Crypto, monkeypatch: pytest.MonkeyPatch) -> None:
    """The flow reads the stored fingerprints, then claims the event (a write). Another connection's commit in
    between failed the claim at once on SQLite ("database is locked": a deferred transaction cannot write on a
    snapshot older than the newest commit), 3 tries in a row in one CI run; the unit now writes from its start."""
    import threading
    from collections.abc import Sequence

    from sqlmodel import Session

    from storage.models import Connection

    s = new_secret()
    store(db, crypto, "US Main", s, new_token())
    read = repo.find_connections_by_fingerprint

    def read_then_someone_writes(session: Session, fingerprints: Sequence[str]) -> list[Connection]:
        rows = read(session, fingerprints)

        def other() -> None:
            with db.session(write=True) as elsewhere:
                repo.claim_idempotency_key(elsewhere, "someone-else", NOW)

        writer = threading.Thread(target=other)
        writer.start()
        writer.join(1.0)  # with the write lock held here it waits for this unit's commit; without, it is done
        return rows

    monkeypatch.setattr(repo, "find_connections_by_fingerprint", read_then_someone_writes)
    out = handle_message(db, crypto, RecordingOutbox(), msg(f"my secret {s}", "EvRace"), now=NOW, warn=lambda w: None)
    assert out.found == (CLIENT_SECRET,) and not out.duplicate
