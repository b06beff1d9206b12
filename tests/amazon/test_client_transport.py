"""AmazonClient against Amazon's documented answers over ``httpx.MockTransport`` (the httpx way to test a
client: no socket, every request seen). The client talks to the real hosts' URLs
(api.amazon.com, sellingpartnerapi-{na,eu,fe}.amazon.com); each answer is shaped as Amazon documents it,
with the shapes taken from tests/fakes/fake_amazon.py, which names the source of each. The end-to-end
tests over real HTTP stay in tests/amazon/test_client.py."""

from __future__ import annotations

import json
import random
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from bot.amazon.client import AmazonClient, Credentials
from bot.amazon.verdicts import VerdictKind
from tests.amazon.conftest import FakeTime
from tests.fakes.fake_amazon import (
    HTML_5XX,
    LWA_ERRORS,
    MARKETPLACE_INFO,
    SELLERS_PATH,
    SELLERS_ROLES,
    SP_FAILURE_BODIES,
    SP_GATEWAY_403,
    SP_UNAUTHORIZED,
    SP_UNAUTHORIZED_TYPE,
    TOKEN_PATH,
    make_credentials,
)

LWA_URL = "https://api.amazon.com" + TOKEN_PATH
NA, EU, FE = ("sellingpartnerapi-na.amazon.com", "sellingpartnerapi-eu.amazon.com",
              "sellingpartnerapi-fe.amazon.com")
US = "ATVPDKIKX0DER"

Answer = Callable[[httpx.Request], httpx.Response]


# -------------------------------------------------------------------------------------- Amazon's answers


def lwa_token(request: httpx.Request) -> httpx.Response:
    """LWA's token answer (developer-docs.amazon.com/sp-api/docs/connecting-to-the-selling-partner-api)."""
    form = parse_qs(request.content.decode())
    return httpx.Response(200, json={"access_token": "Atza|" + secrets.token_urlsafe(150),
                                     "refresh_token": form["refresh_token"][0], "token_type": "bearer",
                                     "expires_in": 3600},
                          headers={"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"})


def lwa_error(code: str, request_id: str | None = None) -> Answer:
    """An LWA error body: RFC 6749 section 5.2 with LWA's ``request_id`` beside it (LWA_ERRORS' sources)."""
    status, description = LWA_ERRORS[code]
    body = {"error_description": description, "error": code, "request_id": request_id or str(uuid.uuid4())}
    return lambda _request: httpx.Response(status, json=body)


def sp_headers(**extra: str) -> dict[str, str]:
    """SP-API's gateway names every request in x-amzn-RequestId."""
    return {"x-amzn-RequestId": str(uuid.uuid4()), **extra}


def sellers(store_name: str = "Acme US", marketplaces: tuple[str, ...] = (US,)) -> Answer:
    """GET /sellers/v1/marketplaceParticipations (the payload of sellers.json)."""
    payload = []
    for mid in marketplaces:
        name, country, currency, language, domain = MARKETPLACE_INFO[mid]
        payload.append({"marketplace": {"id": mid, "name": name, "countryCode": country,
                                        "defaultCurrencyCode": currency, "defaultLanguageCode": language,
                                        "domainName": domain},
                        "participation": {"isParticipating": True, "hasSuspendedListings": False},
                        "storeName": store_name})
    return lambda _request: httpx.Response(200, json={"payload": payload},
                                           headers=sp_headers(**{"x-amzn-RateLimit-Limit": "0.016"}))


def sp_denied(details: str = "") -> Answer:
    """403 Unauthorized / "Access to requested resource is denied.": empty details for a missing role or a
    region the authorization does not cover; x-amzn-ErrorType AccessDeniedException."""
    code, message = SP_UNAUTHORIZED
    body = {"errors": [{"code": code, "message": message, "details": details}]}
    return lambda _request: httpx.Response(403, json=body, headers=sp_headers(**{"x-amzn-ErrorType":
                                                                                  SP_UNAUTHORIZED_TYPE}))


