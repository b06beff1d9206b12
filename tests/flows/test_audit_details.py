"""Audit details are stored as meanings (the JSON of a ``Message``) and worded when the trail is shown, in the
reader's language; a sentence stored by an earlier version is still shown, escaped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bot.flows.audit import AuditRow, audit_detail, read_detail
from bot.i18n import Channel, Marketplace, Message, Region, t
from bot.views.audit import audit_line
from bot.views.blocks import Words
from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database
from tests.catalog import says
from tests.db_fixtures import migrated_sqlite

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SECRET = "amzn1.oa2-cs.v1." + "ab12" * 16
TOKEN = "Atzr|IwEB" + "x" * 200


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_sqlite(tmp_path) as database:
        yield database


def test_read_detail_keeps_an_earlier_versions_sentence() -> None:
    message = Message("guard.leak.last_error", what=Message("guard.leak.label.client_secret"), channel=Channel("C0A1"))
    assert read_detail(audit_detail(message)) == message
    assert audit_detail(None) is None and read_detail(None) is None
    assert read_detail("secrets erased") == "secrets erased"
    assert read_detail("{not json") == "{not json"


def test_the_credentials_writers_store_meanings(db: Database) -> None:
    crypto = Crypto([generate_key("k1")])
    with db.session() as s:
        conn = repo.create_or_update_connection(
            s, crypto,
            repo.ConnectionValues(team_id="T1", name="Main EU", account_type="seller", selling_partner_id="A1SELLER",
                                  region="EU", marketplace_id="A1PA6795UKMFR9",
                                  client_id="amzn1.application-oa2-client." + "a" * 32, client_secret=SECRET,
                                  refresh_token=TOKEN, secret_created_on=date(2026, 3, 1), store_name=None),
            created_by="U0OWNER01", now=NOW)
        repo.replace_client_secret(s, crypto, conn, SECRET.replace("ab12", "cd34"), date(2026, 3, 1), "U0OWNER01",
                                   NOW)
        repo.replace_refresh_token(s, crypto, conn, TOKEN.replace("x", "y"), "U0OWNER01", NOW)
        repo.erase_secrets(s, conn, "U0OWNER01", NOW)
        s.commit()
        details = {e.action: read_detail(e.detail) for e in repo.list_audit(s, "T1")}
    assert details == {
        "connected": Message("guard.audit.detail.connected", account=Message("guard.audit.detail.account.seller"),
                             seller="A1SELLER", region=Region("EU"), marketplace=Marketplace("A1PA6795UKMFR9")),
        "rotated_secret": Message("guard.audit.detail.rotated_secret", generation=2, expires=date(2026, 8, 28)),
        "reauthorized": Message("guard.audit.detail.reauthorized"),
        "disconnected": Message("guard.audit.detail.disconnected"),
    }


def test_the_trail_words_a_meaning_and_escapes_an_old_sentence() -> None:
    words = Words()
    row = AuditRow(NOW, "U0OWNER01", "exposed", "Main EU", Message(
        "guard.leak.last_error", what=Message("guard.leak.label.refresh_token"), channel=Channel("C0TEAM")))
    line = audit_line(row, words)
    assert says(line, "guard.leak.last_error", what=t("guard.leak.label.refresh_token"), channel="<#C0TEAM>")
    assert says(line, "guard.audit.action.exposed") and words.datetime(NOW) in line
    old = audit_line(AuditRow(NOW, "system", "disconnected", "Main EU", "secrets <erased> & gone"), words)
    assert "secrets &lt;erased&gt; &amp; gone" in old and says(old, "guard.audit.by_system")
    unknown = audit_line(AuditRow(NOW, "system", "odd", None, Message("guard.audit.detail.no_such_key")), words)
    assert "guard.audit.detail.no_such_key" in unknown  # a key a later version dropped: shown, never a crash
