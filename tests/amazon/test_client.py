"""Every verdict through the fake Amazon over real HTTP on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from bot.amazon.client import (
    SELLER_ROLES,
    SELLERS_PATH,
    VENDOR_ORDERS_PATH,
    VENDOR_ROLES,
    AmazonClient,
)
from bot.amazon.http import retry_after as _retry_after
from bot.amazon.verdicts import VerdictKind, explain
from bot.i18n import Items, Marketplace, Message, Strong
from bot.views.blocks import Words
from tests.amazon.conftest import FakeTime
from tests.catalog import says
from tests.fakes.fake_amazon import TOKEN_PATH, FakeAmazon, make_credentials

WORDS = Words("en")


def said(message: Message) -> str:
    """A meaning in English words (to look for what Amazon returned in it)."""
    return WORDS.text(message)

DE = "A1PA6795UKMFR9"
UK = "A1F83G8C2ARO7P"
US = "ATVPDKIKX0DER"
CA = "A2EUQ1WTGCTBG2"
JP = "A1VC38T7YXB528"


# -- verified --------------------------------------------------------------------------------


def test_verified_seller_reports_store_and_marketplaces(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(marketplace_id=DE), marketplaces=[DE, UK], store_name="Kaffee Haus")
    v = client.verify(creds)
    assert v.kind is VerdictKind.verified and v.ok and not v.transient
    assert v.store_name == "Kaffee Haus"
    assert v.marketplaces == [DE, UK]
    assert v.request_id
    assert fake.request_log()[-1] == {"method": "GET", "path": SELLERS_PATH, "region": "eu", "status": 200}
    cause, _ = explain(v)
    assert cause == Message("amazon.verdict.verified.cause",
                            store_part=Message("amazon.verdict.part.store", store=Strong("Kaffee Haus")),
                            marketplace_part=Message("amazon.verdict.part.verified_in",
                                                     marketplaces=Items((Marketplace(DE), Marketplace(UK)))),
                            role=Message("amazon.verdict.part.role_unknown"),
                            request_part=Message("amazon.verdict.part.request", request_id=v.request_id))
    assert "Kaffee Haus" in said(cause) and WORDS.marketplace(DE) in said(cause)


def test_verified_vendor_uses_purchase_orders(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(account_type="vendor", marketplace_id=JP))
    v = client.verify(creds)
    assert v.kind is VerdictKind.verified and v.marketplaces == [JP]
    assert fake.calls(VENDOR_ORDERS_PATH) == 1
    assert fake.request_log()[-1]["region"] == "fe"


def test_without_region_placeholder_the_override_replaces_every_host(fake: FakeAmazon, fake_time: FakeTime) -> None:
    creds = fake.register(make_credentials(marketplace_id=JP), marketplaces=[JP])
    with AmazonClient(fake.token_url, fake.sp_api_url, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        assert c.verify(creds).ok
    assert fake.request_log()[-1]["region"] is None


# -- credential problems ---------------------------------------------------------------------


def test_invalid_client_wrong_secret(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    creds.client_secret = make_credentials().client_secret
    v = client.verify(creds)
    assert v.kind is VerdictKind.invalid_client
    assert "Client authentication failed" in v.detail
    assert fake.calls(TOKEN_PATH) == 1 and fake.calls(SELLERS_PATH) == 0


def test_invalid_client_unknown_client_id(fake: FakeAmazon, client: AmazonClient) -> None:
    assert client.verify(make_credentials()).kind is VerdictKind.invalid_client


def test_secret_expired_reported_by_sp_api(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    fake.expire_secret(creds.client_id)
    v = client.verify(creds)
    assert v.kind is VerdictKind.secret_expired
    assert "LWA secret token you provided has expired" in v.detail
    assert fake.calls(SELLERS_PATH) == 1  # a 403 about the secret is not a role problem: no probing


def test_an_expired_secret_still_gets_an_lwa_token(fake: FakeAmazon, client: AmazonClient) -> None:
    # The fake used to refuse an expired secret at LWA with an invented message; Amazon does not: LWA still
    # issues a token and only SP-API says the secret expired. A token-only check therefore cannot see it.
    creds = fake.register(make_credentials())
    fake.expire_secret(creds.client_id)
    lwa = httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                           "client_id": creds.client_id, "client_secret": creds.client_secret})
    assert lwa.status_code == 200 and lwa.json()["access_token"].startswith("Atza|")
    assert client.verify(creds).kind is VerdictKind.secret_expired
    with pytest.raises(ValueError, match="not by LWA"):
        fake.expire_secret(creds.client_id, where="lwa")


def test_old_secret_works_during_grace_then_expires(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    new = make_credentials(client_id=creds.client_id, refresh_token=creds.refresh_token)
    fake.rotate_secret(creds.client_id, new.client_secret, old_valid=True)
    assert client.verify(creds).ok
    assert client.verify(new).ok
    fake.end_grace_period(creds.client_id)
    fake.expire_access_tokens()
    assert client.verify(creds).kind is VerdictKind.secret_expired
    assert client.verify(new).ok


def test_invalid_grant_revoked_and_never_retried(fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime) -> None:
    creds = fake.register(make_credentials())
    fake.revoke_refresh_token(creds.refresh_token)
    v = client.verify(creds)
    assert v.kind is VerdictKind.invalid_grant
    assert fake.calls(TOKEN_PATH) == 1
    assert fake_time.sleeps == []


def test_invalid_grant_superseded_by_newer_authorization(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    newer = make_credentials(client_id=creds.client_id, client_secret=creds.client_secret)
    fake.reauthorize(creds.refresh_token, newer.refresh_token)
    assert client.verify(creds).kind is VerdictKind.invalid_grant
    assert client.verify(newer).ok


def test_invalid_grant_token_of_another_app(fake: FakeAmazon, client: AmazonClient) -> None:
    mine = fake.register(make_credentials())
    theirs = fake.register(make_credentials())
    mine.refresh_token = theirs.refresh_token
    assert client.verify(mine).kind is VerdictKind.invalid_grant


def test_marketplace_not_in_participations(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(marketplace_id=CA), marketplaces=[US])
    v = client.verify(creds)
    assert v.kind is VerdictKind.marketplace_not_authorized
    assert v.marketplaces == [US]
    assert explain(v)[0].params["marketplace_part"] == Message("amazon.verdict.part.authorized",
                                                               marketplaces=Items((Marketplace(US),)))
    assert WORDS.marketplace(US) in said(explain(v)[0])


def test_marketplace_in_another_region_seller(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(marketplace_id=DE), marketplaces=[US, CA])
    v = client.verify(creds)
    assert v.kind is VerdictKind.marketplace_not_authorized
    assert v.marketplaces == [US, CA]
    assert "North America" in v.detail
    assert [r["region"] for r in fake.request_log() if r["path"] == SELLERS_PATH] == ["eu", "na"]


def test_marketplace_in_another_region_vendor(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(account_type="vendor", marketplace_id=UK), marketplaces=[JP])
    v = client.verify(creds)
    assert v.kind is VerdictKind.marketplace_not_authorized
    assert "Far East" in v.detail


def test_missing_role_seller(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(), roles=["Pricing"])
    v = client.verify(creds)
    assert v.kind is VerdictKind.missing_role
    assert v.missing_role == SELLER_ROLES == "Product Listing or Selling Partner Insights"
    cause, step = explain(v)
    assert cause.params["role"] == step.params["role"] == "Product Listing or Selling Partner Insights"
    assert says(said(cause), "amazon.verdict.missing_role.cause", role=SELLER_ROLES)
    assert says(said(step), "amazon.verdict.missing_role.next", role=SELLER_ROLES)


def test_missing_role_vendor(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials(account_type="vendor"), roles=["Pricing"])
    v = client.verify(creds)
    assert v.kind is VerdictKind.missing_role and v.missing_role == VENDOR_ROLES


# -- transient problems and retries ----------------------------------------------------------


def test_retry_after_is_honoured_then_verified(fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(2, status=429, retry_after=3, path=TOKEN_PATH)
    fake.fail_next(1, status=429, retry_after=1.5, path=SELLERS_PATH)
    assert client.verify(creds).ok
    assert fake_time.sleeps == [3.0, 3.0, 1.5]
    assert fake.calls(TOKEN_PATH) == 3 and fake.calls(SELLERS_PATH) == 2


def test_retry_after_http_date_is_understood() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    resp = httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)})
    assert 25 <= _retry_after(resp) <= 31
    assert _retry_after(httpx.Response(429, headers={"Retry-After": "garbage"})) is None
    assert _retry_after(httpx.Response(429)) is None


def test_rate_limited_stops_at_five_attempts(fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(50, status=429, retry_after=1, path=SELLERS_PATH)
    v = client.verify(creds)
    assert v.kind is VerdictKind.rate_limited and v.transient
    assert fake.calls(SELLERS_PATH) == 5
    assert fake_time.sleeps == [1.0] * 4
    assert v.request_id


def test_backoff_grows_with_jitter_when_no_retry_after(
    fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime
) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(50, status=503, path=TOKEN_PATH)
    v = client.verify(creds)
    assert v.kind is VerdictKind.amazon_unavailable
    assert fake.calls(TOKEN_PATH) == 5
    for attempt, slept in enumerate(fake_time.sleeps, start=1):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= slept <= ceiling


def test_amazon_unavailable_recovers(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(2, status=500, path=SELLERS_PATH)
    assert client.verify(creds).ok


def test_retry_after_beyond_deadline_gives_up_at_once(fake: FakeAmazon, fake_time: FakeTime) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(5, status=429, retry_after=120, path=TOKEN_PATH)
    with AmazonClient(fake.token_url, fake.url, deadline=10, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        v = c.verify(creds)
    assert v.kind is VerdictKind.rate_limited
    assert fake_time.sleeps == [] and fake.calls(TOKEN_PATH) == 1


def test_network_error(fake_time: FakeTime) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with AmazonClient(url + TOKEN_PATH, url, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        v = c.verify(make_credentials())
    assert v.kind is VerdictKind.network_error and v.transient
    assert len(fake_time.sleeps) == 4


def test_deadline_holds_when_amazon_hangs(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    fake.hang(path=SELLERS_PATH)
    with AmazonClient(fake.token_url, fake.url, timeout=0.4, deadline=1.2) as c:
        started = time.monotonic()
        v = c.verify(creds)
        elapsed = time.monotonic() - started
    assert v.kind is VerdictKind.timeout and v.transient
    assert elapsed < 1.2 + 0.4 + 0.5  # the deadline plus at most one call timeout, with slack


def test_a_wrong_endpoint_path_is_amazons_gateway_answer_with_request_id(
    fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime
) -> None:
    # The fake used to answer an unknown path with a 404; SP-API's gateway answers 403 MissingAuthenticationToken.
    creds = fake.register(make_credentials())
    with AmazonClient(fake.token_url, fake.url + "/nowhere", sleep=fake_time.sleep, clock=fake_time.clock) as c:
        v = c.verify(creds)
    assert v.kind is VerdictKind.amazon_error and v.transient
    assert v.request_id and v.request_id in said(explain(v)[0])
    assert "403" in v.detail and "MissingAuthenticationToken" in v.detail


def test_unknown_marketplace_is_unexpected_without_network(fake: FakeAmazon, client: AmazonClient) -> None:
    assert client.verify(make_credentials(marketplace_id="XXXX")).kind is VerdictKind.unexpected
    assert fake.calls() == 0


# -- access token cache ----------------------------------------------------------------------


def test_access_token_is_cached_until_it_expires(fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime) -> None:
    creds = fake.register(make_credentials())
    assert client.verify(creds).ok and client.verify(creds).ok
    assert fake.calls(TOKEN_PATH) == 1 and client.cached_token_count() == 1
    fake_time.offset += 3600
    assert client.cached_token_count() == 0
    assert client.verify(creds).ok
    assert fake.calls(TOKEN_PATH) == 2


def test_the_token_cache_drops_expired_tokens_from_the_oldest_without_walking_the_rest() -> None:
    """A worker's health checks remember thousands of tokens an hour: each remember() drops what expired,
    oldest first, and stops at the first that still lives; a renewed token moves to the end."""
    from bot.amazon.lwa import EXPIRE_SCAN, TokenCache

    now = [1000.0]
    cache = TokenCache(lambda: now[0])
    old = [make_credentials() for _ in range(EXPIRE_SCAN * 2)]
    for creds in old:
        cache.remember(creds, "Atza|old", 3600)
    renewed = old[0]
    now[0] += 1800
    cache.remember(renewed, "Atza|renewed", 3600)  # the oldest entry, renewed: now the newest
    assert cache.count() == len(old) and cache.get(renewed) == "Atza|renewed"
    now[0] += 1800  # every first token has expired, the renewed one has not
    fresh = [make_credentials() for _ in range(3)]
    cache.remember(fresh[0], "Atza|new", 3600)
    assert len(cache._tokens) == len(old) + 1 - EXPIRE_SCAN  # at most EXPIRE_SCAN dropped per call
    for creds in fresh[1:]:
        cache.remember(creds, "Atza|new", 3600)
    assert len(cache._tokens) == 1 + len(fresh)  # the rest of the expired ones gone; the renewed one kept
    assert cache.get(renewed) == "Atza|renewed" and cache.get(old[1]) is None
    assert cache.count() == 1 + len(fresh)


def test_a_wrong_secret_never_rides_on_a_cached_token(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    assert client.verify(creds).ok
    wrong = make_credentials(client_id=creds.client_id, refresh_token=creds.refresh_token)
    assert client.verify(wrong).kind is VerdictKind.invalid_client


def test_refused_cached_token_is_replaced_once(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())
    assert client.verify(creds).ok
    fake.expire_access_tokens()
    assert client.verify(creds).ok
    assert fake.calls(TOKEN_PATH) == 2
    fake.revoke_refresh_token(creds.refresh_token)
    assert client.verify(creds).kind is VerdictKind.invalid_grant


def test_thread_safe_under_concurrency(fake: FakeAmazon, client: AmazonClient) -> None:
    sets = [fake.register(make_credentials(), store_name=f"Store {i}") for i in range(8)]
    results: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def work(i: int) -> None:
        for _ in range(3):
            v = client.verify(sets[i % len(sets)])
            with lock:
                results.append((i % len(sets), v.store_name if v.ok else v.kind.value))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 48
    assert all(name == f"Store {i}" for i, name in results)


def test_credentials_repr_is_masked() -> None:
    creds = make_credentials()
    for text in (repr(creds), str(creds), f"{creds}"):
        assert creds.client_secret not in text and creds.refresh_token not in text
        assert "amzn1.oa2-cs.v1.…" in text and "Atzr|…" in text


@pytest.mark.parametrize("kind", list(VerdictKind))
def test_every_kind_has_an_explanation(kind: VerdictKind) -> None:
    from bot.amazon.verdicts import Verdict

    cause, step = explain(Verdict(kind, store_name="S", marketplaces=[US], missing_role="X", request_id="r-1"))
    assert (cause.key, step.key) == (f"amazon.verdict.{kind.value}.cause", f"amazon.verdict.{kind.value}.next")
    assert said(cause).strip() and said(step).strip() and "{" not in said(cause) + said(step)


# -- what Amazon really answers (issue 11: the fake tells the truth) -------------------------------


@pytest.mark.parametrize("error", ["missing_authentication_token", "invalid_signature", "security_token_expired"])
@pytest.mark.parametrize("account_type", ["seller", "vendor"])
def test_gateway_403s_are_amazon_errors_not_missing_roles(
    fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime, error: str, account_type: str
) -> None:
    creds = fake.register(make_credentials(account_type=account_type))
    path = SELLERS_PATH if account_type == "seller" else VENDOR_ORDERS_PATH
    fake.fail_next(1, status=403, error=error, path=path)
    v = client.verify(creds)
    assert v.kind is VerdictKind.amazon_error and v.transient and not v.ok
    assert v.missing_role is None
    assert v.request_id and v.request_id in said(explain(v)[0])
    cause, step = explain(v)
    assert (cause.key, step.key) == ("amazon.verdict.amazon_error.cause", "amazon.verdict.amazon_error.next")
    assert fake.calls(path) == 1  # no probing of the other regions: this says nothing about the authorization
    assert fake_time.sleeps == []
    assert client.verify(creds).ok  # it was Amazon's moment, not the credentials


def test_an_empty_403_with_only_the_error_type_header_is_an_amazon_error(
    fake: FakeAmazon, client: AmazonClient
) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(1, status=403, error="missing_authentication_token", body="empty", path=SELLERS_PATH)
    v = client.verify(creds)
    assert v.kind is VerdictKind.amazon_error
    assert "MissingAuthenticationTokenException" in v.detail and v.request_id


def test_the_documented_denial_is_still_a_missing_role_after_asking_the_other_regions(
    fake: FakeAmazon, client: AmazonClient
) -> None:
    creds = fake.register(make_credentials(), roles=["Pricing"])
    v = client.verify(creds)
    assert v.kind is VerdictKind.missing_role and "AccessDeniedException" in v.detail
    assert [r["region"] for r in fake.request_log() if r["path"] == SELLERS_PATH] == ["na", "eu", "fe"]


@pytest.mark.parametrize("body", ["html", "text", "empty", "json"])
@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_bodies_of_any_shape_are_retried_then_verified(
    fake: FakeAmazon, client: AmazonClient, status: int, body: str
) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(2, status=status, body=body, path=SELLERS_PATH)
    fake.fail_next(1, status=status, body=body, path=TOKEN_PATH)
    assert client.verify(creds).ok
    assert fake.calls(SELLERS_PATH) == 3 and fake.calls(TOKEN_PATH) == 2


@pytest.mark.parametrize("body", ["html", "text", "empty"])
def test_a_lasting_5xx_of_any_shape_is_amazon_unavailable(fake: FakeAmazon, client: AmazonClient, body: str) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(50, status=502, body=body, path=SELLERS_PATH)
    v = client.verify(creds)
    assert v.kind is VerdictKind.amazon_unavailable and v.transient
    assert "502" in v.detail and "<" not in v.detail and "unavailable, please" not in v.detail
    assert fake.calls(SELLERS_PATH) == 5 and v.request_id


def test_429_without_retry_after_backs_off_with_jitter_then_verifies(
    fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime
) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(3, status=429, path=SELLERS_PATH)  # as Amazon sends it: no Retry-After, no rate limit header
    assert client.verify(creds).ok
    assert len(fake_time.sleeps) == 3
    for attempt, slept in enumerate(fake_time.sleeps, start=1):
        ceiling = min(8.0, 0.5 * 2 ** (attempt - 1))
        assert ceiling / 2 <= slept <= ceiling


def test_lwa_unauthorized_client_is_its_own_verdict_with_lwas_request_id(
    fake: FakeAmazon, client: AmazonClient, fake_time: FakeTime
) -> None:
    creds = fake.register(make_credentials())
    fake.unauthorize_client(creds.client_id)
    for v in (client.verify(creds), client.verify(creds)):  # a refusal is not cached: LWA is asked again
        assert v.kind is VerdictKind.unauthorized_client and not v.transient
        assert "Not authorized for requested operation" in v.detail
        assert v.request_id and v.request_id in said(explain(v)[0])  # from LWA's JSON body: LWA sends no header
        cause, step = explain(v)
        assert (cause.key, step.key) == ("amazon.verdict.unauthorized_client.cause",
                                         "amazon.verdict.unauthorized_client.next")
    assert fake.calls(TOKEN_PATH) == 2 and fake.calls(SELLERS_PATH) == 0 and fake_time.sleeps == []


@pytest.mark.parametrize("kind", ["invalid_client", "invalid_grant"])
def test_lwa_refusals_keep_lwas_request_id(fake: FakeAmazon, client: AmazonClient, kind: str) -> None:
    creds = fake.register(make_credentials())
    if kind == "invalid_client":
        creds = make_credentials(client_id=creds.client_id, refresh_token=creds.refresh_token)
    else:
        fake.revoke_refresh_token(creds.refresh_token)
    v = client.verify(creds)
    assert v.kind.value == kind
    assert v.request_id and len(v.request_id) == 36


def test_a_grant_for_north_america_is_refused_on_the_european_host(fake: FakeAmazon, client: AmazonClient) -> None:
    creds = fake.register(make_credentials())  # US: North America
    token = httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                             "client_id": creds.client_id,
                                             "client_secret": creds.client_secret}).json()["access_token"]
    headers = {"x-amz-access-token": token}
    assert httpx.get(fake.url + "/na" + SELLERS_PATH, headers=headers).status_code == 200
    eu = httpx.get(fake.url + "/eu" + SELLERS_PATH, headers=headers)
    assert eu.status_code == 403 and eu.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert eu.json()["errors"][0]["details"] == ""
    # The Host header names the region as well (one fake for the three regional hosts).
    by_host = httpx.get(fake.url + SELLERS_PATH, headers={**headers, "Host": "sellingpartnerapi-fe.amazon.com"})
    assert by_host.status_code == 403
    assert fake.request_log()[-1]["region"] == "fe"
    # And the client, told to use the European marketplace with this grant, says where it works.
    creds.marketplace_id = DE
    v = client.verify(creds)
    assert v.kind is VerdictKind.marketplace_not_authorized and "North America" in v.detail
