"""The tools' HTTP API over real HTTP against the running bot (issue 15): every error status, scoping,
caching, single flight, rotation transparency, export audit and revocation. The LWA exchanges are counted
at the fake Amazon."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.flows.tool_keys import KeyChecker
from bot.server import BotWSGI, make_server
from storage import repo
from storage.models import AuditEntry, Connection, ToolKeyExport
from tests.api.helpers import CREATED_ON, api, make_key, revoke, token
from tests.fakes.fake_amazon import TOKEN_PATH, make_credentials
from tests.fakes.slack_signing import TEAM_ID
from tests.harness import BotHarness


def _error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code and isinstance(body["message"], str) and body["message"]
    assert set(body) == {"error", "message"}
    return body


def test_missing_or_malformed_key_is_401_before_the_database_is_asked(tmp_path) -> None:
    with BotHarness(tmp_path, workers=0) as h:  # no job worker polls the database meanwhile
        _refused_before_the_database(h)


def _refused_before_the_database(bot: BotHarness) -> None:
    calls = []
    real = bot.services.db.session

    def counting():
        calls.append(1)
        return real()

    bot.services.db.session = counting  # type: ignore[method-assign]
    try:
        for headers in ({}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer amzc_short"},
                        {"Authorization": "Bearer xoxb-123456789"}):
            r = api(bot, "POST", "/v1/connections/Main/access-token", headers=headers)
            body = _error(r, 401, "unauthorized")
            assert r.headers["www-authenticate"].startswith("Bearer")
            assert "Authorization: Bearer" in body["message"]
        assert calls == []
    finally:
        bot.services.db.session = real  # type: ignore[method-assign]


def test_unknown_key_is_401(bot: BotHarness) -> None:
    r = token(bot, "Main", "amzc_" + "A" * 43)
    _error(r, 401, "unauthorized")
    assert "revoked" in r.json()["message"]


def test_token_scoping_listing_and_404s(bot: BotHarness) -> None:
    main_id, creds = bot.seed("Main US", created_on=CREATED_ON)
    other_id, _ = bot.seed("Other EU", created_on=CREATED_ON, creds=make_credentials())
    key = make_key(bot, "etl", "Main US")

    r = token(bot, "Main US", key)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["access_token"].startswith("Atza|") and body["token_type"] == "bearer"
    assert 3000 < body["expires_in"] <= 3600
    assert body["connection"] == "Main US" and body["region"] == "NA"
    assert body["marketplace_id"] == creds.marketplace_id and body["selling_partner_id"] == creds.selling_partner_id
    assert body["sp_api_endpoint"] == bot.settings.sp_api_endpoint.replace("{region}", "na").rstrip("/")
    # the name as commands take it: another case finds the same connection
    assert token(bot, "main us", key).status_code == 200

    _error(token(bot, "Other EU", key), 403, "forbidden")
    _error(token(bot, "Nope", key), 404, "not_found")
    _error(api(bot, "GET", "/v1/nothing-here", key), 404, "not_found")
    _error(api(bot, "DELETE", "/v1/connections", key), 405, "method_not_allowed")

    listed = api(bot, "GET", "/v1/connections", key).json()["connections"]
    assert [c["connection"] for c in listed] == ["Main US"]
    assert listed[0]["status"] == "connected" and "client_secret" not in listed[0]
    everything = make_key(bot, "dash", "*")
    assert sorted(c["connection"] for c in api(bot, "GET", "/v1/connections", everything).json()["connections"]) == [
        "Main US", "Other EU"]
    assert token(bot, "Other EU", everything).status_code == 200
    assert main_id != other_id


def test_disconnected_and_failing_connections_are_409(bot: BotHarness) -> None:
    gone_id, _ = bot.seed("Gone", created_on=CREATED_ON)
    sick_id, _ = bot.seed("Sick", created_on=CREATED_ON, creds=make_credentials())
    key = make_key(bot, "etl", "*")
    with bot.db_session() as s:
        conn = s.get(Connection, gone_id)
        assert repo.erase_secrets(s, conn, "U0ADMIN", datetime.now(UTC))
        sick = s.get(Connection, sick_id)
        sick.status = "failing"
        sick.last_problem_kind = "invalid_grant"
        sick.last_problem_params = "{}"
        s.add(sick)
        s.commit()
    body = _error(token(bot, "Gone", key), 409, "connection_unusable")
    assert "disconnected" in body["message"] and "/connect-amazon" in body["message"]
    body = _error(token(bot, "Sick", key), 409, "connection_unusable")
    assert "failing" in body["message"] and "refresh token" in body["message"].lower()
    assert bot.amazon.calls(TOKEN_PATH) == 0  # Amazon was not asked


def test_amazon_refusing_the_stored_values_is_409_and_an_outage_503(bot: BotHarness) -> None:
    _, creds = bot.seed("Main", created_on=CREATED_ON)
    key = make_key(bot, "etl", "Main")
    bot.amazon.fail_next(20, 503, path=TOKEN_PATH)
    body = _error(token(bot, "Main", key), 503, "amazon_unavailable")
    assert "retry" in body["message"]
    bot.amazon.reset()
    bot.amazon.revoke_refresh_token(creds.refresh_token)
    body = _error(token(bot, "Main", key), 409, "connection_unusable")
    assert "Amazon did not accept" in body["message"]


def test_rate_limit_is_429_with_retry_after(tmp_path) -> None:
    with BotHarness(tmp_path, env={"API_RATE_LIMIT": "3"}) as h:
        h.seed("Main", created_on=CREATED_ON)
        key = make_key(h, "etl", "Main")
        other = make_key(h, "other", "Main")
        assert [token(h, "Main", key).status_code for _ in range(3)] == [200, 200, 200]
        r = token(h, "Main", key)
        body = _error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1 and "API_RATE_LIMIT" in body["message"]
        assert token(h, "Main", other).status_code == 200  # the limit is per key


def test_export_keys_only_and_every_export_is_audited(bot: BotHarness) -> None:
    conn_id, creds = bot.seed("Main", created_on=CREATED_ON)
    plain = make_key(bot, "etl", "Main")
    exporter = make_key(bot, "legacy", "Main", export=True)
    body = _error(api(bot, "GET", "/v1/connections/Main/credentials", plain), 403, "forbidden")
    assert "--export" in body["message"]
    for _ in range(2):
        r = api(bot, "GET", "/v1/connections/Main/credentials", exporter)
        assert r.status_code == 200, r.text
    got = r.json()
    assert (got["client_id"], got["client_secret"], got["refresh_token"]) == (
        creds.client_id, creds.client_secret, creds.refresh_token)
    with bot.db_session() as s:
        entries = s.query(AuditEntry).filter(AuditEntry.action == "credentials_exported").all()
        assert [(e.actor, e.connection_id) for e in entries] == [("tool:legacy", conn_id)] * 2
        export = s.query(ToolKeyExport).one()
        assert export.client_secret_fp == bot.connection(conn_id).client_secret_fp
        assert repo.exporters_of_current_secret(s, [conn_id]) == {conn_id: ["legacy"]}


def test_one_exchange_serves_100_requests(bot: BotHarness) -> None:
    bot.seed("Main", created_on=CREATED_ON)
    key = make_key(bot, "etl", "Main", )
    fast = make_key(bot, "fast", "Main")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: token(bot, "Main", key if i % 2 else fast), range(100)))
    assert {r.status_code for r in results} == {200}
    assert len({r.json()["access_token"] for r in results}) == 1
    assert bot.amazon.calls(TOKEN_PATH) == 1


def test_50_concurrent_cold_requests_share_one_exchange(bot: BotHarness) -> None:
    bot.seed("Main", created_on=CREATED_ON)
    key = make_key(bot, "etl", "Main")
    api(bot, "GET", "/v1/connections", key)  # the key is checked once; the token is still cold
    bot.amazon.set_latency(0.5, TOKEN_PATH)  # everyone arrives while the first exchange is under way
    start = threading.Barrier(50)

    def one(_i: int):
        start.wait()
        return token(bot, "Main", key)

    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(one, range(50)))
    assert {r.status_code for r in results} == {200}, {r.text for r in results if r.status_code != 200}
    assert len({r.json()["access_token"] for r in results}) == 1
    assert bot.amazon.calls(TOKEN_PATH) == 1


def test_after_a_rotation_the_next_token_comes_from_the_new_secret(bot: BotHarness) -> None:
    conn_id, creds = bot.seed("Main", created_on=CREATED_ON)
    key = make_key(bot, "etl", "Main")
    first = token(bot, "Main", key).json()["access_token"]
    assert token(bot, "Main", key).json()["access_token"] == first
    new_secret = make_credentials().client_secret
    bot.amazon.rotate_secret(creds.client_id, new_secret, old_valid=False)  # the old secret stops working
    with bot.db_session() as s:
        repo.replace_client_secret(s, bot.services.crypto, s.get(Connection, conn_id), new_secret, CREATED_ON,
                                   "U0MEMBER", datetime.now(UTC))
        s.commit()
    r = token(bot, "Main", key)
    assert r.status_code == 200, r.text  # the old values would be refused now: these are the new ones
    assert r.json()["access_token"] != first
    assert bot.amazon.calls(TOKEN_PATH) == 2


def test_a_revoked_key_stops_at_once_here_and_within_5_seconds_on_another_replica(bot: BotHarness) -> None:
    bot.seed("Main", created_on=CREATED_ON)
    key = make_key(bot, "etl", "Main")
    from bot.api.app import wsgi_api

    replica = make_server(BotWSGI(bot.app, bot.services.db.ping, api=wsgi_api(bot.services, checker=KeyChecker())),
                          "127.0.0.1", 0, threads=4)
    thread = threading.Thread(target=replica.run, daemon=True)
    thread.start()
    other = f"http://127.0.0.1:{replica.effective_port}"
    try:
        import httpx

        def other_token():
            return httpx.post(f"{other}/v1/connections/Main/access-token",
                              headers={"Authorization": f"Bearer {key}"}, timeout=10)

        assert token(bot, "Main", key).status_code == 200
        assert other_token().status_code == 200  # that replica now remembers the key as good
        revoke(bot, "etl")
        revoked_at = time.monotonic()
        _error(token(bot, "Main", key), 401, "unauthorized")
        while other_token().status_code != 401:
            assert time.monotonic() - revoked_at < 5, "the other replica still takes a revoked key"
            time.sleep(0.1)
    finally:
        replica.close()


def test_no_key_token_or_secret_is_logged_or_stored(bot: BotHarness) -> None:
    _, creds = bot.seed("Main", created_on=CREATED_ON)
    key = make_key(bot, "etl", "Main", export=True)
    tok = token(bot, "Main", key).json()["access_token"]
    assert api(bot, "GET", "/v1/connections/Main/credentials", key).status_code == 200
    _error(token(bot, "Main", key[:-1] + ("A" if key[-1] != "A" else "B")), 401, "unauthorized")
    everything = bot.everything_sent_and_logged()
    for secret in (key, key[5:], tok, creds.client_secret, creds.refresh_token):
        assert secret not in everything


@pytest.mark.parametrize("path", ["/v1/openapi.json"])
def test_the_openapi_document_is_generated_and_valid(bot: BotHarness, path: str) -> None:
    from openapi_spec_validator import validate

    doc = api(bot, "GET", path).json()
    validate(doc)
    assert doc["openapi"].startswith("3.")
    assert set(doc["paths"]) == {"/v1/connections/{name}/access-token", "/v1/connections",
                                 "/v1/connections/{name}/credentials"}
    responses = doc["paths"]["/v1/connections/{name}/access-token"]["post"]["responses"]
    assert {"200", "401", "403", "404", "409", "429", "503"} <= set(responses)


def test_the_rotation_reminder_names_the_tools_that_exported_the_current_secret(world: BotHarness) -> None:
    """Only tools that fetched the secret now in use are named; token users and revoked keys are not."""
    from datetime import date, timedelta

    from tests.catalog import says

    created = date(2026, 1, 1)
    conn_id, _ = world.seed("Main", created_on=created)
    exporter = make_key(world, "legacy-sync", "Main", export=True)
    make_key(world, "etl", "Main")  # a token user: needs nothing after a rotation
    gone = make_key(world, "old-tool", "Main", export=True)
    for key in (exporter, gone):
        assert api(world, "GET", "/v1/connections/Main/credentials", key).status_code == 200
    revoke(world, "old-tool")
    expires = world.connection(conn_id).secret_expires_on
    world.sweep_here(datetime.combine(expires - timedelta(days=7), datetime.min.time(), tzinfo=UTC))
    posts = [p for p in world.channel_post_calls() if says(str(p.get("text", "")), "lifecycle.reminder.text",
                                                           days=7)]
    assert posts, world.channel_post_calls()
    named = [b for b in posts[-1]["blocks"] if says(b.get("text", {}).get("text", ""), "guard.keys.reminder.exporters")]
    assert len(named) == 1
    text = named[0]["text"]["text"]
    assert "legacy-sync" in text and "etl" not in text.replace("legacy-sync", "") and "old-tool" not in text


def test_on_postgresql_tokens_exports_and_revocation(pg_world: BotHarness) -> None:
    h = pg_world
    conn_id, creds = h.seed("Main", created_on=CREATED_ON)
    key = make_key(h, "etl", "Main", export=True)
    h.amazon.set_latency(0.3, TOKEN_PATH)
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _i: token(h, "Main", key), range(20)))
    assert {r.status_code for r in results} == {200} and h.amazon.calls(TOKEN_PATH) == 1
    got = api(h, "GET", "/v1/connections/Main/credentials", key).json()
    assert got["refresh_token"] == creds.refresh_token
    with h.db_session() as s:
        assert repo.exporters_of_current_secret(s, [conn_id]) == {conn_id: ["etl"]}
        assert repo.tools_by_connection(s, TEAM_ID, [conn_id]) == {conn_id: ["etl"]}
    revoke(h, "etl")
    _error(token(h, "Main", key), 401, "unauthorized")
