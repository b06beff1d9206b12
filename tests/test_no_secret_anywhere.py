"""One redaction test over every flow (issue 7): connect a seller and a vendor, fail in every way,
rotate (and fail to), re-authorize, leak a secret in a channel, sweep (health checks, reminders),
read the audit trail, disconnect, rotate the encryption key. Then scan everything: every log line
the bot wrote, every request body it sent to Slack, the output of the CLI subprocesses, and the raw
bytes of the SQLite database: none of the secrets used appears, nor any long piece of one.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.amazon.client import Credentials
from bot.i18n import t
from storage import repo
from storage.crypto import format_keys, generate_key, parse_keys
from storage.models import exposed_kinds
from tests.fakes.fake_amazon import make_credentials
from tests.fakes.slack_signing import JSON, event_callback_body, post_signed
from tests.harness import BotHarness, wait_until

TEAM = "T0FAKETEAM"


def text_of(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def connect(h: BotHarness, user: str, creds: Credentials, name: str, **overrides: Any) -> dict[str, Any]:
    """Open the form from the user's DM checklist, submit it, return the final modal."""
    if not h.dm_messages(user):
        assert h.command("", user=user).status_code == 200
        h.wait_dm(user=user)
    view = h.open_credentials(user)
    response = h.submit(view, h.form_values(creds, name, **overrides), user)
    assert response.status_code == 200, response.text
    if response.content and response.json().get("response_action") == "errors":
        return response.json()
    checking = t("onboarding.verifying.text")[:40]
    return h.wait_view(view["id"], lambda v: v.get("callback_id") == "connect_result" and checking not in text_of(v))


def renew(h: BotHarness, user: str, word: str, name: str, field: str, value: str) -> dict[str, Any]:
    """``/connect-amazon rotate|reauthorize NAME``, fill the modal, return the final modal."""
    before = len(h.slack.calls_for("views.open"))
    assert h.command(f"{word} {name}", user=user).status_code == 200
    call = wait_until(lambda: h.slack.calls_for("views.open")[before:], 10, "no renew modal")[0]
    view = h.view(call.response["view"]["id"])
    assert h.submit(view, {field: value}, user).status_code == 200
    verifying = t("lifecycle.modal.verifying", what="\x00", name="\x00").split("\x00")[0][:20]
    return h.wait_view(view["id"], lambda v: v.get("callback_id") == "lifecycle_renew_result"
                       and (not verifying or verifying not in text_of(v)))


def connection(h: BotHarness, name: str) -> Any:
    with h.db_session() as s:
        return repo.get_connection(s, TEAM, name)


