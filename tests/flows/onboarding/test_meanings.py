"""Onboarding flows return meanings (catalog keys with typed parameters), never words; only the views
speak, in the reader's language."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import bot
from bot.flows import checklist as cl
from bot.flows import onboarding as flow
from bot.flows.ports import Audience, Notice
from bot.i18n import Channel, Message, Strong
from bot.views.blocks import Words
from bot.views.credentials import field_errors, outcome_view
from bot.views.notices import render
from tests.catalog import says
from tests.fakes.fake_amazon import credential_fields, make_credentials

TODAY = date(2026, 5, 1)


def _summary(**kw: object) -> flow.ConnectionSummary:
    values: dict[str, object] = dict(id=1, name="Main", account_type="seller", selling_partner_id="A1B2C3D4E5",
                                     region="NA", marketplace_id="ATVPDKIKX0DER", store_name=None,
                                     status="connected", secret_expires_on=date(2026, 10, 28),
                                     last_verified_at=datetime(2026, 5, 1, 9, 30, tzinfo=UTC), last_problem=None,
                                     created_by="U0OWNER")
    values.update(kw)
    return flow.ConnectionSummary(**values)  # type: ignore[arg-type]


def test_no_onboarding_flow_imports_the_views() -> None:
    root = Path(bot.__file__).parent / "flows"
    for path in [*sorted((root / "onboarding").glob("*.py")), root / "checklist.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("bot.views"), path
            if isinstance(node, ast.Import):
                assert not any(a.name.startswith("bot.views") for a in node.names), path


def test_date_errors_are_meanings() -> None:
    fields = {**credential_fields(make_credentials()), "connection_name": "Main"}
    future = flow.check_form({**fields, "secret_created_on": (TODAY + timedelta(days=2)).isoformat()}, TODAY)
    assert future.errors == {"secret_created_on": Message("onboarding.form.date_future")}
    unreadable = flow.check_form({**fields, "secret_created_on": "soon"}, TODAY)
    assert unreadable.errors == {"secret_created_on": Message("onboarding.form.date_invalid")}
    old = flow.check_form({**fields, "secret_created_on": (TODAY - timedelta(days=400)).isoformat()}, TODAY)
    assert old.errors == {"secret_created_on": Message("onboarding.form.date_expired", days=180)}
    shown = field_errors(Words(), old.errors)
    assert says(shown["secret_created_on"], "onboarding.form.date_expired", days=180)


def test_an_error_for_no_shown_field_is_shown_on_the_first() -> None:
    shown = field_errors(Words(), {"other": Message("onboarding.form.date_future")})
    assert says(shown["account_type"], "onboarding.form.date_future")


def test_the_announcement_is_a_typed_notice() -> None:
    payload = flow.ConnectionConnected(summary=_summary(exposed=("refresh_token",)), actor="U0ADMIN", replaced=True)
    notice = Notice.of(Audience.CHANNEL, payload)
    assert notice.kind == "connection_connected" and notice.payload == payload
    text, blocks = render(notice, Words())
    assert says(text, "onboarding.announce.reconnected", name="Main", user="<@U0ADMIN>")
    assert says(blocks, "onboarding.announce.still_exposed", name="Main", what="refresh token")
    assert says(blocks, "onboarding.field.region_value", name="North America", code="NA")


def test_the_nudge_is_a_typed_notice() -> None:
    notice = cl.nudge_notice(cl.DueNudge(1, "T0", "U0MEMBER", "vendor", None))
    assert notice.payload == cl.ChecklistNudge(account_type="vendor") and notice.user_id == "U0MEMBER"
    text, blocks = render(notice, Words())
    assert says(text, "onboarding.nudge.text") and says(blocks, "onboarding.nudge.button")


def test_an_announcement_failure_is_shown_with_the_channel_linked() -> None:
    outcome = flow.SubmissionOutcome(
        kind=flow.OutcomeKind.CONNECTED, connection=_summary(),
        announce_error=Message("onboarding.announce.failed", channel=Channel("C0NOTIFY01"), reason="<boom>"))
    view = outcome_view(Words(), outcome)
    assert says(view, "onboarding.announce.failed", channel="<#C0NOTIFY01>", reason="&lt;boom&gt;")
    assert says(view, "onboarding.result.connected", name="Main")


def test_a_refusal_names_the_connection_and_its_owner() -> None:
    from bot.i18n import User

    outcome = flow.SubmissionOutcome(kind=flow.OutcomeKind.REFUSED, cause=Message(
        "onboarding.confirm.not_allowed", name=Strong("Main <x>"), owner=User("U0OWNER")))
    view = outcome_view(Words(), outcome)
    assert says(view, "onboarding.confirm.not_allowed", name="*Main &lt;x&gt;*", owner="<@U0OWNER>")
