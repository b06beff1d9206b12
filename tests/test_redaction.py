"""The one redaction function, and that everything holding a secret passes through it: log records
(through any handler, tracebacks and stack info included) and the reprs of every object that holds
a secret."""

from __future__ import annotations

import io
import logging
import secrets
import string
from collections.abc import Iterator
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.flows.leak_guard import Finding, PostedMessage
from bot.flows.onboarding import Submission, check_form
from bot.logs import setup_logging
from bot.redaction import contains_secret_shape, mask, redact
from bot.settings import load_settings
from storage.crypto import Crypto, format_keys, generate_key
from storage.repo import ConnectionSecrets, ConnectionValues
from tests.fakes.fake_amazon import credential_fields, make_credentials

TOKEN_CHARS = string.ascii_letters + string.digits + "_-+/=.~"
SURROUNDING = " ,;:!?()[]{}<>\"'\n\t\u00e0\u00e9\u00fc\U0001f642"  # text around a pasted secret


def secret_values() -> dict[str, str]:
    return {
        "client_secret": "amzn1.oa2-cs.v1." + secrets.token_hex(32),
        "legacy_secret": secrets.token_hex(32),
        "refresh_token": "Atzr|IwEB" + "".join(secrets.choice(TOKEN_CHARS) for _ in range(300)),
        "access_token": "Atza|IwEB" + "".join(secrets.choice(TOKEN_CHARS) for _ in range(300)),
        "bot_token": "xoxb-" + "-".join(str(secrets.randbelow(10**12)) for _ in range(2)) + "-" + secrets.token_hex(12),
        "app_token": "xapp-1-A0" + secrets.token_hex(5).upper() + "-" + str(secrets.randbelow(10**12)) + "-"
                     + secrets.token_hex(32),
        "user_token": "xoxp-" + str(secrets.randbelow(10**12)) + "-" + secrets.token_hex(16),
    }


def middle(value: str) -> str:
    return value[len(value) // 3: len(value) // 3 + 10]


@pytest.mark.parametrize("kind", sorted(secret_values()))
def test_every_shape_is_masked(kind: str) -> None:
    value = secret_values()[kind]
    for text in (value, f"before {value} after", f"k={value}&x=1", f'{{"token": "{value}"}}', f"`{value}`"):
        out = redact(text)
        assert value not in out and middle(value) not in out
        assert "\u2026" in out
        assert contains_secret_shape(text) and not contains_secret_shape(out)


def test_url_encoded_tokens_and_unusual_characters() -> None:
    token = "Atzr|IwEB" + "a~b" * 40
    assert middle(token) not in redact(token)
    encoded = token.replace("|", "%7C")
    assert middle(encoded) not in redact(f"refresh_token={encoded}&grant_type=refresh_token")


def test_mask_keeps_at_most_the_last_four() -> None:
    values = secret_values()
    assert mask(values["refresh_token"]) == "Atzr|\u2026" + values["refresh_token"][-4:]
    assert mask(values["client_secret"]) == "amzn1.oa2-cs.v1.\u2026" + values["client_secret"][-4:]
    assert mask("Atzr|abc") == "Atzr|\u2026" and mask("") == "" and mask(None) == ""


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["amzn1.oa2-cs.v1.", "Atzr|", "Atza|", "xoxb-", "xapp-"]),
       st.text(alphabet=TOKEN_CHARS, min_size=24, max_size=400), st.text(alphabet=SURROUNDING, max_size=40),
       st.text(alphabet=SURROUNDING, max_size=40))
def test_no_piece_of_a_secret_survives(prefix: str, body: str, before: str, after: str) -> None:
    if prefix == "amzn1.oa2-cs.v1.":
        body = "".join(c for c in body if c in string.hexdigits) + "ab12cd34ef56ab78"
    elif prefix in ("xoxb-", "xapp-"):
        body = "".join(c for c in body if c.isalnum() or c == "-") + "Zz09Yy18Xx27"
    value = prefix + body
    out = redact(f"{before} {value} {after}")
    assert body[:-4] not in out or len(body[:-4]) < 8


# ---------------------------------------------------------------------------------------------- logs


