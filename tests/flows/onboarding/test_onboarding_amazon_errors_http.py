"""Amazon-side 403s and LWA's unauthorized_client reach the person connecting, over real HTTP (issue 11, item 10).

A gateway 403 (here the 2023-05-27 incident's "The security token included in the request is
expired") used to be shown as a missing role, sending the seller to Developer Central to change
roles that were fine. It is Amazon's problem: the user is told so, with Amazon's request id, and to
try again later. LWA's unauthorized_client gets its own cause and next step, with LWA's request id.
"""

from __future__ import annotations

import re

import pytest

from bot.amazon.verdicts import VerdictKind
from bot.i18n import t
from storage import repo
from tests.fakes.fake_amazon import SELLERS_PATH, make_credentials
from tests.flows.onboarding.test_onboarding_http import assert_no_secret, connect, text_of
from tests.harness import BotHarness

TEXTS = {k.value: (t(f"amazon.verdict.{k.value}.cause"), t(f"amazon.verdict.{k.value}.next")) for k in VerdictKind}

REQUEST_ID = re.compile(r"Amazon request id [0-9a-f-]{36}")


@pytest.mark.parametrize("error", ["security_token_expired", "missing_authentication_token", "invalid_signature"])
def test_an_amazon_side_403_is_not_reported_as_a_missing_role(shared_bot: BotHarness, user: str, error: str) -> None:
    h = shared_bot
    creds = h.amazon.register(make_credentials())
    h.amazon.fail_next(1, status=403, error=error, path=SELLERS_PATH)
    result, _ = connect(h, user, creds, f"Store {error}")
    words = text_of(result)
    assert "problem on its side" in words and "try again later" in words, words
    assert REQUEST_ID.search(words)
    assert "role" not in words.lower().replace("roles", "")  # no talk of roles at all
    assert TEXTS["missing_role"][1].split("{")[0][:30] not in words
    with h.db_session() as s:
        assert repo.get_connection(s, "T0FAKETEAM", f"Store {error}") is None
    # Once Amazon is well again the same credentials connect.
    result, _ = connect(h, user, creds, f"Store {error}")
    assert "Example Store" in text_of(result)
    assert_no_secret(h, creds.client_secret, creds.refresh_token)


def test_lwa_unauthorized_client_reaches_the_user_with_its_next_step(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    creds = h.amazon.register(make_credentials())
    h.amazon.unauthorize_client(creds.client_id)
    result, _ = connect(h, user, creds, "Store unauthorized")
    words = text_of(result)
    assert "unauthorized_client" in words and "registration" in words and "authorize the app again" in words
    assert REQUEST_ID.search(words)  # LWA's request id, from its JSON error body
    assert_no_secret(h, creds.client_secret, creds.refresh_token)
