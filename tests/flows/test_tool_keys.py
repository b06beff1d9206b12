"""Tool keys and the token broker in process (issue 15): parsing, the keyed hash across an ENCRYPTION_KEYS
rotation, the recheck window, and the broker's cache key and single flight."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlmodel import SQLModel

from bot.amazon.client import Credentials
from bot.amazon.verdicts import Verdict, VerdictKind
from bot.flows import tool_keys as flow
from bot.flows.tokens import FailureKind, Grant, TokenBroker, TokenFailure, ValuesKey
from bot.i18n import Message
from storage.crypto import Crypto, generate_key
from storage.db import Database
from storage.models import ToolKey
from storage.repo import tool_keys as repo_keys

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def test_parse_keys_command() -> None:
    assert flow.parse_keys_command('create etl "Main US" Other --export') == flow.KeysCommand(
        flow.Verb.create, tool="etl", connections=("Main US", "Other"), export=True)
    assert flow.parse_keys_command("create etl \u201cMain US\u201d") == flow.KeysCommand(
        flow.Verb.create, tool="etl", connections=("Main US",))
    assert flow.parse_keys_command("create etl *").connections == ("*",)
    assert flow.parse_keys_command("LIST") == flow.KeysCommand(flow.Verb.list)
    assert flow.parse_keys_command("revoke etl") == flow.KeysCommand(flow.Verb.revoke, tool="etl")
    assert flow.parse_keys_command("revoke etl --export") == Message("guard.keys.usage")
    assert flow.parse_keys_command("create etl * Main") == Message("guard.keys.all_alone")
    assert flow.parse_keys_command('create etl "Main').key == "guard.keys.usage.quotes"
    assert flow.parse_keys_command("create ../x Main").key == "guard.keys.bad_tool_name"


def test_bearer_key_shape() -> None:
    key = repo_keys.new_key_text()
    assert len(key) >= 5 + 32 and key.startswith("amzc_")
    assert flow.bearer_key(f"Bearer {key}") == key
    assert flow.bearer_key(f"bearer   {key} ") == key
    for bad in (None, "", key, f"Basic {key}", "Bearer amzc_short", f"Bearer {key}\x00"):
        assert flow.bearer_key(bad) is None


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'k.db'}")
    SQLModel.metadata.create_all(database.engine)
    yield database
    database.dispose()


def test_a_key_survives_an_encryption_key_rotation_and_is_rehashed_on_first_use(db: Database) -> None:
    old = generate_key("old1")
    crypto = Crypto([old])
    with db.session() as s:
        row, text = repo_keys.create_tool_key(s, crypto, team_id="T1", name="etl", connection_ids=None,
                                              export=False, created_by="U1", now=NOW)
        s.commit()
        assert text not in repr(row) and row.prefix == text[:repo_keys.PREFIX_LENGTH]
        assert row.key_hash != text and len(row.key_hash) == 64
    rotated = Crypto([generate_key("new1"), old])
    with db.session() as s:
        assert repo_keys.keys_hashed_under_old_kids(s, "new1") == 1
        found = repo_keys.authenticate(s, rotated, text, now=NOW)
        assert found is not None and found.hash_kid == "new1"
        s.commit()
    with db.session() as s:
        assert repo_keys.keys_hashed_under_old_kids(s, "new1") == 0
        assert repo_keys.authenticate(s, Crypto([generate_key("new1x")]), text, now=NOW) is None  # no such kid
        assert repo_keys.authenticate(s, rotated, text[:-1] + ("A" if text[-1] != "A" else "B"), now=NOW) is None
        assert repo_keys.authenticate(s, rotated, "amzc_" + "x" * 10, now=NOW) is None


def test_two_live_keys_cannot_share_a_tool_name_but_a_revoked_one_frees_it(db: Database) -> None:
    crypto = Crypto([generate_key("k1")])
    with db.session() as s:
        row, _ = repo_keys.create_tool_key(s, crypto, team_id="T1", name="etl", connection_ids=None, export=False,
                                           created_by="U1", now=NOW)
        with pytest.raises(repo_keys.ToolKeyNameTaken):
            repo_keys.create_tool_key(s, crypto, team_id="T1", name="etl", connection_ids=None, export=False,
                                      created_by="U1", now=NOW)
        repo_keys.revoke_tool_key(s, row, by="U1", now=NOW)
        repo_keys.create_tool_key(s, crypto, team_id="T1", name="etl", connection_ids=None, export=False,
                                  created_by="U1", now=NOW)
        s.commit()
        assert s.query(ToolKey).count() == 2


class _Amazon:
    """An AmazonClient stand-in for the broker's own logic (the HTTP tests use the real client and fake)."""

    def __init__(self, answers: list[tuple[str, float] | Verdict], gate: threading.Event | None = None) -> None:
        self.answers = answers
        self.gate = gate
        self.calls: list[Credentials] = []

    def access_token(self, creds: Credentials) -> tuple[str, float] | Verdict:
        self.calls.append(creds)
        if self.gate is not None:
            self.gate.wait(5)
        return self.answers.pop(0)


def _creds(secret: str = "s1") -> Credentials:
    return Credentials("seller", "A1", "amzn1.application-oa2-client.x", secret, "Atzr|x", "ATVPDKIKX0DER")


def _key(fp: str = "fp1", generation: int = 1) -> ValuesKey:
    return ValuesKey(connection_id=7, client_id="c", client_secret_fp=fp, refresh_token_fp="r",
                     secret_generation=generation)


def test_the_broker_caches_until_five_minutes_before_expiry_and_keys_by_the_stored_values() -> None:
    now = [1000.0]
    amazon = _Amazon([("Atza|one", 3600.0), ("Atza|two", 3600.0), ("Atza|three", 3600.0)])
    broker = TokenBroker(amazon, clock=lambda: now[0])  # type: ignore[arg-type]
    first = broker.token_for(_key(), "Main", _creds)
    assert isinstance(first, Grant) and "Atza|one" not in repr(first)
    now[0] += 3600 - 301
    assert broker.token_for(_key(), "Main", _creds) == first
    now[0] += 2  # now less than 5 minutes are left
    second = broker.token_for(_key(), "Main", _creds)
    assert isinstance(second, Grant) and second.access_token == "Atza|two"
    rotated = broker.token_for(_key("fp2", 2), "Main", lambda: _creds("s2"))  # a rotation: new values, new token
    assert isinstance(rotated, Grant) and rotated.access_token == "Atza|three"
    assert [c.client_secret for c in amazon.calls] == ["s1", "s1", "s2"]
    assert broker.cached(_key()) is None  # the old values' token was dropped


def test_concurrent_requests_share_one_exchange_and_its_failure() -> None:
    gate = threading.Event()
    amazon = _Amazon([Verdict(VerdictKind.invalid_grant), ("Atza|later", 3600.0)], gate)
    broker = TokenBroker(amazon)  # type: ignore[arg-type]
    results: list[Grant | TokenFailure] = []
    threads = [threading.Thread(target=lambda: results.append(broker.token_for(_key(), "Main", _creds)))
               for _ in range(20)]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert len(amazon.calls) == 1 and len(results) == 20
    assert all(isinstance(r, TokenFailure) and r.kind == FailureKind.refused for r in results)
    again = broker.token_for(_key(), "Main", _creds)  # a failure is not cached
    assert isinstance(again, Grant) and len(amazon.calls) == 2

