"""Caplog scan: no secret in any log record, at DEBUG, httpx and httpcore included."""

from __future__ import annotations

import logging

import pytest

from bot.amazon.client import AmazonClient
from bot.amazon.validators import validate_credentials
from bot.amazon.verdicts import explain
from bot.views.blocks import Words
from tests.amazon.conftest import FakeTime
from tests.fakes.fake_amazon import SELLERS_PATH, TOKEN_PATH, FakeAmazon, credential_fields, make_credentials


def _record_texts(caplog: pytest.LogCaptureFixture) -> list[str]:
    texts = []
    for rec in caplog.records:
        texts.append(rec.getMessage())
        texts.append(repr(rec.args))
        if rec.exc_info:
            texts.append(logging.Formatter().formatException(rec.exc_info))
    return texts


def test_no_secret_in_any_log_record(fake: FakeAmazon, fake_time: FakeTime, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for name in ("httpx", "httpcore", "bot", "bot.amazon"):
        logging.getLogger(name).setLevel(logging.DEBUG)

    good = fake.register(make_credentials(), store_name="Leak Test")
    revoked = fake.register(make_credentials())
    fake.revoke_refresh_token(revoked.refresh_token)
    expired = fake.register(make_credentials())
    fake.expire_secret(expired.client_id)
    no_role = fake.register(make_credentials(), roles=["Pricing"])
    wrong_secret = make_credentials(client_id=good.client_id, refresh_token=good.refresh_token)
    all_creds = [good, revoked, expired, no_role, wrong_secret]

    verdicts = []
    with AmazonClient(fake.token_url, fake.regional_sp_api_url, sleep=fake_time.sleep, clock=fake_time.clock) as c:
        fake.fail_next(2, status=429, retry_after=1, path=TOKEN_PATH)
        fake.fail_next(6, status=503, path=SELLERS_PATH)
        for creds in all_creds * 2:
            verdicts.append(c.verify(creds))
            verdicts.append(c.verify(creds))  # the second one rides on the cached access token, if any
        fake.expire_access_tokens()
        verdicts.append(c.verify(good))
        for creds in all_creds:
            verdicts.append(c.verify(creds))
    kinds = {v.kind.value for v in verdicts}
    assert {
        "verified",
        "invalid_grant",
        "secret_expired",
        "missing_role",
        "invalid_client",
        "amazon_unavailable",
    } <= kinds

    for creds in all_creds:
        validate_credentials(credential_fields(creds))
        validate_credentials(
            {
                **credential_fields(creds),
                "client_id": creds.client_secret,
                "client_secret": creds.refresh_token,
                "refresh_token": creds.client_id,
            }
        )

    assert any(r.name.startswith("httpx") for r in caplog.records), "httpx logging was not captured"
    assert any(r.name.startswith("httpcore") for r in caplog.records), "httpcore logging was not captured"
    assert any(r.name == "bot.amazon" for r in caplog.records)

    haystack = "\n".join(_record_texts(caplog))
    haystack += "\n".join(repr(v) + "".join(Words("en").text(m) + repr(m) for m in explain(v)) for v in verdicts)
    for creds in all_creds:
        assert creds.client_secret not in haystack
        assert creds.refresh_token not in haystack
        assert creds.refresh_token[5:40] not in haystack
        assert creds.client_secret[-20:] not in haystack
    assert "Atza|" not in haystack  # no access token, not even its prefix, ever reaches a log