def sp_gateway_403(name: str, *, empty: bool = False) -> Answer:
    """A 403 of SP-API's gateway whose code is not about the credentials (SP_GATEWAY_403's sources)."""
    code, message, error_type = SP_GATEWAY_403[name]
    if empty:
        return lambda _request: httpx.Response(403, content=b"", headers=sp_headers(**{"x-amzn-ErrorType":
                                                                                        error_type}))
    body = {"errors": [{"code": code, "message": message}]}
    return lambda _request: httpx.Response(403, json=body, headers=sp_headers(**{"x-amzn-ErrorType": error_type}))


def sp_429(_request: httpx.Request) -> httpx.Response:
    """amzn/selling-partner-api-docs#86: no Retry-After, no x-amzn-RateLimit-Limit, an error without details."""
    code, message = SP_FAILURE_BODIES[429]
    return httpx.Response(429, json={"errors": [{"code": code, "message": message}]},
                          headers=sp_headers(**{"x-amzn-ErrorType": "TooManyRequestsException"}))


def html_5xx(status: int) -> Answer:
    """A 5xx from a load balancer in front of Amazon: an HTML page, not JSON."""
    reason = f"{status} {httpx.codes.get_reason_phrase(status)}"
    return lambda _request: httpx.Response(status, text=HTML_5XX.format(status=reason),
                                           headers={"Content-Type": "text/html"})


def read_timeout(request: httpx.Request) -> httpx.Response:
    raise httpx.ReadTimeout("timed out", request=request)


# -------------------------------------------------------------------------------------- the scripted Amazon


@dataclass
class Amazon:
    """Answers each (host, path) with the next scripted answer (the last one repeats); records requests."""

    script: dict[tuple[str, str], list[Answer]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)

    def on(self, host: str, path: str, *answers: Answer) -> Amazon:
        self.script[(host, path)] = list(answers)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        answers = self.script.get((request.url.host, request.url.path))
        if not answers:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        response = answer(request)
        self.responses.append(response)
        return response

    def to(self, host: str, path: str) -> list[httpx.Request]:
        return [r for r in self.requests if (r.url.host, r.url.path) == (host, path)]

    def answers_from(self, host: str, path: str) -> list[httpx.Response]:
        pairs = zip(self.requests, self.responses, strict=True)
        return [a for r, a in pairs if (r.url.host, r.url.path) == (host, path)]


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


def client_for(amazon: Amazon, clock: FakeTime, **kwargs: Any) -> AmazonClient:
    return AmazonClient(LWA_URL, None, transport=httpx.MockTransport(amazon), sleep=clock.sleep, clock=clock.clock,
                        rng=random.Random(7), **kwargs)


def seller() -> Credentials:
    return make_credentials(marketplace_id=US)


def no_secret_in(creds: Credentials, *texts: object) -> None:
    for text in texts:
        assert creds.client_secret not in str(text) and creds.refresh_token not in str(text)


# -------------------------------------------------------------------------------------- LWA


def test_lwa_success_then_the_sellers_read_gives_verified_with_the_store(clock: FakeTime) -> None:
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token).on(NA, SELLERS_PATH, sellers("Acme US"))
    creds = seller()
    with client_for(amazon, clock) as client:
        verdict = client.verify(creds)
        again = client.verify(creds)  # the access token is cached: no second exchange
    assert verdict.kind is VerdictKind.verified and verdict.ok
    assert verdict.store_name == "Acme US" and verdict.marketplaces == [US]
    sp_reads = amazon.to(NA, SELLERS_PATH)
    assert verdict.request_id == amazon.answers_from(NA, SELLERS_PATH)[0].headers["x-amzn-RequestId"]
    assert again.ok and len(amazon.to("api.amazon.com", TOKEN_PATH)) == 1 and len(sp_reads) == 2

    exchange = amazon.to("api.amazon.com", TOKEN_PATH)[0]
    assert exchange.method == "POST"
    assert exchange.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(exchange.content.decode()) == {
        "grant_type": ["refresh_token"], "refresh_token": [creds.refresh_token], "client_id": [creds.client_id],
        "client_secret": [creds.client_secret]}
    token = json.loads(amazon.answers_from("api.amazon.com", TOKEN_PATH)[0].content)["access_token"]
    assert sp_reads[0].method == "GET" and sp_reads[0].headers["accept"] == "application/json"
    assert [r.headers["x-amz-access-token"] for r in sp_reads] == [token, token]
    no_secret_in(creds, repr(verdict), verdict.detail)


