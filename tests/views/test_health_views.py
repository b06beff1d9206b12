"""A connection's problem as stored meanings, and the views that say it: the health notices (typed payloads),
the status line's "last problem" and the channel announcement, in the reader's language, escaped once."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from slack_sdk.models.blocks import Block

from bot.amazon.verdicts import Verdict, VerdictKind, explain
from bot.flows.onboarding import ConnectionConnected
from bot.flows.ports import Audience, Notice
from bot.flows.problems import Problem, ProblemKind, explain_problem, verdict_of
from bot.flows.summary import ConnectionSummary
from bot.flows.sweep.health import CheckResult, HealthFailing, HealthFailingDm, HealthRecovered
from bot.i18n import Channel, Marketplace, Message, Region, User
from bot.views.blocks import Words, escape
from bot.views.connections import connection_line, status_message
from bot.views.health import problem_words
from bot.views.notices import render
from tests.catalog import says

HOSTILE = "US <!channel> & <https://evil.example|Main>"
ESCAPED = escape(HOSTILE)
SECRET = "amzn1.oa2-cs.v1." + "9f" * 32
WORDS = Words("en")


def summary(**kw: Any) -> ConnectionSummary:
    values: dict[str, Any] = dict(
        id=7, name=HOSTILE, account_type="seller", selling_partner_id="A1B2C3D4E5", region="NA",
        marketplace_id="ATVPDKIKX0DER", store_name=HOSTILE, status="failing", secret_expires_on=date(2026, 12, 1),
        last_verified_at=datetime(2026, 6, 1, 9, 5, tzinfo=UTC), last_problem=None, created_by="U0OWNER")
    values.update(kw)
    return ConnectionSummary(**values)


def facts(**kw: Any) -> dict[str, Any]:
    return {**HealthRecovered.facts(summary(**kw))}


def parse(blocks: list[dict[str, Any]]) -> None:
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()


def safe(text: str, blocks: list[dict[str, Any]]) -> str:
    everything = text + json.dumps(blocks)
    assert "<!channel>" not in everything and "<https://evil" not in everything
    assert "&amp;amp;" not in everything and "&amp;lt;" not in everything  # escaped once
    return everything


# ------------------------------------------------------------------------------- problems


def test_a_verdict_becomes_a_problem_and_back() -> None:
    verdict = Verdict(VerdictKind.marketplace_not_authorized, store_name="Shop", marketplaces=["ATVPDKIKX0DER"],
                      request_id="req-1", detail="raw Amazon text")
    problem = Problem.of(verdict)
    assert problem == Problem("marketplace_not_authorized", {"store_name": "Shop", "marketplaces": ["ATVPDKIKX0DER"],
                                                             "request_id": "req-1"})
    stored = Problem.stored(*problem.columns())
    assert stored == problem and stored.verdict() is not None
    assert explain_problem(stored) == explain(verdict)  # the words come back from the meaning, not a sentence
    assert verdict_of("legacy", {}) is None
    assert verdict_of("invalid_grant", "junk") == Verdict(VerdictKind.invalid_grant)


def test_what_amazon_returned_is_redacted_in_the_stored_problem() -> None:
    problem = Problem.of(Verdict(VerdictKind.unexpected, request_id=f"id {SECRET}", store_name=SECRET))
    kind, params = problem.columns()
    assert kind == "unexpected" and SECRET not in params and SECRET not in repr(problem)


def test_the_transient_limit_keeps_the_last_answer() -> None:
    last = Verdict(VerdictKind.amazon_unavailable, request_id="req-9")
    problem = Problem.transient_limit(3, last)
    assert problem == Problem(ProblemKind.transient_limit,
                              {"count": 3, "last": {"kind": "amazon_unavailable", "params": {"request_id": "req-9"}}})
    cause, step = explain_problem(Problem.stored(*problem.columns()))  # type: ignore[arg-type, misc]
    assert cause == Message("lifecycle.health.transient_cause", count=3, last=explain(last)[0])
    assert step == Message("lifecycle.health.transient_next_step")


def test_check_results_carry_the_verdict() -> None:
    verdict = Verdict(VerdictKind.invalid_grant, request_id="r")
    assert CheckResult("failing", verdict).problem == Problem("invalid_grant", {"request_id": "r"})
    assert CheckResult("ok", Verdict(VerdictKind.verified)).problem is None
    assert CheckResult("skipped").problem is None


@pytest.mark.parametrize("what", ["client_secret", "refresh_token"])
def test_problem_words_say_every_kind(what: str) -> None:
    cause, step = problem_words(Problem("invalid_grant", {}), WORDS)
    assert says(cause, "amazon.verdict.invalid_grant.cause") and says(step, "amazon.verdict.invalid_grant.next")
    cause, step = problem_words(Problem.transient_limit(3, Verdict(VerdictKind.timeout)), WORDS)
    assert says(cause, "lifecycle.health.transient_cause", count=3) and says(cause, "amazon.verdict.timeout.cause")
    assert says(step, "lifecycle.health.transient_next_step")
    leaked = Problem(ProblemKind.leaked, {"what": what, "channel": "C0TEAM"})
    assert explain_problem(leaked) == (Message(f"lifecycle.problem.leaked.{what}.cause", channel=Channel("C0TEAM")),
                                       Message(f"lifecycle.problem.leaked.{what}.next_step"))
    cause, step = problem_words(leaked, WORDS)
    assert "<#C0TEAM>" in cause and says(step, f"lifecycle.problem.leaked.{what}.next_step")
    cause, step = problem_words(Problem(ProblemKind.legacy, {"text": HOSTILE}), WORDS)
    assert cause == ESCAPED and step == ""
    assert problem_words(None, WORDS) == ("", "") and problem_words(Problem("from_the_future"), WORDS) == ("", "")


# ---------------------------------------------------------------------------- health notices


@pytest.mark.parametrize("payload_type", [HealthFailing, HealthFailingDm])
def test_failing_notices_say_cause_next_step_and_offer_the_fix(payload_type: type[HealthFailing]) -> None:
    problem = Problem.of(Verdict(VerdictKind.invalid_grant, request_id="req-7"))
    payload = payload_type(**facts(), problem=problem)
    audience = Audience.DM if payload_type is HealthFailingDm else Audience.CHANNEL
    notice = Notice.of(audience, payload, user_id="U0OWNER")
    assert notice.kind == payload_type.KIND
    text, blocks = render(notice, WORDS)
    everything = safe(text, blocks)
    parse(blocks)
    assert says(text, "lifecycle.health.failing.text", name=ESCAPED)
    assert ("<@U0OWNER>" in text) is (payload_type is HealthFailing)
    headline = "lifecycle.health.failing_dm.headline" if payload_type is HealthFailingDm else \
        "lifecycle.health.failing.headline"
    assert says(blocks, headline, name=ESCAPED, marketplace=WORDS.marketplace("ATVPDKIKX0DER"),
                region=WORDS.region("NA"))
    assert says(blocks, "lifecycle.health.cause") and says(everything, "amazon.verdict.invalid_grant.cause")
    assert says(blocks, "lifecycle.health.next_step") and says(everything, "amazon.verdict.invalid_grant.next")
    assert "reauthorize_now" in everything and "rotate_now" not in everything


def test_the_fix_button_follows_the_problem() -> None:
    for kind, action in (("invalid_client", "rotate_now"), ("secret_expired", "rotate_now"),
                         ("missing_role", None), (ProblemKind.transient_limit.value, None)):
        _text, blocks = render(Notice.of(Audience.CHANNEL, HealthFailing(**facts(), problem=Problem(kind))), WORDS)
        actions = [b for b in blocks if b["type"] == "actions"]
        assert [e["action_id"] for b in actions for e in b["elements"]] == ([action] if action else [])


def test_recovered_and_exposure() -> None:
    text, blocks = render(Notice.of(Audience.CHANNEL, HealthRecovered(**facts())), WORDS)
    safe(text, blocks)
    parse(blocks)
    assert says(text, "lifecycle.health.recovered.text", name=ESCAPED)
    assert not says(blocks, "lifecycle.exposure.still")
    for payload in (HealthRecovered(**facts(exposed=("client_secret",))),
                    HealthFailing(**facts(exposed=("client_secret",)), problem=None),
                    HealthFailingDm(**facts(exposed=("client_secret",)), problem=None)):
        _text, blocks = render(Notice.of(Audience.CHANNEL, payload), WORDS)
        assert says(blocks, "lifecycle.exposure.still", what=WORDS.text("guard.leak.label.client_secret"))


def test_payloads_hold_typed_facts_and_no_words() -> None:
    payload = HealthFailing(**facts(), problem=Problem("invalid_grant"))
    assert (payload.owner, payload.marketplace, payload.region, payload.expires_on) == (
        User("U0OWNER"), Marketplace("ATVPDKIKX0DER"), Region("NA"), date(2026, 12, 1))
    assert not any(isinstance(v, str) and " " in v and v != HOSTILE for v in vars(payload).values())


def test_the_readers_language_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    import bot.i18n as i18n
    from bot.i18n import catalog

    other = {**catalog(), "lifecycle.health.recovered.text": "Verbindung {name} ({marketplace}) geht wieder.",
             "amazon.marketplace.US": "Vereinigte Staaten"}
    monkeypatch.setitem(i18n._catalogs, "zh-CN", other)
    text, _blocks = render(Notice.of(Audience.CHANNEL, HealthRecovered(**facts())), Words("zh-CN"))
    assert text.startswith("Verbindung") and "Vereinigte Staaten" in text


# ---------------------------------------------------------------------------- connection views


def test_the_status_line_says_the_last_problem() -> None:
    line = connection_line(summary(last_problem=Problem("invalid_grant", {"request_id": "r-1"})), WORDS,
                           date(2026, 6, 1))
    assert says(line, "onboarding.status.last_problem")
    assert says(line, "amazon.verdict.invalid_grant.cause") and says(line, "amazon.verdict.invalid_grant.next")
    assert says(line, "onboarding.status.line", name=ESCAPED, marketplace=WORDS.marketplace("ATVPDKIKX0DER"),
                expires=WORDS.date(date(2026, 12, 1)))
    legacy = connection_line(summary(last_problem=Problem("legacy", {"text": HOSTILE})), WORDS)
    assert says(legacy, "onboarding.status.last_problem", cause=ESCAPED)
    assert not says(connection_line(summary(), WORDS), "onboarding.status.last_problem")
    text, blocks = status_message([summary(exposed=("refresh_token",))], WORDS)
    safe(text, blocks)
    assert says(blocks, "onboarding.status.exposed_beside", what=WORDS.text("guard.leak.label.refresh_token"))


@pytest.mark.parametrize("reconnected", [False, True])
def test_the_channel_announcement(reconnected: bool) -> None:
    payload = ConnectionConnected(summary=summary(exposed=("client_secret",)), actor="U0MEMBER",
                                  replaced=reconnected)
    notice = Notice.of(Audience.CHANNEL, payload)
    assert notice.kind == "connection_connected"
    text, blocks = render(notice, WORDS)
    everything = safe(text, blocks)
    parse(blocks)
    key = "onboarding.announce.reconnected" if reconnected else "onboarding.announce.connected"
    assert says(text, key, name=ESCAPED, user="<@U0MEMBER>")
    assert WORDS.marketplace("ATVPDKIKX0DER") in everything and WORDS.date(date(2026, 12, 1)) in everything
    assert says(blocks, "onboarding.field.region_value", name=WORDS.region("NA"), code="NA")
    assert WORDS.datetime(datetime(2026, 6, 1, 9, 5, tzinfo=UTC)) in everything
    assert says(blocks, "onboarding.announce.still_exposed", name=ESCAPED,
                what=WORDS.text("guard.leak.label.client_secret"))
    _text, blocks = render(Notice.of(Audience.CHANNEL, ConnectionConnected(summary=summary(), actor="U0MEMBER")), WORDS)
    assert not says(blocks, "onboarding.announce.still_exposed")