def test_no_secret_in_any_log_slack_call_cli_output_or_db_bytes(tmp_path: Path) -> None:
    secrets_used: list[str] = []
    cli_output: list[str] = []

    def new(**kw: Any) -> Credentials:
        creds = make_credentials(**kw)
        secrets_used.extend([creds.client_secret, creds.refresh_token])
        return creds

    with BotHarness(tmp_path) as h:
        # Connect: a seller and a vendor.
        seller = h.amazon.register(new(), store_name="Acme US")
        assert "Seller One" in text_of(connect(h, "U0MEMBER", seller, "Seller One"))
        vendor = h.amazon.register(new(account_type="vendor"), store_name="Acme Vendor")
        assert "Vendor One" in text_of(connect(h, "U0OWNER", vendor, "Vendor One"))
        assert connection(h, "Seller One").status == "connected"
        assert connection(h, "Vendor One").status == "connected"

        # Fail: unknown app (invalid_client), revoked token (invalid_grant), secrets in the wrong fields.
        connect(h, "U0ADMIN", new(), "Unknown App")
        revoked = h.amazon.register(new())
        h.amazon.revoke_refresh_token(revoked.refresh_token)
        connect(h, "U0ADMIN", revoked, "Revoked")
        mixed = new()
        errors = connect(h, "U0ADMIN", mixed, "Mixed Up", client_secret=mixed.refresh_token,
                         refresh_token=mixed.client_secret, client_id=mixed.client_secret)
        assert errors.get("response_action") == "errors"
        assert connection(h, "Unknown App") is None and connection(h, "Revoked") is None

        # Rotate the seller's client secret (and fail once with one Amazon does not know).
        rotated = "amzn1.oa2-cs.v1." + make_credentials().client_secret[-64:]
        wrong = "amzn1.oa2-cs.v1." + make_credentials().client_secret[-64:]
        secrets_used.extend([rotated, wrong])
        renew(h, "U0MEMBER", "rotate", "Seller One", "client_secret", wrong)
        assert connection(h, "Seller One").secret_generation == 1
        h.amazon.rotate_secret(seller.client_id, rotated)
        renew(h, "U0MEMBER", "rotate", "Seller One", "client_secret", rotated)
        assert connection(h, "Seller One").secret_generation == 2

        # Re-authorize the vendor with a new refresh token.
        new_token = make_credentials().refresh_token
        secrets_used.append(new_token)
        h.amazon.reauthorize(vendor.refresh_token, new_token)
        renew(h, "U0OWNER", "reauthorize", "Vendor One", "refresh_token", new_token)
        with h.db_session() as s:
            conn = repo.get_connection(s, TEAM, "Vendor One")
            assert conn is not None
            assert repo.load_secrets(s, h.services.crypto, conn).refresh_token == new_token

        # Leak: someone pastes the seller's new secret in a channel.
        event = {"type": "message", "channel": "C0TEAM", "user": "U0MEMBER", "ts": "1700000001.000200",
                 "text": f"is this right? {rotated}", "channel_type": "channel"}
        post_signed(h.url, event_callback_body(event, "EvLEAK0001"), h.signing_secret, JSON)
        h.wait_for_slack("chat.postEphemeral", lambda c: c.params.get("user") == "U0MEMBER")
        wait_until(lambda: exposed_kinds(connection(h, "Seller One")), 10, "not flagged exposed")

        # Sweep (a subprocess): the vendor's token is revoked meanwhile; reminders are due soon.
        h.amazon.revoke_refresh_token(new_token)
        later = (datetime.now(UTC) + timedelta(days=170)).strftime("%Y-%m-%dT%H:%M:%SZ")
        done = h.run_cli("sweep", "--now", later)
        cli_output.append(done.stdout + done.stderr)
        assert done.returncode == 0, done.stderr[-2000:]
        wait_until(lambda: connection(h, "Vendor One").status == "failing", 10, "health check did not fail")

        # Audit trail, shown to an admin.
        before = len(h.slack.calls_for("response_url"))
        h.command("audit", user="U0ADMIN")
        trail = wait_until(lambda: h.slack.calls_for("response_url")[before:], 10, "no audit trail")[0]
        assert "Seller One" in text_of(trail.params) and "Vendor One" in text_of(trail.params)

        # Disconnect the vendor: the confirmation button, then the secrets are erased.
        before = len(h.slack.calls_for("response_url"))
        h.command("disconnect Vendor One", user="U0OWNER")
        question = wait_until(lambda: h.slack.calls_for("response_url")[before:], 10, "no question")[0]
        button = next(e for b in question.params["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "disconnect_confirm")
        h.action("disconnect_confirm", "U0OWNER", value=button["value"], response_url=h.slack.response_url(),
                 channel_id="C0TEAM")
        wait_until(lambda: connection(h, "Vendor One").status == "disconnected", 10, "not disconnected")
        assert connection(h, "Vendor One").client_secret_enc is None

        # A tool key (issue 15): made in Slack, used for an access token and an export, tried wrong, revoked.
        before = len(h.slack.calls_for("response_url"))
        h.command("keys create etl \"Seller One\" --export", user="U0ADMIN")
        made = wait_until(lambda: [c for c in h.slack.calls_for("response_url")[before:]
                                   if "amzc_" in text_of(c.params)], 10, "no key")[0]
        found_key = re.search(r"amzc_[A-Za-z0-9_-]{32,}", text_of(made.params))
        assert found_key is not None, text_of(made.params)
        tool_key = found_key.group(0)
        auth = {"Authorization": f"Bearer {tool_key}"}
        got = httpx.post(f"{h.base_url}/v1/connections/Seller One/access-token", headers=auth, timeout=30)
        assert got.status_code == 200, got.text
        access_token = got.json()["access_token"]
        assert httpx.get(f"{h.base_url}/v1/connections/Seller One/credentials", headers=auth,
                         timeout=30).status_code == 200
        assert httpx.post(f"{h.base_url}/v1/connections/Seller One/access-token", timeout=30,
                          headers={"Authorization": f"Bearer {tool_key[:-2]}xy"}).status_code == 401
        h.command("keys revoke etl", user="U0ADMIN")
        wait_until(lambda: httpx.post(f"{h.base_url}/v1/connections/Seller One/access-token", headers=auth,
                                      timeout=30).status_code == 401, 10, "the key still works")

        # Rotate the encryption key (a subprocess), then the bot still reads the seller with the new key.
        keys = format_keys([generate_key("test2"), *parse_keys(h.env["ENCRYPTION_KEYS"])])
        done = h.run_cli("rotate-key", ENCRYPTION_KEYS=keys)
        cli_output.append(done.stdout + done.stderr)
        assert done.returncode == 0, done.stderr[-2000:]

        everything = "\n".join([h.everything_sent_and_logged(), *cli_output])
        assert "Seller One" in everything and "exposed" in everything  # the scan sees the real traffic
        assert len(secrets_used) == 13
        for value in secrets_used:
            assert value not in everything
            for piece in (value[-10:], value[20:36], value[len(value) // 2:len(value) // 2 + 16]):
                assert piece not in everything, "a piece of a secret leaked"
        # Shapes too: nothing secret-shaped was written unmasked anywhere.
        assert not re.search(r"amzn1\.oa2-cs\.v1\.[0-9a-fA-F]{12}", everything)
        assert not re.search(r"Atz[ra]\|[A-Za-z0-9_\-]{12}", everything)
        # The tool key was shown once, in the one ephemeral answer to its maker; the access token nowhere.
        from urllib.parse import unquote_plus

        from tests.fakes.fake_slack import _text_leaves

        shown_once = "\n".join([made.raw_body, unquote_plus(made.raw_body), *_text_leaves(made.params)])
        elsewhere = everything.replace(shown_once, "")
        for value in (tool_key, tool_key[13:], tool_key[13:25], tool_key[-12:], access_token, access_token[-16:]):
            assert value not in elsewhere
        # Only the 8-character recognition prefix is kept (in the SQLite file it sits next to the hex hash).
        for found in re.finditer(r"amzc_[A-Za-z0-9_\-]{9,}", elsewhere):
            assert found.group(0).startswith(tool_key[:13]) and tool_key[13:17] not in found.group(0)
        assert h.signing_secret not in h.log_text() and h.signing_secret not in "\n".join(cli_output)
        assert h.slack.bot_token not in h.log_text() and h.slack.bot_token not in "\n".join(cli_output)