@pytest.fixture
def plain_capture() -> Iterator[io.StringIO]:
    """A handler WITHOUT the redacting filter, as a test capture or third-party handler would be."""
    own = io.StringIO()
    bot_handler = setup_logging("DEBUG", own)
    stream = io.StringIO()
    plain = logging.StreamHandler(stream)
    plain.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(plain)
    try:
        yield stream
    finally:
        root.removeHandler(plain)
        root.removeHandler(bot_handler)


def test_any_handler_gets_redacted_records_tracebacks_and_stacks(plain_capture: io.StringIO) -> None:
    values = secret_values()
    log = logging.getLogger("bot.test.redaction")
    log.info("args: %s %s", values["refresh_token"], values["client_secret"])
    log.warning(f"f-string: {values['bot_token']}")
    log.info("dict: %(t)s", {"t": values["app_token"]})
    try:
        raise ValueError(f"Amazon said no to {values['access_token']} and {values['legacy_secret']}")
    except ValueError:
        log.exception("failed with %s", values["user_token"])
    log.info("stack %s", values["refresh_token"], stack_info=True)
    logging.getLogger("slack_sdk.web").warning("request body token=%s", values["bot_token"])
    out = plain_capture.getvalue()
    assert "Traceback" in out and "ValueError" in out and "stack" in out.lower()
    for value in values.values():
        assert value not in out and middle(value) not in out


# ---------------------------------------------------------------------------------------------- reprs


def test_reprs_of_everything_holding_a_secret() -> None:
    creds = make_credentials()
    keys = format_keys([generate_key("k1")])
    crypto = Crypto([generate_key("k2")])
    settings_ = load_settings(
        {"SLACK_BOT_TOKEN": secret_values()["bot_token"], "SLACK_SIGNING_SECRET": secrets.token_hex(16),
         "SLACK_APP_TOKEN": secret_values()["app_token"], "NOTIFY_CHANNEL": "C0NOTIFY01",
         "ENCRYPTION_KEYS": keys}, env_file="/nonexistent/.env")
    form = check_form(credential_fields(creds), date(2026, 3, 1))
    objects: list[object] = [
        creds,
        ConnectionSecrets(client_secret=creds.client_secret, refresh_token=creds.refresh_token),
        ConnectionValues(team_id="T1", name="Main", account_type="seller", selling_partner_id="A1", region="NA",
                         marketplace_id="ATVPDKIKX0DER", client_id=creds.client_id, client_secret=creds.client_secret,
                         refresh_token=creds.refresh_token, secret_created_on=date(2026, 3, 1)),
        settings_,
        crypto,
        generate_key("k3"),
        form,
        Submission(team_id="T1", user_id="U1", view_id="V1", view_hash="h", form=form),
        Finding("client_secret", creds.client_secret),
        PostedMessage(team_id="T1", channel_id="C1", user_id="U1", ts="1.2", event_id="Ev1",
                      texts=(creds.refresh_token,)),
    ]
    hidden = [creds.client_secret, creds.refresh_token, settings_.slack_bot_token, settings_.slack_app_token,
              settings_.slack_signing_secret, keys.split(":", 1)[1]]
    for obj in objects:
        for text in (repr(obj), str(obj)):
            for value in hidden:
                assert value not in text, type(obj).__name__
                assert middle(value) not in text, type(obj).__name__


def test_a_url_password_is_hidden_and_ordinary_urls_are_left_alone() -> None:
    from bot.redaction import hide_password

    assert hide_password("postgresql+psycopg://bot:p@ss/w0rd@db:5432/bot") == "postgresql+psycopg://bot:***@db:5432/bot"
    assert redact("connecting to postgresql://bot:hunter2@db/bot failed") == \
        "connecting to postgresql://bot:***@db/bot failed"
    assert redact("postgresql://bot@db/bot?sslmode=require&password=hunter2") == \
        "postgresql://bot@db/bot?sslmode=require&password=***"
    for plain in ("http://127.0.0.1:8080/path?to=a@b", "https://hooks.slack.com/commands/T1/2/x",
                  "sqlite:////var/lib/bot/bot.db", "mail me at a@b.example"):
        assert hide_password(plain) == plain
