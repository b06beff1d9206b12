"""The private credential modal and every view that replaces it (verifying, result, confirm), as
Block Kit. Pure functions. No secret is ever put into a view: not as initial_value, not in
private_metadata, not in a button value.

Action ids of the inputs are a contract (tests and automation rely on them); each input's block_id
is the same as its action_id, so ``response_action: errors`` keys are the field names.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.amazon.marketplaces import MARKETPLACES, REGION_NAMES
from bot.amazon.validators import FIELD_KEYS, INPUT_MAX_LENGTH
from bot.flows.onboarding.form import Prefill
from bot.flows.onboarding.submission import SubmissionOutcome
from bot.flows.summary import ConnectionSummary
from bot.i18n import t
from bot.views.blocks import button, context, cut, escape, fields, md, plain, section
from bot.views.notices import Blocks

CALLBACK_ID = "connect_credentials"
RESULT_CALLBACK_ID = "connect_result"
RETRY_ACTION = "retry_credentials"
CONFIRM_ACTION = "confirm_update"
CANCEL_ACTION = "cancel_update"

FIELD_ORDER = (*FIELD_KEYS, "secret_created_on")


def _modal(title_key: str, blocks: Blocks, *, callback_id: str = RESULT_CALLBACK_ID, close_key: str =
           "onboarding.modal.close", submit_key: str | None = None, private_metadata: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(t(title_key), 24),
        "close": plain(t(close_key), 24),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit_key:
        view["submit"] = plain(t(submit_key), 24)
    return view


def _text_input(key: str, *, initial: str | None = None, multiline: bool = False, label: str | None = None,
                hint_key: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": key,
        "max_length": INPUT_MAX_LENGTH[key],
        "placeholder": plain(t(f"onboarding.modal.{key}.placeholder")),
    }
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial[: INPUT_MAX_LENGTH[key]]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": key,
        "label": plain(label or t(f"onboarding.modal.{key}.label")),
        "element": element,
    }
    hint = t(hint_key or f"onboarding.modal.{key}.hint")
    if hint:
        block["hint"] = plain(hint)
    return block


def _account_options() -> list[dict[str, Any]]:
    return [
        {"text": plain(t("onboarding.path.seller")), "value": "seller"},
        {"text": plain(t("onboarding.path.vendor")), "value": "vendor"},
    ]


def marketplace_option(marketplace_id: str) -> dict[str, Any] | None:
    for m in MARKETPLACES:
        if m.marketplace_id == marketplace_id:
            return {"text": plain(f"{m.name} ({m.country_code})"[:75]), "value": m.marketplace_id}
    return None


def marketplace_option_groups() -> list[dict[str, Any]]:
    groups = []
    for region, name in REGION_NAMES.items():
        options = [marketplace_option(m.marketplace_id) for m in MARKETPLACES if m.region == region]
        groups.append({"label": plain(f"{name} ({region})"), "options": [o for o in options if o]})
    return groups


def credentials_modal(prefill: Prefill, today: date) -> dict[str, Any]:
    """The form. Only non-secret fields are ever prefilled."""
    account_element: dict[str, Any] = {"type": "radio_buttons", "action_id": "account_type",
                                       "options": _account_options()}
    if prefill.account_type in ("seller", "vendor"):
        account_element["initial_option"] = next(
            o for o in _account_options() if o["value"] == prefill.account_type
        )
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": "marketplace",
        "placeholder": plain(t("onboarding.modal.marketplace.placeholder")),
        "option_groups": marketplace_option_groups(),
    }
    chosen = marketplace_option(prefill.marketplace_id or "")
    if chosen:
        select["initial_option"] = chosen
    try:
        created = date.fromisoformat(prefill.secret_created_on) if prefill.secret_created_on else today
    except ValueError:
        created = today
    spid_label = t("onboarding.modal.vendor_code.label" if prefill.account_type == "vendor"
                   else "onboarding.modal.seller_id.label")
    blocks: Blocks = [
        section(md("onboarding.modal.intro")),
        {"type": "input", "block_id": "account_type", "label": plain(t("onboarding.modal.account_type.label")),
         "element": account_element},
        _text_input("selling_partner_id", initial=prefill.selling_partner_id, label=spid_label),
        _text_input("client_id", initial=prefill.client_id),
        _text_input("client_secret"),
        _text_input("refresh_token", multiline=True),
        {"type": "input", "block_id": "marketplace", "label": plain(t("onboarding.modal.marketplace.label")),
         "hint": plain(t("onboarding.modal.marketplace.hint")), "element": select},
        _text_input("connection_name", initial=prefill.connection_name),
        {
            "type": "input",
            "block_id": "secret_created_on",
            "optional": True,
            "label": plain(t("onboarding.modal.secret_created_on.label")),
            "hint": plain(t("onboarding.modal.secret_created_on.hint")),
            "element": {"type": "datepicker", "action_id": "secret_created_on", "initial_date": created.isoformat(),
                        "placeholder": plain(t("onboarding.modal.secret_created_on.placeholder"))},
        },
    ]
    return _modal("onboarding.modal.title", blocks, callback_id=CALLBACK_ID, close_key="onboarding.modal.cancel",
                  submit_key="onboarding.modal.submit")


def verifying_view() -> dict[str, Any]:
    return _modal("onboarding.modal.title", [section(md("onboarding.verifying.text"))])


def _connection_fields(c: ConnectionSummary) -> dict[str, Any]:
    pairs = [
        ("onboarding.field.account_type", md(f"onboarding.path.{c.account_type}")),
        ("onboarding.field.marketplace", escape(c.marketplace_label)),
        ("onboarding.field.region", escape(c.region_label)),
        ("onboarding.field.expires", c.secret_expires_on.isoformat()),
    ]
    if c.store_name:
        pairs.append(("onboarding.field.store", escape(c.store_name)))
    if c.last_verified_at:
        pairs.append(("onboarding.field.verified", c.last_verified_at.strftime("%Y-%m-%d %H:%M UTC")))
    return fields((md(key), value) for key, value in pairs)


def _notes(notes: tuple[str, ...]) -> Blocks:
    if not notes:
        return []
    return [context(*(cut(escape(n), 2000) for n in notes[:10]))]


def outcome_view(outcome: SubmissionOutcome) -> dict[str, Any]:
    """The view that replaces "verifying" once the outcome is known."""
    if outcome.kind == "connected" and outcome.connection is not None:
        c = outcome.connection
        key = "onboarding.result.reconnected" if outcome.reconnected else "onboarding.result.connected"
        blocks: Blocks = [
            section(md(key, name=c.name)),
            _connection_fields(c),
        ]
        if outcome.announce_error:  # mrkdwn made by the flow with md()
            blocks.append(section(":warning: " + outcome.announce_error))
        else:
            blocks.append(section(md("onboarding.result.announced")))
        blocks += _notes(outcome.notes)
        return _modal("onboarding.modal.title_done", blocks)
    if outcome.kind == "confirm" and outcome.existing is not None and outcome.pending_id:
        e = outcome.existing
        blocks = [
            section(md("onboarding.confirm.text", name=e.name, region=e.region_label,
                        path=md(f"onboarding.path.{e.account_type}"))),
            _connection_fields(e),
            section(md("onboarding.confirm.ttl")),
            {
                "type": "actions",
                "block_id": "confirm_actions",
                "elements": [
                    button(t("onboarding.confirm.button"), CONFIRM_ACTION, outcome.pending_id, "primary"),
                    button(t("onboarding.confirm.cancel"), CANCEL_ACTION, outcome.pending_id),
                ],
            },
        ]
        blocks += _notes(outcome.notes)
        return _modal("onboarding.modal.title_confirm", blocks)
    if outcome.kind == "failed":
        prefill = outcome.prefill or Prefill()
        blocks = [
            section(md(outcome.failure_headline, cause=outcome.cause or "")),
            section(md("onboarding.result.next_step", step=outcome.next_step or "")),
            {
                "type": "actions",
                "block_id": "retry_actions",
                "elements": [button(t("onboarding.result.try_again"), RETRY_ACTION, "retry", "primary")],
            },
        ]
        return _modal("onboarding.modal.title_failed", blocks, private_metadata=prefill.to_json())
    if outcome.kind == "expired":
        return _modal("onboarding.modal.title", [section(md("onboarding.confirm.expired"))])
    if outcome.kind == "cancelled":
        return _modal("onboarding.modal.title", [section(md("onboarding.confirm.cancelled"))])
    # A refusal built by the flow with ``md`` (a Markup, naming the owner with a mention) is kept as it is.
    return _modal("onboarding.modal.title", [section(escape(outcome.cause) if outcome.cause
                                                     else md("general.unexpected_error"))])


def refused_view() -> dict[str, Any]:
    return _modal("onboarding.modal.title", [section(md("onboarding.refused"))])
