"""Reading Amazon's two rotation notifications (the documented example payloads), fast and in process; the new
secret never shows in a repr, an error or a redacted text."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.flows.autorotate import Malformed, NewSecret, SecretExpiry, parse_notification
from bot.redaction import contains_secret_shape, redact

# tests/fakes/amazon_models/lwa-rotation-notifications.md (a copy of Amazon's lwa-rotation sample)
EXPIRY = {
    "notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY",
    "payloadVersion": "2023-11-30", "eventTime": "2024-01-10T02:15:10.045Z",
    "payload": {"applicationOAuthClientSecretExpiry": {
        "clientId": "amzn1.application-oa2-client.xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "clientSecretExpiryTime": "2024-03-03T22:06:39.224Z", "clientSecretExpiryReason": "PERIODIC_ROTATION"}},
    "notificationMetadata": {"applicationId": "amzn1.sp.solution.xxxxxxxxxxxxxxxxxxxxxxxxxxxx",
                             "subscriptionId": "a275c00d-260c-4xxxxxxxxxxxf25",
                             "publishTime": "2024-01-10T02:15:14.269Z",
                             "notificationId": "e7e27216-4970-477a-882c-e4xxxxxxxxxxxxxdc"},
}
NEW = {
    "notificationVersion": "1.0", "notificationType": "APPLICATION_OAUTH_CLIENT_NEW_SECRET",
    "payloadVersion": "2023-11-30", "eventTime": "2024-01-10T22:09:17.456Z",
    "payload": {"applicationOAuthClientNewSecret": {
        "clientId": "amzn1.application-oa2-client.6XXXXXXXXXXXXXXXXXXXXXXXXX",
        "newClientSecret": "amzn1.oa2-cs.v1.8b6XXXXXXXXXXXXXXXXXXXXXXXXX",
        "newClientSecretExpiryTime": "2024-07-08T22:09:17.198Z",
        "oldClientSecretExpiryTime": "2024-01-17T22:09:17.180Z"}},
    "notificationMetadata": {"applicationId": "amzn1.sp.solution.6XXXXXXXXXXXXXXXXXXXXXXXXX",
                             "subscriptionId": "8594dc0e-78dc-4b05-83a4-a6XXXXXXXXXXXXXX",
                             "publishTime": "2024-01-10T22:09:18.706Z",
                             "notificationId": "b0805eb9-78f7-49bb-ac0e-XXXXXXXXXXX"},
}


def test_the_documented_expiry_notification():
    note = parse_notification(json.dumps(EXPIRY))
    assert isinstance(note, SecretExpiry)
    assert note.client_id.endswith("xxxxxxxxxxxxxxxxxxxxxxxxxxxx")
    assert note.expires_at == datetime(2024, 3, 3, 22, 6, 39, 224000, tzinfo=UTC)
    assert note.notification_id == "e7e27216-4970-477a-882c-e4xxxxxxxxxxxxxdc"
    assert note.reason == "PERIODIC_ROTATION"


def test_the_documented_new_secret_notification_and_its_repr():
    note = parse_notification(json.dumps(NEW))
    assert isinstance(note, NewSecret)
    secret = NEW["payload"]["applicationOAuthClientNewSecret"]["newClientSecret"]
    assert note.new_secret == secret
    assert note.new_expires_at.date().isoformat() == "2024-07-08"
    assert note.old_expires_at.date().isoformat() == "2024-01-17"
    assert secret not in repr(note) and secret not in str(note)


@pytest.mark.parametrize("body", [
    "", "null", "[]", "{", json.dumps({"notificationType": NEW["notificationType"]}),
    json.dumps({**NEW, "notificationType": "ORDER_CHANGE"}),
    json.dumps({**NEW, "payload": {"applicationOAuthClientNewSecret": {"clientId": "c", "newClientSecret": "s"}}}),
    json.dumps({**EXPIRY, "payload": {"applicationOAuthClientSecretExpiry": {
        "clientId": "c", "clientSecretExpiryTime": "next tuesday"}}}),
    json.dumps({**EXPIRY, "payload": {"applicationOAuthClientSecretExpiry": {
        "clientId": "c", "clientSecretExpiryTime": "2024-03-03T22:06:39"}}}),  # no time zone
    json.dumps({**EXPIRY, "notificationMetadata": {"notificationId": "x" * 500}}),
])
def test_malformed_bodies_are_refused_without_quoting_them(body):
    with pytest.raises(Malformed) as caught:
        parse_notification(body)
    assert "amzn1.oa2-cs" not in str(caught.value)
    if len(body) > 20:
        assert body not in str(caught.value)


def test_redaction_knows_the_new_secret_member_whatever_its_shape():
    odd = json.dumps({"newClientSecret": "not-a-known-shape-0123456789"})
    assert "0123456789" not in redact(odd) and contains_secret_shape(odd)
    escaped = json.dumps({"Body": odd})  # an SQS message quoted inside another JSON text
    assert "0123456789" not in redact(escaped)