def test_lwa_invalid_client_is_not_retried_and_keeps_lwa_request_id(clock: FakeTime) -> None:
    rid = str(uuid.uuid4())
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, lwa_error("invalid_client", rid))
    creds = seller()
    with client_for(amazon, clock) as client:
        verdict = client.verify(creds)
    assert verdict.kind is VerdictKind.invalid_client and not verdict.transient
    assert verdict.request_id == rid
    assert len(amazon.requests) == 1 and clock.sleeps == []  # a 4xx is final; SP-API is never asked
    no_secret_in(creds, repr(verdict), verdict.detail)


def test_lwa_invalid_grant_carries_the_request_id_from_lwa_body(clock: FakeTime) -> None:
    rid = "c6e6a8e1-0b6e-4f3b-9d7a-3b1f0e2a9c11"
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, lwa_error("invalid_grant", rid))
    creds = seller()
    with client_for(amazon, clock) as client:
        verdict = client.verify(creds)
    assert verdict.kind is VerdictKind.invalid_grant
    assert verdict.request_id == rid
    assert len(amazon.requests) == 1
    no_secret_in(creds, repr(verdict), verdict.detail)


# -------------------------------------------------------------------------------------- SP-API 403s


def test_a_bare_403_denial_in_every_region_is_a_missing_role(clock: FakeTime) -> None:
    amazon = (Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token)
              .on(NA, SELLERS_PATH, sp_denied()).on(EU, SELLERS_PATH, sp_denied()).on(FE, SELLERS_PATH, sp_denied()))
    with client_for(amazon, clock) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.missing_role and not verdict.transient
    assert verdict.missing_role and all(role in verdict.missing_role for role in SELLERS_ROLES)
    # Amazon answers the same denial for a region the authorization does not cover: both others were asked.
    assert [r.url.host for r in amazon.requests[1:]] == [NA, EU, FE]
    assert verdict.request_id == amazon.answers_from(NA, SELLERS_PATH)[0].headers["x-amzn-RequestId"]


def test_a_bare_403_here_and_a_200_in_another_region_is_the_wrong_marketplace(clock: FakeTime) -> None:
    uk = "A1F83G8C2ARO7P"
    amazon = (Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token)
              .on(NA, SELLERS_PATH, sp_denied()).on(EU, SELLERS_PATH, sellers("Acme UK", (uk,))))
    with client_for(amazon, clock) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.marketplace_not_authorized and verdict.marketplaces == [uk]
    assert FE not in [r.url.host for r in amazon.requests]  # the first region that answers settles it


@pytest.mark.parametrize(("name", "empty"), [("missing_authentication_token", False), ("invalid_signature", False),
                                              ("security_token_expired", False), ("missing_authentication_token",
                                                                                  True)])
def test_a_gateway_403_is_amazon_side_and_transient_without_asking_other_regions(
        clock: FakeTime, name: str, empty: bool) -> None:
    amazon = (Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token)
              .on(NA, SELLERS_PATH, sp_gateway_403(name, empty=empty)))
    with client_for(amazon, clock) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.amazon_error and verdict.transient
    sp_reads = amazon.to(NA, SELLERS_PATH)
    assert len(amazon.requests) == 2 and len(sp_reads) == 1  # not retried, no region probes
    assert verdict.request_id == amazon.answers_from(NA, SELLERS_PATH)[0].headers["x-amzn-RequestId"]


