"""Mention and link injection: every string a person or Amazon controls reaches Slack escaped, exactly once.

Slack reads ``&``, ``<`` and ``>`` as control characters in message text and in every text object
(https://api.slack.com/reference/surfaces/formatting#escaping): ``<!channel>`` notifies a whole
channel and ``<https://evil.example|click>`` is a disguised link. These tests render every notice
kind and every modal/message builder in ``bot/views`` with hostile values and check every string
the bot would send: no ``<`` or ``>`` survives except the mentions and channel links the bot
builds itself, and nothing is escaped twice. The end-to-end version over HTTP is
tests/views/test_escaping_http.py.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

import bot.views as views_package
from bot.flows.authz import Actor, refusal_for
from bot.flows.checklist import ChecklistNudge, ChecklistState
from bot.flows.leak_guard import ConnectionExposed, LeakWarning, Secret
from bot.flows.onboarding import ConnectionConnected, OutcomeKind, Prefill, SubmissionOutcome
from bot.flows.ports import Audience, Notice, Payload
from bot.flows.problems import Problem
from bot.flows.rotation import RenewKind, RenewResult
from bot.flows.summary import ConnectionSummary
from bot.flows.tool_keys import CreatedKey, KeyRow
from bot.i18n import Channel, Marketplace, Message, Region, Strong, User, t
from bot.views import audit, checklist, connections, credentials, help, home, leak_guard, lifecycle, tool_keys
from bot.views.blocks import (
    Markup,
    Words,
    bold,
    button,
    channel_link,
    context,
    cut,
    escape,
    header,
    join,
    mention,
    plain,
    section,
)
from bot.views.notices import known_kinds, render
from storage.models import Connection
from tests.catalog import says
from tests.views.lifecycle_samples import lifecycle_payload, sample_summary
from tests.views.limits import ALL_LOCALES, block_kit_problems

EN = Words()  # English, the catalog the expected sentences are rendered from

HOSTILE = "<!channel> <https://evil.example|click> & <@U0VICTIM>"
ESCAPED = "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; &lt;@U0VICTIM&gt;"
HOSTILE_STORE = "<!here> Acme <https://evil.example/s|store>"
HOSTILE_TEXT = "Amazon said <!everyone> <https://evil.example/e|details> & more"
HOSTILE_ID = "U0X><!channel"  # not a Slack id: must never become a mention
BOT_MARKUP = re.compile(r"<@[UW][A-Z0-9]+>|<#[CGD][A-Z0-9]+>")
RAW_KEYS = {"value", "initial_value", "private_metadata", "action_id", "block_id", "callback_id", "type",
            "style", "initial_date"}


def sent_strings(obj: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string the bot would show: message text, every text object, field, option, title...
    (skipping machine fields such as action ids, button values and an input's typed value)."""
    if isinstance(obj, str):
        yield path, obj
    elif isinstance(obj, dict):
        for key, value in obj.items():
            if key not in RAW_KEYS:
                yield from sent_strings(value, f"{path}.{key}")
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from sent_strings(value, f"{path}[{i}]")


def assert_safe(obj: Any) -> str:
    """No live markup but the bot's own mentions/channel links, nothing escaped twice; returns all text."""
    texts = []
    for path, text in sent_strings(obj):
        rest = BOT_MARKUP.sub("", text)
        assert "<" not in rest and ">" not in rest, f"unescaped markup at {path}: {text!r}"
        assert not re.search(r"&amp;(amp|lt|gt);", text), f"escaped twice at {path}: {text!r}"
        texts.append(text)
    return "\n".join(texts)


def hostile_summary(**overrides: Any) -> ConnectionSummary:
    values: dict[str, Any] = dict(
        id=7, name=HOSTILE, account_type="seller", selling_partner_id="A1B2C3D4E5F6G7", region="NA",
        marketplace_id="ATVPDKIKX0DER", store_name=HOSTILE_STORE, status="exposed",
        secret_expires_on=date(2026, 6, 30), last_verified_at=datetime(2026, 1, 2, 3, 4, tzinfo=UTC),
        last_problem=Problem("legacy", {"text": HOSTILE_TEXT}), created_by="U0OWNER", tools=(HOSTILE, "etl"),
    )
    values.update(overrides)
    return ConnectionSummary(**values)


