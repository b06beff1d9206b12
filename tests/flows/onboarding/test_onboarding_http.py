"""Issue 5 across the real HTTP boundary: signed Slack requests into the bot, the bot calling the fake
Slack Web API and the fake Amazon over HTTP."""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.amazon.verdicts import VerdictKind
from bot.flows.checklist import STEPS
from bot.i18n import t
from bot.views.blocks import Words
from storage import repo
from storage.models import AuditEntry, Connection, IdempotencyKey
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.harness import BotHarness

TEXTS = {k.value: (t(f"amazon.verdict.{k.value}.cause"), t(f"amazon.verdict.{k.value}.next")) for k in VerdictKind}

ACK_LIMIT = 3.0
WORDS = Words()


def region_label(code: str) -> str:
    return t("onboarding.field.region_value", name=t(f"amazon.region.{code}"), code=code)


def text_of(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def final(h: BotHarness, view_id: str, timeout: float = 15.0) -> dict[str, Any]:
    """The view once verification is over (no longer the "checking" view)."""
    checking = t("onboarding.verifying.text")[:40]
    return h.wait_view(view_id, lambda v: v.get("callback_id") == "connect_result" and checking not in text_of(v),
                       timeout)


def connect(h: BotHarness, user: str, creds: Any, name: str, **overrides: Any) -> tuple[dict[str, Any], Any]:
    """Open the form from the user's DM and submit it; returns (final view, submission response)."""
    if not h.dm_messages(user):
        assert h.command("", user=user).status_code == 200
        h.wait_dm(user=user)
    view = h.open_credentials(user)
    response = h.submit(view, h.form_values(creds, name, **overrides), user)
    assert response.status_code == 200, response.text
    return final(h, view["id"]), response


def assert_no_secret(h: BotHarness, *secrets_: str) -> None:
    everything = h.everything_sent_and_logged()
    for value in secrets_:
        assert value not in everything
        assert value[-40:] not in everything  # not even a long tail of it


# ------------------------------------------------------------------ seller and vendor paths


def test_seller_path_end_to_end(bot_any_db: BotHarness) -> None:
    h = bot_any_db
    creds = h.amazon.register(make_credentials(), store_name="Acme US")
    secret_text = "please-do-not-echo-me"

    # /connect-amazon: ack at once, with no Slack call before it (the person's language is not known here
    # yet, so the ack is bare); the note that a DM is coming follows, ephemeral; nothing echoes the text
    r = h.command("", user="U0MEMBER")
    assert r.status_code == 200 and r.elapsed.total_seconds() < ACK_LIMIT
    assert r.text == ""
    note = h.wait_for_slack("response_url")
    assert (note.params["text"], note.params["response_type"]) == (t("onboarding.start.ack"), "ephemeral")
    dm = h.wait_dm()
    assert says(dm, "onboarding.checklist.path_seller") and says(dm, "onboarding.checklist.path_vendor")

    # choose the seller path; the same message is updated, with every step and its facts
    h.click("checklist_path_seller")
    dm = h.wait_dm(lambda m: any(b.get("block_id") == "step_profile_submitted" for b in m.get("blocks", [])))
    assert len(h.dm_messages()) == 1  # chat.update, not a new message
    for step in STEPS["seller"]:
        assert says(dm, f"onboarding.step.seller.{step}.body"), step
        assert says(dm, f"onboarding.step.seller.{step}.title"), step
    h.tick("prerequisites")
    h.tick("profile_submitted")
    dm = h.wait_dm(lambda m: t("onboarding.checklist.progress", path=t("onboarding.path.seller"), done=2,
                                 total=8) in text_of(m))

    # the private form: the contract action ids, a max_length on every text input, no secret anywhere
    view = h.open_credentials()
    inputs = {b["element"]["action_id"]: b for b in view["blocks"] if b["type"] == "input"}
    assert list(inputs) == ["account_type", "selling_partner_id", "client_id", "client_secret", "refresh_token",
                            "marketplace", "connection_name", "secret_created_on"]
    assert {o["value"] for o in inputs["account_type"]["element"]["options"]} == {"seller", "vendor"}
    assert inputs["account_type"]["element"]["initial_option"]["value"] == "seller"  # from the checklist
    assert inputs["selling_partner_id"]["label"]["text"] == t("onboarding.modal.seller_id.label")
    for key in ("selling_partner_id", "client_id", "client_secret", "refresh_token", "connection_name"):
        assert inputs[key]["element"]["max_length"] > 0
    groups = inputs["marketplace"]["element"]["option_groups"]
    assert [g["label"]["text"] for g in groups] == [region_label(code) for code in ("NA", "EU", "FE")]
    assert sum(len(g["options"]) for g in groups) >= 20
    assert inputs["secret_created_on"]["optional"] is True
    assert inputs["secret_created_on"]["element"]["initial_date"] == date.today().isoformat()

    created = date.today() - timedelta(days=10)
    r = h.submit(view, h.form_values(creds, "US Main Store", selling_partner_id=f"  {creds.selling_partner_id}\u200b ",
                                     secret_created_on=created.isoformat()))
    assert r.elapsed.total_seconds() < ACK_LIMIT
    assert r.json()["response_action"] == "update"
    result = final(h, view["id"])
    words = text_of(result)
    assert says(result, "onboarding.result.connected", name="US Main Store")
    expires = (created + timedelta(days=180)).isoformat()
    assert expires in words and "Acme US" in words

    # stored encrypted, with an audit entry
    with h.db_session() as s:
        conn = s.exec(select(Connection)).one()
        assert conn.selling_partner_id == creds.selling_partner_id  # trimmed silently
        assert (conn.region, conn.marketplace_id, conn.status) == ("NA", "ATVPDKIKX0DER", "connected")
        assert conn.secret_expires_on.isoformat() == expires and conn.created_by == "U0MEMBER"
        assert conn.client_secret_enc and creds.client_secret.encode() not in conn.client_secret_enc
        secrets_ = repo.load_secrets(s, h.services.crypto, conn)
        assert secrets_.client_secret == creds.client_secret and secrets_.refresh_token == creds.refresh_token
        audit = s.exec(select(AuditEntry)).all()
        assert [a.action for a in audit] == ["connected"]

    # the team channel is told: name, type, marketplace, region, who, verified, expiry
    post = h.wait_for_slack("chat.postMessage", lambda c: c.params.get("channel") == "C0NOTIFY01")
    text = text_of(post.params)
    assert says(post.params, "onboarding.announce.connected", name="US Main Store", user="<@U0MEMBER>")
    for fact in (t("onboarding.path.seller"), WORDS.marketplace("ATVPDKIKX0DER"), region_label("NA"), expires,
                 t("onboarding.field.verified"), t("onboarding.field.connected_by")):
        assert fact in text, fact

    # status lists it; so does the App Home with the checklist progress
    r = h.command("status")
    assert r.elapsed.total_seconds() < ACK_LIMIT
    answer = h.wait_for_slack("response_url", lambda c: "US Main Store" in c.raw_body)
    assert answer.params["response_type"] == "ephemeral" and expires in answer.raw_body
    h.open_home()
    home = h.wait_for_slack("views.publish").params["view"]
    assert "US Main Store" in text_of(home) and says(home, "onboarding.checklist.progress", done=2, total=8)

    assert secret_text not in h.slack.all_text()
    assert_no_secret(h, creds.client_secret, creds.refresh_token)


def test_vendor_path_end_to_end(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    creds = h.amazon.register(make_credentials(account_type="vendor", marketplace_id="A1PA6795UKMFR9"),
                              store_name="Acme DE Vendor")
    r = h.command("start", user=user)
    assert r.elapsed.total_seconds() < ACK_LIMIT
    h.wait_dm(user=user)
    h.click("checklist_path_vendor", user)
    dm = h.wait_dm(lambda m: "step_create_app" in text_of(m), user=user)
    for step in ("create_app", "find_credentials"):
        assert says(dm, f"onboarding.step.vendor.{step}.body"), step
    view = h.open_credentials(user)
    spid = next(b for b in view["blocks"] if b.get("block_id") == "selling_partner_id")
    assert spid["label"]["text"] == t("onboarding.modal.vendor_code.label")
    h.submit(view, h.form_values(creds, "DE Vendor"), user)
    result = final(h, view["id"])
    assert says(result, "onboarding.result.connected", name="DE Vendor")
    assert t("onboarding.path.vendor") in text_of(result) and region_label("EU") in text_of(result)
    with h.db_session() as s:
        conn = repo.get_connection(s, "T0FAKETEAM", "DE Vendor")
        assert conn is not None and conn.account_type == "vendor" and conn.region == "EU"
    assert_no_secret(h, creds.client_secret, creds.refresh_token)


# ------------------------------------------------------------------ format errors, before Amazon

FORMAT_CASES: dict[str, tuple[str, str, dict[str, str]]] = {  # field: (value, the error's catalog key, known)
    "selling_partner_id": ("not an id!", "amazon.error.inner_space", {"label": t("amazon.field.seller_id.label")}),
    "client_id": ("amzn1.sp.solution.12345678-1234-1234-1234-123456789012", "amazon.error.mixup",
                  {"label": t("amazon.field.client_id.label")}),
    "client_secret": ("CLIENT_ID", "amazon.error.mixup",  # a client ID pasted into the secret field
                      {"label": t("amazon.field.client_secret.label")}),
    "refresh_token": ("Atza|" + "x" * 300, "amazon.error.mixup", {"label": t("amazon.field.refresh_token.label")}),
    "connection_name": ("", "amazon.error.connection_name.empty", {}),
    "secret_created_on": ((date.today() + timedelta(days=3)).isoformat(), "onboarding.form.date_future", {}),
}


@pytest.mark.parametrize("field", sorted(FORMAT_CASES))
def test_each_field_format_error_comes_back_at_once(shared_bot: BotHarness, user: str, field: str) -> None:
    h = shared_bot
    creds = make_credentials()  # never registered: Amazon must not be asked
    bad, key, known = FORMAT_CASES[field]
    if bad == "CLIENT_ID":
        bad = creds.client_id
    h.command("", user=user)
    h.wait_dm(user=user)
    view = h.open_credentials(user)
    before = h.amazon.calls()
    r = h.submit(view, h.form_values(creds, "Shop " + field, **{field: bad}), user)
    answer = r.json()
    assert r.elapsed.total_seconds() < ACK_LIMIT
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert says(answer["errors"][field], key, **known), answer["errors"][field]
    if field == "client_secret":  # it says where the client ID belongs
        assert says(answer["errors"][field], "amazon.error.mixup_belongs", target=t("amazon.field.client_id.label"))
    assert h.amazon.calls() == before
    assert creds.client_secret not in r.text and creds.refresh_token not in r.text


def test_marketplace_must_be_chosen(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    h.command("", user=user)
    h.wait_dm(user=user)
    view = h.open_credentials(user)
    values = h.form_values(make_credentials(), "No market")
    values["marketplace"] = None
    answer = h.submit(view, values, user).json()
    assert answer["response_action"] == "errors" and "marketplace" in answer["errors"]


def test_a_name_used_by_another_store_is_a_form_error(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    first = h.amazon.register(make_credentials())
    result, _ = connect(h, user, first, "Shared Name")
    assert says(result, "onboarding.result.connected", name="Shared Name")
    view = h.open_credentials(user)
    answer = h.submit(view, h.form_values(make_credentials(), "Shared Name"), user).json()
    assert answer["response_action"] == "errors"
    assert answer["errors"] == {"connection_name": t("onboarding.form.name_taken_field", name="Shared Name")}


# ------------------------------------------------------------------ every Amazon failure reaches the user


def _setup_failure(h: BotHarness, kind: str) -> Any:
    creds = make_credentials()
    if kind == "invalid_client":
        h.amazon.register(creds)
        return make_credentials(client_id=creds.client_id, refresh_token=creds.refresh_token,
                                selling_partner_id=creds.selling_partner_id)  # wrong secret
    h.amazon.register(creds, **({"marketplaces": ["A2EUQ1WTGCTBG2"]} if kind == "marketplace_not_authorized"
                                else {}))
    if kind == "secret_expired":
        h.amazon.expire_secret(creds.client_id)  # LWA still issues a token; SP-API says the secret expired
    elif kind == "invalid_grant":
        h.amazon.revoke_refresh_token(creds.refresh_token)
    elif kind == "missing_role":
        h.amazon.set_roles(creds.refresh_token, [])
    elif kind == "rate_limited":
        h.amazon.fail_next(5, 429, retry_after=0)
    elif kind == "amazon_unavailable":
        h.amazon.fail_next(5, 503)
    return creds


@pytest.mark.parametrize("kind", ["invalid_client", "secret_expired", "invalid_grant", "marketplace_not_authorized",
                                  "missing_role", "rate_limited", "amazon_unavailable"])
def test_each_amazon_failure_reaches_the_user_with_its_next_step(shared_bot: BotHarness, user: str,
                                                                  kind: str) -> None:
    h = shared_bot
    creds = _setup_failure(h, kind)
    result, _ = connect(h, user, creds, f"Store {kind}")
    words = text_of(result)
    if kind in ("rate_limited", "amazon_unavailable"):  # Amazon gave no verdict: never "did not accept"
        assert not says(result, "onboarding.result.failed") and says(result, "onboarding.result.unfinished"), words
        assert says(result, "onboarding.result.try_again")
    else:
        assert says(result, "onboarding.result.failed")
    cause_start = TEXTS[kind][0].split("{")[0][:35]
    step_start = TEXTS[kind][1].split("{")[0][:35]
    assert cause_start in words and step_start in words, words
    with h.db_session() as s:
        assert repo.get_connection(s, "T0FAKETEAM", f"Store {kind}") is None

    # "Try again" reopens the form with the non-secret fields filled in, and no secret
    h.click("retry_credentials", user, view=result)
    form = h.wait_view(result["id"], lambda v: v.get("callback_id") == "connect_credentials")
    prefilled = {b["element"]["action_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}
    assert prefilled["client_id"]["initial_value"] == creds.client_id
    assert prefilled["selling_partner_id"]["initial_value"] == creds.selling_partner_id
    assert prefilled["connection_name"]["initial_value"] == f"Store {kind}"
    assert prefilled["marketplace"]["initial_option"]["value"] == creds.marketplace_id
    assert "initial_value" not in prefilled["client_secret"] and "initial_value" not in prefilled["refresh_token"]
    assert_no_secret(h, creds.client_secret, creds.refresh_token)


def test_network_error_reaches_the_user(tmp_path: Path) -> None:
    with BotHarness(tmp_path, env={"LWA_TOKEN_URL": "http://127.0.0.1:9/auth/o2/token"}) as h:
        creds = make_credentials()
        result, _ = connect(h, "U0MEMBER", creds, "Unreachable")
        words = text_of(result)
        assert TEXTS["network_error"][0][:35] in words and TEXTS["network_error"][1][:35] in words


def test_slow_amazon_still_gets_every_ack_under_3_seconds(tmp_path: Path) -> None:
    with BotHarness(tmp_path, amazon_timeout=4.0, amazon_deadline=5.0) as h:
        creds = h.amazon.register(make_credentials())
        h.amazon.set_latency(10)
        acks = [h.command("")]
        h.wait_dm()
        acks.append(h.click("checklist_path_seller"))
        h.wait_dm(lambda m: "step_roles" in text_of(m))
        acks.append(h.tick("roles"))
        before = len(h.slack.calls_for("views.open"))
        view = h.open_credentials()
        acks.append(h.slack.calls_for("views.open")[before:] and acks[-1])
        r = h.submit(view, h.form_values(creds, "Slow Store"))
        acks.append(r)
        for ack in acks:
            assert ack.status_code == 200 and ack.elapsed.total_seconds() < ACK_LIMIT
        assert r.json()["response_action"] == "update"
        assert says(r.json()["view"], "onboarding.verifying.text")  # acknowledged before Amazon answered
        result = final(h, view["id"], timeout=20)
        words = text_of(result)
        assert TEXTS["timeout"][0] in words and TEXTS["timeout"][1] in words


# ------------------------------------------------------------------ double submit, reconnect


def test_double_submit_makes_one_connection(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    creds = h.amazon.register(make_credentials())
    h.command("", user=user)
    h.wait_dm(user=user)
    view = h.open_credentials(user)
    second_view = h.open_credentials(user)
    h.amazon.set_latency(0.5)
    values = h.form_values(creds, "Twice")
    responses: list[Any] = []
    threads = [threading.Thread(target=lambda v=v: responses.append(h.submit(v, values, user)))
               for v in (view, view, second_view)]  # same view twice, and the same values from another view
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    h.amazon.set_latency(0)
    assert all(r.status_code == 200 and r.elapsed.total_seconds() < ACK_LIMIT for r in responses)
    for v in (view, second_view):  # both show the one outcome, however late a worker reached the duplicate
        shown = final(h, v["id"])
        assert says(shown, "onboarding.result.connected", name="Twice"), text_of(shown)[:300]
    with h.db_session() as s:
        rows = [c for c in repo.list_connections(s, "T0FAKETEAM") if c.name == "Twice"]
        assert len(rows) == 1
        audit = s.exec(select(AuditEntry).where(AuditEntry.connection_name == "Twice")).all()
        assert len(audit) == 1
    posts = [m for m in h.channel_posts() if "Twice" in m["text"]]
    assert len(posts) == 1


def test_the_same_values_submitted_again_after_a_failure_are_checked_again(shared_bot: BotHarness, user: str) -> None:
    """A duplicate is what was submitted before the first finished; the same values submitted after a
    failure are a new attempt (regression: with the first's outcome kept for late duplicates, a retry
    must not be shown the old failure)."""
    h = shared_bot
    creds = h.amazon.register(make_credentials())
    h.amazon.fail_next(5, 503)
    first, _ = connect(h, user, creds, "Retry later")
    assert says(first, "onboarding.result.unfinished")
    again, _ = connect(h, user, creds, "Retry later")
    assert says(again, "onboarding.result.connected", name="Retry later"), text_of(again)[:300]


def test_a_duplicate_whose_first_check_never_finishes_is_told_to_try_again(
    shared_bot: BotHarness, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a duplicate submission used to stay on "checking" forever when the first check
    (e.g. in a process that died) never reported an outcome."""
    import bot.jobs.verify as listener

    monkeypatch.setattr(listener, "FOLLOW_TIMEOUT", 0.5)
    h = shared_bot
    creds = h.amazon.register(make_credentials())
    h.command("", user=user)
    h.wait_dm(user=user)
    first_view, second_view = h.open_credentials(user), h.open_credentials(user)
    values = h.form_values(creds, "Slow one")
    h.amazon.set_latency(3)
    try:
        first = threading.Thread(target=h.submit, args=(first_view, values, user))
        first.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the first submission holds its claim
            with h.db_session() as session:
                claims = session.exec(select(IdempotencyKey).where(IdempotencyKey.key.startswith("submit:"))).all()
            if any("verifying" in (c.result or "") for c in claims):
                break
            time.sleep(0.05)
        assert h.submit(second_view, values, user).status_code == 200
        stuck = final(h, second_view["id"])
        assert says(stuck, "onboarding.result.unfinished", cause=t("onboarding.result.stuck_cause"))
        assert says(stuck, "onboarding.result.next_step", step=t("onboarding.result.interrupted_step"))
        assert says(stuck, "onboarding.result.try_again")
        assert not says(stuck, "onboarding.result.failed")  # Amazon was never heard from for this request
        first.join()
    finally:
        h.amazon.set_latency(0)
    assert "Slow one" in text_of(final(h, first_view["id"]))


def test_a_duplicate_waits_for_a_live_first_check_longer_than_the_lease_and_shows_its_outcome(
    shared_bot: BotHarness, user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11 item 9: the first submission's process renews its lease while Amazon is slow, so a
    duplicate (the same values from another modal) waits for it, well past one lease, and then shows
    the first one's real outcome; it never takes over a live claim (Amazon is asked once)."""
    from bot.flows.onboarding import claims

    monkeypatch.setattr(claims, "LEASE", timedelta(seconds=1.5))
    monkeypatch.setattr(claims, "LEASE_RENEW_EVERY", 0.3)
    h = shared_bot
    creds = h.amazon.register(make_credentials(), store_name="Live Claim Store")
    h.command("", user=user)
    h.wait_dm(user=user)
    first_view, second_view = h.open_credentials(user), h.open_credentials(user)
    values = h.form_values(creds, "Live claim")
    sp_calls = h.amazon.calls("/sellers/v1/marketplaceParticipations")
    h.amazon.set_latency(4, path="/sellers/v1/marketplaceParticipations")  # more than two leases
    try:
        first = threading.Thread(target=h.submit, args=(first_view, values, user))
        first.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # until the first submission holds its claim
            with h.db_session() as session:
                claims = session.exec(select(IdempotencyKey).where(IdempotencyKey.key.startswith("submit:"))).all()
            if any("verifying" in (c.result or "") for c in claims):
                break
            time.sleep(0.05)
        assert h.submit(second_view, values, user).status_code == 200
        first.join()
        shown = final(h, second_view["id"], timeout=20)
    finally:
        h.amazon.set_latency(0, path="/sellers/v1/marketplaceParticipations")
    assert says(shown, "onboarding.result.connected", name="Live claim"), text_of(shown)[:500]
    assert "Live claim" in text_of(final(h, first_view["id"]))
    assert h.amazon.calls("/sellers/v1/marketplaceParticipations") == sp_calls + 1  # no takeover of a live claim
    with h.db_session() as s:
        assert len([c for c in repo.list_connections(s, "T0FAKETEAM") if c.name == "Live claim"]) == 1


def test_reconnecting_the_same_partner_and_region_asks_first(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    creds = h.amazon.register(make_credentials(), store_name="Same Store")
    result, _ = connect(h, user, creds, "Main")
    assert says(result, "onboarding.result.connected", name="Main")
    # a new secret and token for the same seller in the same region (another NA marketplace)
    newer = h.amazon.register(make_credentials(selling_partner_id=creds.selling_partner_id,
                                               marketplace_id="A2EUQ1WTGCTBG2"), store_name="Same Store")
    view = h.open_credentials(user)
    h.submit(view, h.form_values(newer, "Main CA"), user)
    ask = final(h, view["id"])
    assert says(ask, "onboarding.confirm.text", name="Main", region=region_label("NA"))
    assert_no_secret(h, newer.client_secret, newer.refresh_token)  # the pending secrets are encrypted
    with h.db_session() as s:
        pending = s.exec(select(IdempotencyKey).where(IdempotencyKey.key.like("pending:%"))).all()  # type: ignore[attr-defined]
        assert pending and all(newer.client_secret not in (p.result or "") for p in pending)
        conn = repo.get_connection(s, "T0FAKETEAM", "Main")
        assert conn is not None and repo.load_secrets(s, h.services.crypto, conn).client_secret == creds.client_secret

    # someone else cannot confirm it
    other = "U" + secrets.token_hex(4).upper()
    h.slack.add_user(other, "intruder")
    h.click("confirm_update", other, view=ask)
    refused = h.wait_view(view["id"], lambda v: says(v, "onboarding.confirm.not_yours"))
    assert refused

    h.click("confirm_update", user, view=ask)
    done = h.wait_view(view["id"], lambda v: says(v, "onboarding.result.reconnected"))
    assert says(done, "onboarding.result.reconnected", name="Main CA")
    with h.db_session() as s:
        rows = [c for c in repo.list_connections(s, "T0FAKETEAM") if c.selling_partner_id == creds.selling_partner_id]
        assert len(rows) == 1 and rows[0].name == "Main CA" and rows[0].secret_generation == 2
        assert repo.load_secrets(s, h.services.crypto, rows[0]).refresh_token == newer.refresh_token
        assert not s.exec(select(IdempotencyKey).where(IdempotencyKey.key.like("pending:%"))).all()  # type: ignore[attr-defined]
    assert any(says(m["text"], "onboarding.announce.reconnected", name="Main CA") for m in h.channel_posts())

    # a second click finds nothing pending and changes nothing
    h.click("confirm_update", user, view=ask)
    lapsed = h.wait_view(view["id"], lambda v: says(v, "onboarding.confirm.expired"))
    assert lapsed


def test_announcement_failure_keeps_the_connection_and_says_why(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    creds = h.amazon.register(make_credentials())
    h.slack.channels["C0NOTIFY01"].bot_is_member = False
    try:
        result, _ = connect(h, user, creds, "Quiet Store")
    finally:
        h.slack.channels["C0NOTIFY01"].bot_is_member = True
    assert says(result, "onboarding.result.connected", name="Quiet Store")
    assert says(result, "onboarding.announce.not_in_channel", channel="<#C0NOTIFY01>")
    with h.db_session() as s:
        assert repo.get_connection(s, "T0FAKETEAM", "Quiet Store") is not None


# ------------------------------------------------------------------ command routing, checklist memory


def test_help_status_and_unknown_text(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    for text in ("help", "what is this Atzr|IwEBsecretish-text-123"):
        before = len(h.slack.calls_for("response_url"))
        r = h.command(text, user=user)
        assert r.status_code == 200 and r.elapsed.total_seconds() < ACK_LIMIT
        assert "Atzr" not in r.text
        h.wait_for_slack("response_url", lambda c, n=before: len(h.slack.calls_for("response_url")) > n)
        answer = h.slack.calls_for("response_url")[-1]
        for key in ("intro", "command.start", "command.status", "command.help", "extra.rotate", "extra.reauthorize",
                    "extra.disconnect", "extra.audit", "outro"):
            assert says(answer.params, f"onboarding.help.{key}"), key
        assert "secretish" not in answer.raw_body and answer.params["response_type"] == "ephemeral"
    assert "secretish" not in h.slack.all_text()


def test_progress_is_remembered_and_the_nudge_is_stored(shared_bot: BotHarness, user: str) -> None:
    h = shared_bot
    h.command("", user=user)
    h.wait_dm(user=user)
    h.click("checklist_path_seller", user)
    h.wait_dm(lambda m: "step_roles" in text_of(m), user=user)
    h.tick("profile_submitted", user=user)
    h.wait_dm(lambda m: says(m, "onboarding.checklist.nudge_scheduled"), user=user)
    with h.db_session() as s:
        progress = repo.get_checklist(s, "T0FAKETEAM", user)
        assert progress is not None and progress.profile_submitted_at is not None
        assert progress.nudge_due_at is not None and progress.nudge_due_at.weekday() < 5
        assert progress.dm_ts == h.last_dm(user)["ts"]
    # a new /connect-amazon shows the saved ticks in a fresh DM
    count = len(h.dm_messages(user))
    h.command("", user=user)
    fresh = h.wait_dm(lambda m: len(h.dm_messages(user)) > count, user=user)
    step = next(b for b in fresh["blocks"] if b.get("block_id") == "step_profile_submitted")
    assert step["accessory"]["initial_options"][0]["value"] == "profile_submitted"
    # unticking clears the stored nudge
    h.tick("profile_submitted", done=False, user=user)
    h.wait_dm(lambda m: not says(m, "onboarding.checklist.nudge_scheduled"), user=user)
    with h.db_session() as s:
        progress = repo.get_checklist(s, "T0FAKETEAM", user)
        assert progress is not None and progress.nudge_due_at is None


def test_connect_allowed_admins(tmp_path: Path) -> None:
    with BotHarness(tmp_path, env={"CONNECT_ALLOWED": "admins"}) as h:
        h.command("", user="U0MEMBER")
        refusal = h.wait_for_slack("response_url")
        assert says(refusal.params["text"], "onboarding.start.refused")
        assert not h.dm_messages("U0MEMBER")
        h.command("", user="U0ADMIN")
        assert h.wait_dm(user="U0ADMIN")
        assert h.slack.calls_for("users.info")


def test_no_secret_in_any_slack_call_log_or_database_bytes(shared_bot: BotHarness) -> None:
    """Runs last in this module: everything every test above sent, logged and stored."""
    h = shared_bot
    everything = h.everything_sent_and_logged()
    assert "US Main Store" in everything or "Twice" in everything  # the scan sees real traffic
    assert not re.search(r"amzn1\.oa2-cs\.v1\.[0-9a-f]{64}", everything)
    assert not re.search(r"Atzr\|IwEB[A-Za-z0-9_\-]{40}", everything)
    assert not re.search(r"Atza\|[A-Za-z0-9_\-]{40}", everything)
