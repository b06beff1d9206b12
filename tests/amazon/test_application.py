"""The Application Management client against the fake Amazon over HTTP (and moto's SQS for the
notification a rotation sends)."""

from __future__ import annotations

import json

import pytest

from bot.amazon.application import CLIENT_SECRET_PATH, ApplicationClient, RotationOutcome
from tests.fakes.fake_amazon import TOKEN_PATH, FakeAmazon, make_credentials
from tests.fakes.moto_sqs import MotoSQS


@pytest.fixture()
def sqs():
    with MotoSQS() as server:
        server.apply_env()
        yield server


@pytest.fixture()
def amazon():
    with FakeAmazon() as fake:
        yield fake


def _client(fake: FakeAmazon) -> ApplicationClient:
    return ApplicationClient(fake.token_url, fake.regional_sp_api_url, timeout=3, deadline=5, sleep=lambda s: None)


def test_rotation_sends_the_new_secret_to_the_queue_and_keeps_the_old_one(amazon, sqs):
    creds = amazon.register(make_credentials())
    queue = sqs.create_queue()
    amazon.enroll_rotation(creds.client_id, queue, sqs.url)
    client = _client(amazon)
    result = client.rotate_client_secret(creds.client_id, creds.client_secret, "NA")
    client.close()
    assert result.outcome is RotationOutcome.requested and result.request_id
    assert amazon.rotation_count(creds.client_id) == 1
    new = amazon.current_secret(creds.client_id)
    assert new != creds.client_secret
    got = sqs.client().receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)["Messages"]
    assert len(got) == 1
    body = json.loads(got[0]["Body"])
    assert body["notificationType"] == "APPLICATION_OAUTH_CLIENT_NEW_SECRET"
    assert body["payloadVersion"] == "2023-11-30"
    inner = body["payload"]["applicationOAuthClientNewSecret"]
    assert inner["clientId"] == creds.client_id and inner["newClientSecret"] == new
    assert inner["newClientSecretExpiryTime"].endswith("Z") and inner["oldClientSecretExpiryTime"].endswith("Z")
    assert set(body["notificationMetadata"]) == {"applicationId", "subscriptionId", "publishTime", "notificationId"}
    # The old secret still gets tokens during its grace period.
    assert isinstance(_client(amazon).grantless_token(creds.client_id, creds.client_secret, 1e12), str)


def test_second_rotation_within_a_minute_is_rate_limited(amazon, sqs):
    creds = amazon.register(make_credentials())
    amazon.enroll_rotation(creds.client_id, sqs.create_queue(), sqs.url)
    client = _client(amazon)
    assert client.rotate_client_secret(creds.client_id, creds.client_secret, "NA").ok
    second = client.rotate_client_secret(creds.client_id, amazon.current_secret(creds.client_id), "NA")
    assert second.outcome is RotationOutcome.rate_limited
    assert second.wait_seconds == 60.0
    assert amazon.rotation_count(creds.client_id) == 1
    # Exactly one rotation call went out for the 429: the client never retries it by itself.
    assert sum(1 for r in amazon.request_log() if r["path"] == CLIENT_SECRET_PATH) == 2
    amazon.set_rotation_interval(0)
    assert client.rotate_client_secret(creds.client_id, amazon.current_secret(creds.client_id), "NA").ok


def test_app_without_rotation_queue_is_not_enrolled(amazon):
    creds = amazon.register(make_credentials())
    result = _client(amazon).rotate_client_secret(creds.client_id, creds.client_secret, "EU")
    assert result.outcome is RotationOutcome.not_enrolled
    assert amazon.rotation_count(creds.client_id) == 0


def test_wrong_secret_is_refused_by_lwa_and_rotation_not_asked(amazon):
    creds = amazon.register(make_credentials())
    result = _client(amazon).rotate_client_secret(creds.client_id, "amzn1.oa2-cs.v1." + "0" * 64, "NA")
    assert result.outcome is RotationOutcome.secret_refused
    assert amazon.calls(CLIENT_SECRET_PATH) == 0
    assert "0" * 64 not in (result.detail or "")


def test_token_without_rotation_scope_gets_403(amazon, sqs):
    import httpx

    creds = amazon.register(make_credentials())
    amazon.enroll_rotation(creds.client_id, sqs.create_queue(), sqs.url)
    r = httpx.post(amazon.token_url, data={"grant_type": "refresh_token", "refresh_token": creds.refresh_token,
                                           "client_id": creds.client_id, "client_secret": creds.client_secret})
    token = r.json()["access_token"]
    answer = httpx.post(amazon.url + "/na" + CLIENT_SECRET_PATH, headers={"x-amz-access-token": token})
    assert answer.status_code == 403 and answer.json()["errors"][0]["code"] == "Unauthorized"
    bad_scope = httpx.post(amazon.token_url, data={"grant_type": "client_credentials", "scope": "nope",
                                                   "client_id": creds.client_id, "client_secret": creds.client_secret})
    assert bad_scope.status_code == 400 and bad_scope.json()["error"] == "invalid_scope"


def test_amazon_outage_is_unavailable_not_refused(amazon):
    creds = amazon.register(make_credentials())
    amazon.fail_next(5, 503, path=TOKEN_PATH)
    result = _client(amazon).rotate_client_secret(creds.client_id, creds.client_secret, "NA")
    assert result.outcome is RotationOutcome.unavailable
    assert amazon.calls(CLIENT_SECRET_PATH) == 0