NOTICE_DATA: dict[str, Any] = {
    **hostile_summary().to_dict(),
    "connection_id": 7, "marketplace": HOSTILE, "region": HOSTILE, "expires_on": HOSTILE, "days_left": 3,
    "owner": "U0OWNER", "actor": "U0ADMIN", "cause": HOSTILE_TEXT, "next_step": HOSTILE_TEXT,
    "verdict": "invalid_grant", "secret": "refresh_token", "channel_id": "C0TEAM", "user_id": "U0MEMBER",
    "connected_by": "U0MEMBER", "reconnected": False,
}
NAMELESS_KINDS = {"checklist_nudge"}  # the only notice that names no connection


def hostile_connected(user: str) -> ConnectionConnected:
    return ConnectionConnected(summary=hostile_summary(created_by=user, exposed=("refresh_token",)), actor=user)


def hostile_payload(kind: str, *, secret: str = "refresh_token", user_id: str = "U0MEMBER",
                    channel_id: str = "C0TEAM", owner: str = "U0OWNER", actor: str = "U0ADMIN") -> Payload | None:
    """The typed payload of a notice kind rendered with ``@speaks``, with hostile values (None: an untyped kind)."""
    from bot.i18n import User
    from bot.jobs import JobProblem

    if kind == JobProblem.KIND:
        return JobProblem(message=Message("lifecycle.refused", name=HOSTILE, owner=User(user_id)))
    if kind == ConnectionConnected.KIND:
        return hostile_connected(user_id)
    from bot.jobs.verify import SubmissionResult

    if kind == SubmissionResult.KIND:  # a submission's result as a DM (its modal was closed)
        connected = hostile_connected(user_id)
        return SubmissionResult(outcome=SubmissionOutcome(kind=OutcomeKind.CONNECTED, connection=connected.summary))
    if kind == ChecklistNudge.KIND:
        return ChecklistNudge(account_type="vendor")
    if kind == ConnectionExposed.KIND:
        return ConnectionExposed(connection_id=7, name=HOSTILE, secret=Secret(secret), channel_id=channel_id,
                                 user_id=user_id)
    facts = sample_summary(HOSTILE, marketplace=HOSTILE, region=HOSTILE, owner=owner, exposed=(secret,))
    return lifecycle_payload(kind, facts, actor=actor)


def hostile_notice(kind: str, audience: Audience, data: dict[str, Any], user_id: str | None = None) -> Notice:
    payload = hostile_payload(kind, secret=data.get("secret", "refresh_token"), user_id=data["user_id"],
                              channel_id=data["channel_id"], owner=data["owner"], actor=data["actor"])
    assert payload is not None, kind
    return Notice.of(audience, payload, user_id=user_id)


# ------------------------------------------------------------------------------------ the helpers


def test_escape_replaces_slacks_three_control_characters_once() -> None:
    assert escape("a & b <c> d") == "a &amp; b &lt;c&gt; d"
    assert escape(HOSTILE) == ESCAPED
    assert escape(escape(HOSTILE)) == ESCAPED  # Markup is never escaped again
    assert escape(None) == "" and escape(42) == "42"
    assert isinstance(escape("x"), Markup)


def test_md_escapes_every_parameter_but_trusted_markup() -> None:
    text = EN.md("lifecycle.refused", name=HOSTILE, owner=mention("U0OWNER"))
    assert ESCAPED in text and "<@U0OWNER>" in text and HOSTILE not in text
    assert isinstance(text, Markup)
    nested = EN.md("lifecycle.rotate_how", steps=EN.md("lifecycle.rotate_steps"), name=HOSTILE)
    assert t("lifecycle.rotate_steps") in nested and f"rotate {ESCAPED}" in nested


