"""Every view and message onboarding builds parses with slack_sdk's Block Kit models; the pure flow
rules (business days, who may connect, the one nudge) hold."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.flows import authz
from bot.flows import checklist as cl
from bot.flows import onboarding as flow
from bot.flows.ports import Audience, Notice
from bot.flows.problems import Problem
from bot.i18n import Channel, Message
from bot.views.blocks import Words
from bot.views.checklist import checklist_message
from bot.views.connections import status_message
from bot.views.credentials import credentials_modal, outcome_view, refused_view, verifying_view
from bot.views.help import help_message
from bot.views.home import home_view
from bot.views.notices import render
from storage.db import Database, migrate
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.harness import BotHarness
from tests.views.limits import ALL_LOCALES, block_kit_problems

KNOWN_BLOCK_TYPES = {"section", "header", "context", "actions", "divider", "input"}


def parse_blocks(blocks: list[dict[str, Any]]) -> None:
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None and block.type in KNOWN_BLOCK_TYPES, raw
        block.validate_json()
        assert block.to_dict()["type"] == raw["type"]


def parse_view(view: dict[str, Any]) -> None:
    model = View(**view)
    model.validate_json()
    assert model.type == view["type"]
    parse_blocks(view["blocks"])


def summary(**kw: Any) -> flow.ConnectionSummary:
    values: dict[str, Any] = dict(id=1, name="US <Main> & Co", account_type="seller", selling_partner_id="A1B2C3D4E5",
                                  region="NA", marketplace_id="ATVPDKIKX0DER", store_name="Acme", status="failing",
                                  secret_expires_on=date(2026, 12, 1),
                                  last_verified_at=datetime(2026, 6, 1, tzinfo=UTC),
                                  last_problem=Problem("legacy", {"text": "Amazon refused the refresh token"}),
                                  created_by="U1")
    values.update(kw)
    return flow.ConnectionSummary(**values)


def every_view_and_message(locale: str = "en") -> list[tuple[str, dict[str, Any]]]:
    prefill = flow.Prefill(account_type="vendor", selling_partner_id="ABC12",
                           client_id="amzn1.application-oa2-client.x",
                           marketplace_id="A1PA6795UKMFR9", connection_name="DE", secret_created_on="2026-01-02")
    words = Words(locale)
    views: list[tuple[str, dict[str, Any]]] = [
        ("form", credentials_modal(words, prefill, date(2026, 5, 1))),
        ("empty form", credentials_modal(words, flow.Prefill(), date(2026, 5, 1))),
        ("verifying", verifying_view(words)),
        ("refused", refused_view(words)),
        ("home", home_view(cl.ChecklistState("T", "U", "seller", ("roles",)), [summary(), summary(id=2, status="x")],
                           words, date(2026, 6, 1))),
        ("home empty", home_view(cl.ChecklistState("T", "U"), [], words)),
    ]
    for outcome in (
        flow.SubmissionOutcome(kind="connected", connection=summary(),
                               announce_error=Message("onboarding.announce.not_in_channel", channel=Channel("C1")),
                               notes=(Message("onboarding.form.date_future"),)),
        flow.SubmissionOutcome(kind="connected", connection=summary(store_name=None), reconnected=True),
        flow.SubmissionOutcome(kind="confirm", existing=summary(), pending_id="p1"),
        flow.SubmissionOutcome(kind="failed", cause=Message("general.unexpected_error"),
                               next_step=Message("onboarding.result.unexpected_step"), prefill=prefill),
        flow.SubmissionOutcome(kind="expired"), flow.SubmissionOutcome(kind="cancelled"),
        flow.SubmissionOutcome(kind="refused", cause=Message("onboarding.confirm.not_yours")),
    ):
        views.append((f"outcome {outcome.kind}", outcome_view(words, outcome)))
    messages = [
        checklist_message(words, cl.ChecklistState("T", "U")),
        checklist_message(words, cl.ChecklistState("T", "U", "seller", ("profile_submitted",),
                                                   nudge_due_at=datetime(2026, 5, 6, tzinfo=UTC))),
        checklist_message(words, cl.ChecklistState("T", "U", "vendor", tuple(cl.STEPS["vendor"]))),
        status_message([summary(), summary(id=3, status="connected", last_problem=None)], words, date(2026, 6, 1)),
        status_message([], words),
        help_message(words, ["start", "status", "help", "rotate"]),
        render(Notice.of(Audience.CHANNEL, flow.ConnectionConnected(summary=summary(), actor="U9")), words),
        render(cl.nudge_notice(cl.DueNudge(1, "T", "U", "seller", None)), words),
    ]
    for i, (text, blocks) in enumerate(messages):
        assert text
        views.append((f"message {i}", {"type": "message", "blocks": blocks}))
    return views


EVERY_VIEW = [(locale, name, view) for locale in ALL_LOCALES for name, view in every_view_and_message(locale)]


@pytest.mark.parametrize("locale,name,view", EVERY_VIEW, ids=lambda v: v if isinstance(v, str) else "")
def test_every_view_and_message_parses_with_block_kit_models(locale: str, name: str, view: dict[str, Any]) -> None:
    if view["type"] == "message":
        parse_blocks(view["blocks"])
        assert len(view["blocks"]) <= 50
    else:
        parse_view(view)
    assert block_kit_problems(view) == [], (locale, name)


def test_the_chinese_views_are_chinese() -> None:
    """The parametrized walk above really renders Chinese for zh-CN (a view not given the reader's
    Words would still pass the limits in English)."""
    import re

    from tests.i18n.test_zh_cn_http import english_leaks, text_elements

    for name, view in every_view_and_message("zh-CN"):
        texts = [text for text in text_elements(view) if text.strip()]
        assert re.search(r"[\u4e00-\u9fff]", "".join(texts)), name
        assert english_leaks(texts, ("US <Main> & Co", "US &lt;Main&gt; &amp; Co", "Acme", "DE")) == [], name


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_what_the_bot_really_sent_parses(tmp_path: Path, locale: str) -> None:
    """The same check on the recorded traffic of a full run (DM, form, result, status, home), for a reader
    of each language (the channel post follows TEAM_LANGUAGE: the same language here)."""
    with BotHarness(tmp_path, env={"TEAM_LANGUAGE": locale}) as h:
        h.slack.set_locale("U0MEMBER", locale)
        creds = h.amazon.register(make_credentials())
        h.command("")
        h.wait_dm()
        h.click("checklist_path_seller")
        h.wait_dm(lambda m: "step_roles" in json.dumps(m))
        view = h.open_credentials()
        h.submit(view, h.form_values(creds))
        h.wait_view(view["id"], lambda v: says(v, "onboarding.result.connected", locale))
        h.command("status")
        h.wait_for_slack("response_url")
        h.open_home()
        h.wait_for_slack("views.publish")
        checked = 0
        for call in h.slack.calls:
            if call.method in ("views.open", "views.update", "views.publish"):
                parse_view(call.params["view"])
                assert block_kit_problems(call.params["view"]) == []
                checked += 1
            elif call.method in ("chat.postMessage", "chat.update", "response_url") and call.params.get("blocks"):
                parse_blocks(call.params["blocks"])
                assert block_kit_problems(call.params) == []
                checked += 1
        assert checked >= 7  # DM, its update, form, result, status, home, channel post


def test_business_days_skip_the_weekend() -> None:
    friday = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    assert cl.add_business_days(friday, 3) == datetime(2026, 5, 6, 15, 0, tzinfo=UTC)  # Wednesday
    monday = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
    assert cl.add_business_days(monday, 3) == datetime(2026, 5, 7, 9, 0, tzinfo=UTC)


def test_nudge_is_due_once_and_cleared_by_unticking(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'n.db'}")
    migrate(db.engine)
    friday = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)
    with db.session() as s:
        cl.choose_path(s, "T", "U1", "seller", friday)
        cl.set_step(s, "T", "U1", "profile_submitted", True, friday)
        assert cl.due_nudges(s, datetime(2026, 5, 6, 14, 0, tzinfo=UTC)) == []
        due = cl.due_nudges(s, datetime(2026, 5, 6, 15, 0, tzinfo=UTC))
        assert [d.user_id for d in due] == ["U1"]
        assert cl.nudge_notice(due[0]).kind == "checklist_nudge" and cl.nudge_notice(due[0]).audience is Audience.DM
        assert cl.mark_nudged(s, due[0].progress_id, friday) is True
        assert cl.mark_nudged(s, due[0].progress_id, friday) is False  # once
        assert cl.due_nudges(s, datetime(2026, 6, 1, tzinfo=UTC)) == []
        cl.choose_path(s, "T", "U2", "vendor", friday)
        cl.set_step(s, "T", "U2", "profile_submitted", True, friday)
        state = cl.set_step(s, "T", "U2", "profile_submitted", False, friday)
        assert state.nudge_due_at is None and cl.due_nudges(s, datetime(2026, 6, 1, tzinfo=UTC)) == []
    db.dispose()


@pytest.mark.parametrize("policy,facts,admins,expected", [
    ("everyone", authz.UserFacts("U1"), (), True),
    ("admins", authz.UserFacts("U1"), (), False),
    ("admins", authz.UserFacts("U1", is_admin=True), (), True),
    ("admins", authz.UserFacts("U1"), ("U1",), True),
    ("U1,U2", authz.UserFacts("U2"), (), True),
    ("U1,S0GROUP", authz.UserFacts("U3"), (), False),
    ("U1,S0GROUP", authz.UserFacts("U3", groups=frozenset({"S0GROUP"})), (), True),
    ("everyone", authz.UserFacts(""), (), False),
])
def test_may_connect(policy: str, facts: authz.UserFacts, admins: tuple[str, ...], expected: bool) -> None:
    assert authz.may_connect(policy, facts, admins) is expected


def test_form_check_reprs_hide_secrets() -> None:
    creds = make_credentials()
    form = flow.check_form({"account_type": "seller", "selling_partner_id": creds.selling_partner_id,
                            "client_id": creds.client_id, "client_secret": creds.client_secret,
                            "refresh_token": creds.refresh_token, "marketplace": "US",
                            "connection_name": "x"}, date(2026, 5, 1))
    assert form.ok and form.secret_created_on == date(2026, 5, 1)
    for shown in (repr(form), str(form), repr(flow.Submission("T", "U", "V", "h", form))):
        assert creds.client_secret not in shown and creds.refresh_token not in shown
    assert "client_secret" not in form.prefill().to_json()


def test_every_onboarding_key_used_is_in_the_catalog() -> None:
    import re

    from bot.i18n import catalog

    root = Path(__file__).resolve().parents[2] / "bot"
    used: set[str] = set()
    for path in [*root.glob("flows/**/*.py"), *root.glob("views/*.py"), *root.glob("listeners/*.py")]:
        used |= set(re.findall(r"""["'](onboarding\.[a-z_.]+)["']""", path.read_text()))
    static = {k for k in used if not k.endswith(".")}
    missing = sorted(k for k in static if k not in catalog() and not k.endswith(("_", ".")))
    assert not missing
    for path in ("seller", "vendor"):
        for step in cl.STEPS[path]:
            assert f"onboarding.step.{path}.{step}.title" in catalog()
            assert f"onboarding.step.{path}.{step}.body" in catalog()
