"""The one connection summary (bot/flows/summary.py): built from a whole ``Connection`` row or from the
narrow row of ``repo.connection_summaries``, it gives every notice the same facts, and holds no secret,
ciphertext or fingerprint, in any form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

from bot.flows.lifecycle_notices import AboutConnection
from bot.flows.problems import Problem
from bot.flows.summary import ConnectionSummary
from bot.i18n import Marketplace, Region, User
from storage import repo
from storage.crypto import Crypto, generate_key
from storage.db import Database, migrate
from storage.models import Connection

SECRET = "amzn1.oa2-cs.v1." + "5e" * 32
TOKEN = "Atzr|IwEB" + "t0k3n" * 60


def _stored(tmp_path: Path) -> tuple[Database, int, Crypto]:
    db = Database(f"sqlite:///{tmp_path / 'summary.db'}")
    migrate(db.engine)
    crypto = Crypto([generate_key("k1")])
    with db.session(write=True) as session:
        conn = Connection(team_id="T1", name="EU <Main>", account_type="vendor", selling_partner_id="VEND01",
                          region="EU", marketplace_id="A1PA6795UKMFR9", client_id="amzn1.application-oa2-client.x",
                          store_name="Acme DE", secret_created_on=date(2026, 1, 1),
                          secret_expires_on=date(2026, 6, 30), status="failing",
                          last_verified_at=datetime(2026, 5, 1, 9, 30, tzinfo=UTC),
                          last_problem_kind="legacy",
                          last_problem_params=Problem("legacy",
                                                      {"text": f"Amazon refused the secret {SECRET}"}).columns()[1],
                          created_by="U0OWNER")
        session.add(conn)
        session.flush()
        assert conn.id is not None
        conn.client_secret_enc = crypto.encrypt(SECRET, table="connections", row_id=conn.id, field="client_secret")
        conn.refresh_token_enc = crypto.encrypt(TOKEN, table="connections", row_id=conn.id, field="refresh_token")
        conn.client_secret_fp = crypto.fingerprint(SECRET)
        conn.refresh_token_fp = crypto.fingerprint(TOKEN)
        conn.exposed_secrets = json.dumps({"client_secret": [conn.client_secret_fp]})  # seen in Slack
        session.commit()
        return db, conn.id, crypto


def test_a_connection_and_its_summaries_row_give_the_same_notice_facts(tmp_path: Path) -> None:
    db, cid, _crypto = _stored(tmp_path)
    with db.session() as session:
        whole = ConnectionSummary.of(repo.get_connection_by_id(session, cid))
        narrow = ConnectionSummary.of(repo.connection_summaries(session, [cid])[cid])
    expected = {"connection_id": cid, "name": "EU <Main>", "account_type": "vendor",
                "marketplace": Marketplace("A1PA6795UKMFR9"), "region": Region("EU"), "owner": User("U0OWNER"),
                "expires_on": date(2026, 6, 30), "exposed": ("client_secret",)}
    assert AboutConnection.facts(whole) == expected
    assert AboutConnection.facts(narrow) == expected
    # The narrow row does not select these: they stay empty rather than made up.
    assert (narrow.selling_partner_id, narrow.store_name, narrow.last_verified_at, narrow.last_problem) == (
        "", None, None, None)
    assert (whole.selling_partner_id, whole.store_name) == ("VEND01", "Acme DE")


def test_no_secret_ciphertext_or_fingerprint_in_any_form_of_the_summary(tmp_path: Path) -> None:
    db, cid, crypto = _stored(tmp_path)
    with db.session() as session:
        conn = repo.get_connection_by_id(session, cid)
        assert conn is not None and conn.client_secret_enc and conn.refresh_token_enc
        summary = ConnectionSummary.of(conn)
        forbidden = [SECRET, TOKEN, crypto.fingerprint(SECRET), crypto.fingerprint(TOKEN),
                     conn.client_secret_enc.hex(), conn.refresh_token_enc.hex()]
    shown = " ".join([repr(summary), str(summary), json.dumps(summary.to_dict()), repr(AboutConnection.facts(summary))])
    for value in forbidden:
        assert value not in shown
    assert summary.last_problem is not None and summary.last_problem.kind == "legacy"
    assert "Amazon refused the secret" in summary.last_problem.params["text"]
    # The dict form round-trips (stored submission outcomes, the connection_connected notice).
    assert ConnectionSummary.from_dict(json.loads(json.dumps(summary.to_dict()))) == summary