def test_mentions_and_channel_links_only_for_real_ids() -> None:
    assert mention("U0OWNER") == "<@U0OWNER>" and mention("W012ABC") == "<@W012ABC>"
    assert channel_link("C0TEAM") == "<#C0TEAM>" and channel_link("G0PRIVATE1") == "<#G0PRIVATE1>"
    for bad in (HOSTILE_ID, "!channel", "u0lower", "", None, "U0X|click"):
        assert "<" not in BOT_MARKUP.sub("", mention(bad)) and "<" not in BOT_MARKUP.sub("", channel_link(bad))
    assert mention(HOSTILE_ID) == "U0X&gt;&lt;!channel"


def test_block_builders() -> None:
    assert plain(HOSTILE) == {"type": "plain_text", "text": ESCAPED, "emoji": True}
    assert section(EN.md("onboarding.result.connected", name=HOSTILE))["text"]["type"] == "mrkdwn"
    assert button(HOSTILE, "act", "1", "danger")["text"]["text"] == ESCAPED
    assert header(HOSTILE)["text"]["text"] == ESCAPED[:150]
    assert bold(HOSTILE) == f"*{ESCAPED}*" and join([HOSTILE, mention("U0A1")], " · ") == f"{ESCAPED} · <@U0A1>"
    assert_safe([plain(HOSTILE), section(escape(HOSTILE)), context(escape(HOSTILE), bold(HOSTILE))])


def test_cut_never_ends_inside_an_entity() -> None:
    text = escape("x" * 10 + "&&&")  # xxxxxxxxxx&amp;&amp;&amp;
    for limit in range(8, len(text) + 1):
        head = cut(text, limit)
        assert len(head) <= limit and not re.search(r"&[a-z]*$", head), (limit, head)


# ------------------------------------------------------------------------------- every renderer


HEALTH_KINDS = {"health_failing", "health_failing_dm", "health_recovered"}  # tests/views/test_health_views.py


def notice_kinds() -> list[str]:
    """Every notice kind the views render, but the health notices (walked with hostile problems in
    tests/views/test_health_views.py)."""
    return sorted(known_kinds() - HEALTH_KINDS)


def test_every_notice_kind_has_a_hostile_payload() -> None:
    assert HEALTH_KINDS <= known_kinds()
    assert [k for k in notice_kinds() if hostile_payload(k) is None] == []


@pytest.mark.parametrize("kind", notice_kinds())
@pytest.mark.parametrize("secret", ["client_secret", "refresh_token"])
def test_every_notice_kind_escapes_hostile_values(kind: str, secret: str) -> None:
    data = {**NOTICE_DATA, "secret": secret}
    audience = Audience.DM if kind.endswith("_dm") else Audience.CHANNEL
    text, blocks = render(hostile_notice(kind, audience, data, user_id="U0OWNER"), Words())
    everything = assert_safe({"text": text, "blocks": blocks})
    if kind not in NAMELESS_KINDS:
        assert ESCAPED in everything, kind  # the name is shown, escaped, in the text or the blocks


@pytest.mark.parametrize("kind", notice_kinds())
def test_hostile_user_and_channel_ids_never_become_markup(kind: str) -> None:
    data = {**NOTICE_DATA, "owner": HOSTILE_ID, "actor": HOSTILE_ID, "user_id": HOSTILE_ID,
            "channel_id": "C0X><!here", "connected_by": HOSTILE_ID, "created_by": HOSTILE_ID}
    text, blocks = render(hostile_notice(kind, Audience.CHANNEL, data), Words())
    assert_safe({"text": text, "blocks": blocks})


def test_exposed_alert_reads_the_lwa_client_secret_not_the_an() -> None:
    for secret in Secret:
        payload = ConnectionExposed(connection_id=3, name="Main US", secret=secret, channel_id="C0TEAM",
                                    user_id="U0MEMBER")
        text, blocks = render(Notice.of(Audience.CHANNEL, payload), Words())
        assert text == t("guard.leak.alert.headline", label=t(f"guard.leak.label.{secret}"), name="Main US")
        assert t(f"guard.leak.kind.{secret}") not in text  # the label, not "the an LWA client secret"
        assert says(blocks, "guard.leak.alert.body", what=t(f"guard.leak.kind.{secret}"), where="<#C0TEAM>",
                    who="<@U0MEMBER>")