def test_a_revoked_access_token_403_gets_one_fresh_exchange(clock: FakeTime) -> None:
    amazon = (Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token)
              .on(NA, SELLERS_PATH, sellers(), sp_denied("The access token you provided is revoked, malformed or "
                                                         "invalid."), sellers()))
    creds = seller()
    with client_for(amazon, clock) as client:
        assert client.verify(creds).ok
        assert client.verify(creds).ok  # the cached token is refused once: exchanged again, read again
    assert len(amazon.to("api.amazon.com", TOKEN_PATH)) == 2 and len(amazon.to(NA, SELLERS_PATH)) == 3


# -------------------------------------------------------------------------------------- retries


def test_429_without_retry_after_backs_off_with_jitter_and_then_succeeds(clock: FakeTime) -> None:
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token).on(NA, SELLERS_PATH, sp_429, sp_429, sellers())
    with client_for(amazon, clock, backoff_base=0.5, backoff_cap=8.0) as client:
        verdict = client.verify(seller())
    assert verdict.ok and len(amazon.to(NA, SELLERS_PATH)) == 3
    assert len(clock.sleeps) == 2
    assert 0.25 <= clock.sleeps[0] <= 0.5 and 0.5 <= clock.sleeps[1] <= 1.0  # half the ceiling plus jitter


def test_429_every_time_gives_up_after_max_attempts_as_rate_limited(clock: FakeTime) -> None:
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token).on(NA, SELLERS_PATH, sp_429)
    with client_for(amazon, clock, max_attempts=4) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.rate_limited and verdict.transient
    assert len(amazon.to(NA, SELLERS_PATH)) == 4 and len(clock.sleeps) == 3
    assert verdict.request_id == amazon.answers_from(NA, SELLERS_PATH)[-1].headers["x-amzn-RequestId"]


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_a_5xx_html_page_is_retried_and_reported_as_amazon_unavailable(clock: FakeTime, status: int) -> None:
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, html_5xx(status))
    creds = seller()
    with client_for(amazon, clock, max_attempts=3) as client:
        verdict = client.verify(creds)
    assert verdict.kind is VerdictKind.amazon_unavailable and verdict.transient
    assert len(amazon.requests) == 3
    assert verdict.detail is not None and str(status) in verdict.detail and "<html" not in verdict.detail
    no_secret_in(creds, repr(verdict), verdict.detail)


def test_a_5xx_html_page_once_then_a_token_verifies(clock: FakeTime) -> None:
    amazon = (Amazon().on("api.amazon.com", TOKEN_PATH, html_5xx(503), lwa_token)
              .on(NA, SELLERS_PATH, html_5xx(502), sellers()))
    with client_for(amazon, clock) as client:
        assert client.verify(seller()).ok
    assert len(amazon.requests) == 4 and len(clock.sleeps) == 2


def test_a_timeout_every_time_is_a_timeout_verdict_within_the_deadline(clock: FakeTime) -> None:
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, read_timeout)
    with client_for(amazon, clock, max_attempts=3, deadline=30.0) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.timeout and verdict.transient
    assert len(amazon.requests) == 3 and len(clock.sleeps) == 2


def test_retries_stop_at_the_deadline(clock: FakeTime) -> None:
    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, lwa_token).on(NA, SELLERS_PATH, sp_429)
    with client_for(amazon, clock, max_attempts=50, deadline=5.0, backoff_base=1.0, backoff_cap=4.0) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.rate_limited
    assert sum(clock.sleeps) < 5.0  # never sleeps past the overall deadline
    assert len(amazon.to(NA, SELLERS_PATH)) < 50


def test_a_dropped_connection_is_a_network_error(clock: FakeTime) -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    amazon = Amazon().on("api.amazon.com", TOKEN_PATH, refused)
    with client_for(amazon, clock, max_attempts=2) as client:
        verdict = client.verify(seller())
    assert verdict.kind is VerdictKind.network_error and verdict.transient and len(amazon.requests) == 2
