"""The fake follows Amazon's contract: payloads validated against Amazon's own swagger models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import jsonschema
import pytest

from bot.amazon.client import AmazonClient
from bot.amazon.verdicts import VerdictKind
from tests.fakes.fake_amazon import (
    MARKETPLACE_INFO,
    SELLERS_PATH,
    TOKEN_PATH,
    VENDOR_ORDERS_PATH,
    FakeAmazon,
    make_credentials,
)

ROOT = Path(__file__).resolve().parents[2]
# Amazon's models, vendored with their Apache-2.0 licence (tests/fakes/amazon_models/README.md).
MODELS = ROOT / "tests" / "fakes" / "amazon_models"


@pytest.fixture
def fake() -> Iterator[FakeAmazon]:
    with FakeAmazon() as f:
        yield f


def _validator(model: str, definition: str) -> jsonschema.Draft4Validator:
    spec = json.loads((MODELS / model).read_text())
    schema = {"$ref": f"#/definitions/{definition}", "definitions": spec["definitions"]}
    return jsonschema.Draft4Validator(schema)


def _token(fake: FakeAmazon, creds) -> str:
    r = httpx.post(
        fake.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert r.status_code == 200
    return r.json()["access_token"]


def test_amazon_models_are_vendored_with_their_licence() -> None:
    """The models live in the repository (no file outside it, no skip): a fresh clone runs these tests."""
    assert "Apache License" in (MODELS / "LICENSE.models").read_text()
    assert "Amazon.com" in (MODELS / "NOTICE.models").read_text()
    for model, definition in (
        ("sellers.json", "GetMarketplaceParticipationsResponse"),
        ("vendorOrders.json", "GetPurchaseOrdersResponse"),
        ("application_2023-11-30.json", "ErrorList"),
    ):
        assert definition in json.loads((MODELS / model).read_text())["definitions"], (model, definition)
    assert "APPLICATION_OAUTH_CLIENT_NEW_SECRET" in (MODELS / "lwa-rotation-notifications.md").read_text()


def test_fake_knows_every_marketplace() -> None:
    from bot.amazon.marketplaces import MARKETPLACES

    assert set(MARKETPLACE_INFO) == {m.marketplace_id for m in MARKETPLACES}


def test_token_success_shape(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    r = httpx.post(
        fake.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    body = r.json()
    assert r.status_code == 200
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["access_token"].startswith("Atza|") and body["token_type"] == "bearer"
    assert body["expires_in"] == 3600 and body["refresh_token"] == creds.refresh_token


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        ({}, 400, "invalid_request"),
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "client_id": "x", "client_secret": "y"}, 400, "invalid_request"),
        (
            {"grant_type": "refresh_token", "refresh_token": "Atzr|nope", "client_id": "x", "client_secret": "y"},
            401,
            "invalid_client",
        ),
    ],
)
def test_lwa_error_bodies(fake: FakeAmazon, form: dict, status: int, error: str) -> None:
    r = httpx.post(fake.token_url, data=form)
    assert r.status_code == status
    body = r.json()
    # LWA's error bodies carry a request id (amzn/selling-partner-api-models#4480); the fake used to omit it.
    assert set(body) == {"error", "error_description", "request_id"} and body["error"] == error
    assert body["request_id"] and "x-amzn-RequestId" not in r.headers


def test_lwa_invalid_grant_body(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    r = httpx.post(
        fake.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": "Atzr|other",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_sellers_payload_matches_swagger(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials(), marketplaces=["ATVPDKIKX0DER", "A1F83G8C2ARO7P", "A1VC38T7YXB528"])
    r = httpx.get(fake.url + SELLERS_PATH, headers={"x-amz-access-token": _token(fake, creds)})
    assert r.status_code == 200
    assert r.headers["x-amzn-RequestId"] and r.headers["x-amzn-RateLimit-Limit"]
    _validator("sellers.json", "GetMarketplaceParticipationsResponse").validate(r.json())
    assert [p["marketplace"]["countryCode"] for p in r.json()["payload"]] == ["US", "GB", "JP"]


@pytest.mark.parametrize(
    ("headers", "details"),
    [
        ({}, "Access token is missing in the request header."),
        ({"x-amz-access-token": "Atza|bogus"}, "The access token you provided is revoked, malformed or invalid."),
    ],
)
def test_sp_api_403_bodies_match_swagger(fake: FakeAmazon, headers: dict, details: str) -> None:
    r = httpx.get(fake.url + SELLERS_PATH, headers=headers)
    assert r.status_code == 403
    _validator("sellers.json", "GetMarketplaceParticipationsResponse").validate(r.json())
    assert r.json() == {
        "errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": details}]
    }


def test_injected_429_matches_swagger_without_retry_after_or_rate_limit(fake: FakeAmazon) -> None:
    # As Amazon answers a 429 now (amzn/selling-partner-api-docs#86): neither Retry-After nor x-amzn-RateLimit-Limit.
    fake.fail_next(1, status=429)
    r = httpx.get(fake.url + SELLERS_PATH)
    assert r.status_code == 429
    assert "Retry-After" not in r.headers and "x-amzn-RateLimit-Limit" not in r.headers
    assert r.headers["x-amzn-ErrorType"] == "TooManyRequestsException" and r.headers["x-amzn-RequestId"]
    _validator("sellers.json", "GetMarketplaceParticipationsResponse").validate(r.json())
    assert r.json() == {"errors": [{"code": "QuotaExceeded",
                                    "message": "You exceeded your quota for the requested resource."}]}
    # A Retry-After only when a test asks for one (to exercise the client's support of the header).
    fake.fail_next(1, status=429, retry_after=2)
    assert httpx.get(fake.url + SELLERS_PATH).headers["Retry-After"] == "2"


def test_vendor_orders_payload_and_window(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials(account_type="vendor"))
    token = _token(fake, creds)
    now = datetime.now(UTC).replace(microsecond=0)

    def get(days: int, limit: str = "1") -> httpx.Response:
        params = {
            "limit": limit,
            "createdAfter": (now - timedelta(days=days)).isoformat().replace("+00:00", "Z"),
            "createdBefore": now.isoformat().replace("+00:00", "Z"),
        }
        return httpx.get(fake.url + VENDOR_ORDERS_PATH, params=params, headers={"x-amz-access-token": token})

    ok = get(1)
    assert ok.status_code == 200
    _validator("vendorOrders.json", "GetPurchaseOrdersResponse").validate(ok.json())
    for bad in (get(8), get(1, limit="0"), get(1, limit="x")):
        assert bad.status_code == 400
        _validator("vendorOrders.json", "GetPurchaseOrdersResponse").validate(bad.json())
        assert bad.json()["errors"][0]["code"] == "InvalidInput"


def test_control_over_http_drives_an_out_of_process_client(fake: FakeAmazon) -> None:
    creds = make_credentials()
    r = httpx.post(
        fake.url + "/__control/register",
        json={
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
            "account_type": "seller",
            "selling_partner_id": creds.selling_partner_id,
            "marketplaces": ["ATVPDKIKX0DER"],
            "store_name": "Over HTTP",
            "roles": ["Product Listing"],
        },
    )
    assert r.status_code == 200
    def fresh() -> AmazonClient:  # a client with no cached access token: every verify asks LWA
        return AmazonClient(fake.token_url, fake.url, sleep=lambda s: None)

    with fresh() as c:
        v = c.verify(creds)
        assert v.ok and v.store_name == "Over HTTP"
    assert httpx.post(fake.url + "/__control/fail_next", json={"n": 1, "status": 503}).status_code == 200
    with fresh() as c:
        assert c.verify(creds).ok
    assert (
        httpx.post(
            fake.url + "/__control/revoke_refresh_token", json={"refresh_token": creds.refresh_token}
        ).status_code
        == 200
    )
    with fresh() as c:
        assert c.verify(creds).kind is VerdictKind.invalid_grant
    log = httpx.get(fake.url + "/__control/log").json()
    assert log["counts"] == {TOKEN_PATH: 4, SELLERS_PATH: 2}
    assert [r["status"] for r in log["requests"] if r["path"] == TOKEN_PATH] == [200, 503, 200, 400]
    assert httpx.post(fake.url + "/__control/nope", json={}).status_code == 404
    assert httpx.post(fake.url + "/__control/fail_next", json={"n": 1, "status": 404}).status_code == 400


def test_request_log_never_holds_secrets(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    with AmazonClient(fake.token_url, fake.url) as c:
        assert c.verify(creds).ok
    dumped = json.dumps(fake.request_log())
    assert creds.client_secret not in dumped and creds.refresh_token not in dumped and "Atza|" not in dumped


def test_standalone_process(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.fake_amazon", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        line = proc.stdout.readline()
        assert "fake Amazon listening on http://127.0.0.1:" in line
        url = line.split()[4]
        creds = make_credentials()
        httpx.post(
            url + "/__control/register",
            json={
                "client_id": creds.client_id,
                "client_secret": creds.client_secret,
                "refresh_token": creds.refresh_token,
                "selling_partner_id": creds.selling_partner_id,
            },
            timeout=5,
        ).raise_for_status()
        with AmazonClient(url + TOKEN_PATH, url) as c:
            assert c.verify(creds).ok
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


@pytest.mark.parametrize(
    ("error", "code", "error_type"),
    [
        ("missing_authentication_token", "MissingAuthenticationToken", "MissingAuthenticationTokenException"),
        ("invalid_signature", "InvalidSignature", "InvalidSignatureException"),
        ("security_token_expired", "Unauthorized", "ExpiredTokenException"),
    ],
)
def test_gateway_403s_match_swagger(fake: FakeAmazon, error: str, code: str, error_type: str) -> None:
    fake.fail_next(1, status=403, error=error)
    r = httpx.get(fake.url + "/eu" + SELLERS_PATH)
    assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == error_type and r.headers["x-amzn-RequestId"]
    _validator("sellers.json", "GetMarketplaceParticipationsResponse").validate(r.json())
    assert r.json()["errors"][0]["code"] == code
    fake.fail_next(1, status=403, error=error, body="empty")
    empty = httpx.get(fake.url + SELLERS_PATH)
    assert empty.status_code == 403 and empty.content == b"" and empty.headers["x-amzn-ErrorType"] == error_type
    with pytest.raises(ValueError):
        fake.fail_next(1, status=403)  # which 403 must be said
    with pytest.raises(ValueError):
        fake.fail_next(1, status=403, error=error, path=TOKEN_PATH)  # LWA never answers these


def test_a_gateway_403_without_a_path_waits_for_an_sp_api_call(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    fake.fail_next(1, status=403, error="invalid_signature")
    token = _token(fake, creds)  # LWA is not SP-API's gateway: the token exchange is not the one refused
    assert httpx.get(fake.url + SELLERS_PATH, headers={"x-amz-access-token": token}).status_code == 403


def test_an_unknown_path_gets_the_gateways_403_not_a_404(fake: FakeAmazon) -> None:
    r = httpx.get(fake.url + "/sellers/v9/nothing")
    assert r.status_code == 403 and r.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"
    assert r.json() == {"errors": [{"code": "MissingAuthenticationToken",
                                    "message": "Access to requested resource is denied."}]}


@pytest.mark.parametrize(("body", "ctype"), [("html", "text/html"), ("text", "text/plain"), ("empty", None)])
def test_5xx_bodies_that_are_not_json(fake: FakeAmazon, body: str, ctype: str | None) -> None:
    fake.fail_next(1, status=502, body=body)
    r = httpx.get(fake.url + SELLERS_PATH)
    assert r.status_code == 502 and r.headers.get("Content-Type") == ctype
    if body == "empty":
        assert r.content == b""
    else:
        assert "502 Bad Gateway" in r.text
        with pytest.raises(ValueError):
            r.json()


def test_lwa_unauthorized_client_body(fake: FakeAmazon) -> None:
    creds = fake.register(make_credentials())
    fake.unauthorize_client(creds.client_id)
    r = httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                         "client_id": creds.client_id, "client_secret": creds.client_secret})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "unauthorized_client"
    assert body["error_description"] == "Not authorized for requested operation"
    assert body["request_id"]
    # A wrong secret is still invalid_client first: LWA authenticates the client before judging the grant.
    r = httpx.post(fake.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                         "client_id": creds.client_id, "client_secret": "amzn1.oa2-cs.v1.00"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