def _builders(locale: str = "en") -> dict[str, Any]:
    """Every modal and message builder of bot/views, called with hostile values (in ``locale``)."""
    summary = hostile_summary()
    today = date(2026, 1, 5)
    target = sample_summary(HOSTILE, marketplace=HOSTILE, region=HOSTILE)
    words = Words(locale)
    states = [ChecklistState("T0", "U0MEMBER"), ChecklistState("T0", "U0MEMBER", account_type="seller",
                                                               completed=("profile_submitted",),
                                                               nudge_due_at=datetime(2026, 1, 9, tzinfo=UTC)),
              ChecklistState("T0", "U0MEMBER", account_type="vendor")]
    prefill = Prefill(account_type="seller", selling_partner_id=HOSTILE, client_id=HOSTILE,
                      marketplace_id="ATVPDKIKX0DER", connection_name=HOSTILE, secret_created_on="2026-01-01")
    words = Words(locale)
    announce_error = Message("onboarding.announce.failed", channel=Channel("C0NOTIFY01"), reason=HOSTILE_TEXT)
    note = Message("onboarding.result.still_exposed", what=HOSTILE_TEXT, name=Strong(HOSTILE))
    hostile = Message("onboarding.confirm.not_allowed_lookup_failed", name=Strong(HOSTILE), owner=User(HOSTILE_ID),
                      error=HOSTILE_TEXT)
    outcomes = [
        SubmissionOutcome(kind="connected", connection=summary, notes=(note,)),
        SubmissionOutcome(kind="connected", connection=summary, reconnected=True, announce_error=announce_error),
        SubmissionOutcome(kind="confirm", existing=summary, pending_id="p1", notes=(note,)),
        SubmissionOutcome(kind="failed", cause=hostile, next_step=hostile, prefill=prefill),
        SubmissionOutcome(kind="expired"), SubmissionOutcome(kind="cancelled"),
        SubmissionOutcome(kind="refused", cause=hostile),
        SubmissionOutcome(kind="error", cause=hostile),
    ]
    rows = [audit.AuditRow(datetime(2026, 1, 1, tzinfo=UTC), actor, action, HOSTILE, HOSTILE_TEXT)
            for actor, action in (("U0OWNER", "connected"), ("system", "exposed"), (HOSTILE, HOSTILE))]
    rows += [
        audit.AuditRow(datetime(2026, 1, 1, tzinfo=UTC), "U0OWNER", "connected", HOSTILE, Message(
            "guard.audit.detail.connected", account=Message("guard.audit.detail.account.seller"), seller=HOSTILE,
            region=Region("NA"), marketplace=Marketplace("ATVPDKIKX0DER"))),
        audit.AuditRow(datetime(2026, 1, 1, tzinfo=UTC), HOSTILE_ID, "exposed", HOSTILE, Message(
            "guard.leak.last_error", what=Message("guard.leak.label.client_secret"), channel=Channel("C0X><!here"))),
    ]
    words = Words(locale)
    warnings = [LeakWarning("T0", "C0TEAM", "U0MEMBER", None, ("client_secret", "refresh_token"), (HOSTILE, "Main"),
                            edited=e) for e in (True, False)]
    built: dict[str, Any] = {
        "checklist.checklist_message": [checklist.checklist_message(words, s) for s in states],
        "checklist.nudge_message": checklist.nudge_message(ChecklistNudge(), words),
        "checklist.open_credentials_button": checklist.open_credentials_button(words),
        "connections.status_message": connections.status_message([summary, hostile_summary(store_name=None)],
                                                                 words, today),
        "connections.connections_blocks": connections.connections_blocks([summary], words),
        "connections.connection_line": connections.connection_line(summary, words, today),
        "home.home_view": [home.home_view(s, [summary], words, today) for s in states],
        "connections.connected_announcement": connections.connected_announcement(
            hostile_connected("U0MEMBER"), words),
        "help.help_message": help.help_message(words, ["rotate", "reauthorize", "disconnect", "audit"]),
        "credentials.credentials_modal": credentials.credentials_modal(words, prefill, today),
        "credentials.verifying_view": credentials.verifying_view(words),
        "credentials.refused_view": credentials.refused_view(words),
        "credentials.outcome_view": [credentials.outcome_view(words, o) for o in outcomes],
        "lifecycle.renew_modal": [lifecycle.renew_modal(k, target, today, words) for k in RenewKind],
        "lifecycle.verifying_modal": [lifecycle.verifying_modal(k, HOSTILE, words) for k in RenewKind],
        "lifecycle.result_modal": [lifecycle.result_modal(RenewKind.rotate, RenewResult(
            ok=False, headline=Message("lifecycle.result.failed", what=RenewKind.rotate.what, name=HOSTILE),
            cause=HOSTILE_TEXT, next_step=Message("lifecycle.result.unreadable", other=RenewKind.reauthorize.what,
                                                  name=HOSTILE, problem=HOSTILE_TEXT, what=RenewKind.rotate.what),
            announce_problem=HOSTILE_TEXT), words), lifecycle.result_modal(RenewKind.reauthorize, RenewResult(
                ok=True, headline=Message("lifecycle.result.reauthorized", name=HOSTILE),
                notes=(Message("lifecycle.still_exposed.client_secret", name=HOSTILE),)), words)],
        "lifecycle.disconnect_question": lifecycle.disconnect_question(target, words),
        "leak_guard.warning_message": [leak_guard.warning_message(w, words) for w in warnings],
        "audit.audit_trail": [audit.audit_trail(rows, HOSTILE, words, truncated=True),
                              audit.audit_trail([], HOSTILE, words, truncated=False)],
        "audit.audit_line": [audit.audit_line(r, words) for r in rows],
        "audit.refusal": audit.refusal(Message("guard.audit.lookup_failed", error=HOSTILE), words),
        # issue 15: tool keys (tool names are checked, connection names are anything)
        "lifecycle.exporters_blocks": lifecycle.exporters_blocks((HOSTILE, "etl"), words),
        "tool_keys.created_key": [tool_keys.created_key(CreatedKey(
            tool="etl", text="amzc_" + "A" * 43, connections=(HOSTILE, "Main"), all_connections=all_, export=all_),
            words) for all_ in (False, True)],
        "tool_keys.key_list": [tool_keys.key_list(tuple(KeyRow(
            tool="etl", prefix="amzc_AAAAAAAA", connections=(HOSTILE,), all_connections=all_, export=all_,
            created_by=HOSTILE_ID, created_at=datetime(2026, 1, 1, tzinfo=UTC),
            last_used_at=None if all_ else datetime(2026, 1, 2, tzinfo=UTC)) for all_ in (False, True)), words),
            tool_keys.key_list((), words)],
        "tool_keys.keys_sentence": tool_keys.keys_sentence(Message("guard.keys.unknown_connection",
                                                                   name=Strong(HOSTILE)), words),
        "connections.connection_line:autorotate": connections.connection_line(
            hostile_summary(autorotate=True), words, today),
    }
    return built


# Public functions of bot/views that build no Slack text of their own (or are covered through another).
NOT_BUILDERS = {
    "blocks.*", "notices.render", "notices.speaks", "notices.known_kinds",
    "lifecycle.renew_metadata", "lifecycle.still_exposed_blocks",  # walked through the notices
    "autorotate.via_amazon_button",  # walked through the expiry reminder notices (no text of its own)
    "lifecycle.field_error",  # plain text for a form field's error (Slack shows it as typed): no markup to escape
    "connections.status_label", "connections.status_text", "checklist.step_title", "checklist.step_body",
    "credentials.marketplace_option", "credentials.marketplace_option_groups",
    "health.problem_words",  # walked in tests/views/test_health_views.py
    "credentials.region_label",
    "credentials.field_errors",  # plain strings for ``response_action: errors`` (tests/flows/onboarding)
    "credentials.form_locale",  # reads the form's private_metadata back (tests/listeners/test_dispatch.py)
}


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_every_view_builder_escapes_hostile_values(locale: str) -> None:
    built = _builders(locale)
    for name, output in built.items():
        everything = assert_safe(output)
        if name not in ("checklist.nudge_message", "checklist.open_credentials_button", "credentials.verifying_view",
                        "credentials.refused_view", "help.help_message", "checklist.checklist_message",
                        "credentials.credentials_modal"):  # the modal holds the name only as the input's value
            assert ESCAPED in everything or escape(HOSTILE[:80]) in everything, name


@pytest.mark.parametrize("locale", ALL_LOCALES)
def test_every_view_builder_keeps_block_kit_limits_with_hostile_values(locale: str) -> None:
    """Long hostile names, escaped, in either language: no text object outgrows Slack's limits."""
    for name, output in _builders(locale).items():
        assert block_kit_problems(output, name) == [], name


@pytest.mark.parametrize("locale", ALL_LOCALES)
@pytest.mark.parametrize("kind", notice_kinds())
def test_every_notice_kind_keeps_block_kit_limits(kind: str, locale: str) -> None:
    audience = Audience.DM if kind.endswith("_dm") else Audience.CHANNEL
    text, blocks = render(hostile_notice(kind, audience, NOTICE_DATA, user_id="U0OWNER"), Words(locale))
    assert text and block_kit_problems((text, blocks), kind) == []


def test_the_walk_covers_every_builder_in_bot_views() -> None:
    """A new public view function must be added to the walk above (or declared not to build text)."""
    from bot.views import notices

    built = set(_builders())
    known_kinds()
    # walked by test_every_notice_kind_escapes_hostile_values
    renderers = list(notices._SPEAKERS.values())
    for info in pkgutil.iter_modules(views_package.__path__):
        module = importlib.import_module(f"bot.views.{info.name}")
        for fn_name, fn in inspect.getmembers(module, inspect.isfunction):
            key = f"{info.name}.{fn_name}"
            if fn.__module__ != module.__name__ or fn_name.startswith("_") or any(fn is r for r in renderers):
                continue
            if key in NOT_BUILDERS or f"{info.name}.*" in NOT_BUILDERS:
                continue
            assert key in built, f"{key} is not walked by test_every_view_builder_escapes_hostile_values"


def test_block_kit_helpers_and_escaping_are_defined_once() -> None:
    """bot/views/blocks.py is the one module that escapes and builds text objects and blocks: no other module
    of the views, flows or listeners defines its own section, plain, button, escape (public or private)."""
    import ast
    from pathlib import Path

    import bot

    helpers = {"section", "plain", "button", "escape", "md", "mrkdwn", "context", "header", "fields", "mention",
               "channel_link", "bold"}
    root = Path(bot.__file__).parent
    found: list[str] = []
    for folder in ("views", "flows", "listeners"):
        for path in sorted((root / folder).rglob("*.py")):
            if path == root / "views" / "blocks.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.lstrip("_") in helpers:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name}")
    assert not found, found


# --------------------------------------------------------------------------- flow sentences


def test_refusals_escape_the_connection_name() -> None:
    conn = Connection(id=7, team_id="T0", name=HOSTILE, account_type="seller", selling_partner_id="A1B2C3D4E5",
                      region="NA", marketplace_id="ATVPDKIKX0DER", client_id="amzn1.application-oa2-client.x",
                      status="connected", secret_created_on=date(2026, 1, 1), secret_expires_on=date(2026, 6, 30),
                      created_by="U0OWNER")
    words = Words()
    refused = refusal_for(conn, Actor("U0MEMBER"), admin_user_ids=(), lookup_error=HOSTILE_TEXT)
    assert refused is not None and "<@U0OWNER>" in words.render(refused)
    assert ESCAPED in assert_safe(words.render(refused))
    conn.status = "disconnected"
    gone = refusal_for(conn, Actor("U0OWNER"), admin_user_ids=())
    assert gone is not None and f"*{ESCAPED}*" in assert_safe(words.render(gone))
