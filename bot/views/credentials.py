"""The private credential modal and every view that replaces it (verifying, result, confirm), as
Block Kit in the reader's language (every function takes the reader's ``Words``). Pure functions. No
secret is ever put into a view: not as initial_value, not in private_metadata, not in a button value.

Action ids of the inputs are a contract (tests and automation rely on them); each input's block_id
is the same as its action_id, so ``response_action: errors`` keys are the field names.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from bot.amazon.marketplaces import MARKETPLACES, REGION_NAMES
from bot.amazon.validators import FIELD_KEYS, INPUT_MAX_LENGTH
from bot.flows.onboarding.form import Prefill
from bot.flows.onboarding.submission import OutcomeKind, SubmissionOutcome
from bot.flows.summary import ConnectionSummary
from bot.i18n import LOCALES, Message
from bot.views.blocks import Markup, Words, button, context, cut, escape, fields, plain, section
from bot.views.notices import Blocks

CALLBACK_ID = "connect_credentials"
RESULT_CALLBACK_ID = "connect_result"
RETRY_ACTION = "retry_credentials"
CONFIRM_ACTION = "confirm_update"
CANCEL_ACTION = "cancel_update"

FIELD_ORDER = (*FIELD_KEYS, "secret_created_on")


def _modal(words: Words, title_key: str, blocks: Blocks, *, callback_id: str = RESULT_CALLBACK_ID,
           close_key: str = "onboarding.modal.close", submit_key: str | None = None,
           private_metadata: str = "") -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(words.text(title_key), 24),
        "close": plain(words.text(close_key), 24),
        "blocks": blocks,
        "private_metadata": private_metadata,
    }
    if submit_key:
        view["submit"] = plain(words.text(submit_key), 24)
    return view


def _text_input(words: Words, key: str, *, initial: str | None = None, multiline: bool = False,
                label: str | None = None, hint_key: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": key,
        "max_length": INPUT_MAX_LENGTH[key],
        "placeholder": plain(words.text(f"onboarding.modal.{key}.placeholder")),
    }
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial[: INPUT_MAX_LENGTH[key]]
    block: dict[str, Any] = {
        "type": "input",
        "block_id": key,
        "label": plain(label or words.text(f"onboarding.modal.{key}.label")),
        "element": element,
    }
    hint = words.text(hint_key or f"onboarding.modal.{key}.hint")
    if hint:
        block["hint"] = plain(hint)
    return block


def _account_options(words: Words) -> list[dict[str, Any]]:
    return [
        {"text": plain(words.text("onboarding.path.seller")), "value": "seller"},
        {"text": plain(words.text("onboarding.path.vendor")), "value": "vendor"},
    ]


def marketplace_option(words: Words, marketplace_id: str) -> dict[str, Any] | None:
    for m in MARKETPLACES:
        if m.marketplace_id == marketplace_id:
            return {"text": plain(words.marketplace(m.marketplace_id)[:75]), "value": m.marketplace_id}
    return None


def region_label(words: Words, code: str) -> str:
    """``Europe (EU)``: a region's name and code, in the reader's language."""
    return words.text("onboarding.field.region_value", name=words.region(code), code=code)


def marketplace_option_groups(words: Words) -> list[dict[str, Any]]:
    groups = []
    for region in REGION_NAMES:
        options = [marketplace_option(words, m.marketplace_id) for m in MARKETPLACES if m.region == region]
        groups.append({"label": plain(region_label(words, region)), "options": [o for o in options if o]})
    return groups


def credentials_modal(words: Words, prefill: Prefill, today: date) -> dict[str, Any]:
    """The form. Only non-secret fields are ever prefilled."""
    account_options = _account_options(words)
    account_element: dict[str, Any] = {"type": "radio_buttons", "action_id": "account_type",
                                       "options": account_options}
    if prefill.account_type in ("seller", "vendor"):
        account_element["initial_option"] = next(o for o in account_options if o["value"] == prefill.account_type)
    select: dict[str, Any] = {
        "type": "static_select",
        "action_id": "marketplace",
        "placeholder": plain(words.text("onboarding.modal.marketplace.placeholder")),
        "option_groups": marketplace_option_groups(words),
    }
    chosen = marketplace_option(words, prefill.marketplace_id or "")
    if chosen:
        select["initial_option"] = chosen
    try:
        created = date.fromisoformat(prefill.secret_created_on) if prefill.secret_created_on else today
    except ValueError:
        created = today
    spid_label = words.text("onboarding.modal.vendor_code.label" if prefill.account_type == "vendor"
                            else "onboarding.modal.seller_id.label")
    blocks: Blocks = [
        section(words.md("onboarding.modal.intro")),
        {"type": "input", "block_id": "account_type", "label": plain(words.text("onboarding.modal.account_type.label")),
         "element": account_element},
        _text_input(words, "selling_partner_id", initial=prefill.selling_partner_id, label=spid_label),
        _text_input(words, "client_id", initial=prefill.client_id),
        _text_input(words, "client_secret"),
        _text_input(words, "refresh_token", multiline=True),
        {"type": "input", "block_id": "marketplace", "label": plain(words.text("onboarding.modal.marketplace.label")),
         "hint": plain(words.text("onboarding.modal.marketplace.hint")), "element": select},
        _text_input(words, "connection_name", initial=prefill.connection_name),
        {
            "type": "input",
            "block_id": "secret_created_on",
            "optional": True,
            "label": plain(words.text("onboarding.modal.secret_created_on.label")),
            "hint": plain(words.text("onboarding.modal.secret_created_on.hint")),
            "element": {"type": "datepicker", "action_id": "secret_created_on", "initial_date": created.isoformat(),
                        "placeholder": plain(words.text("onboarding.modal.secret_created_on.placeholder"))},
        },
    ]
    return _modal(words, "onboarding.modal.title", blocks, callback_id=CALLBACK_ID,
                  close_key="onboarding.modal.cancel", submit_key="onboarding.modal.submit",
                  private_metadata=json.dumps({"locale": words.locale}))


def form_locale(view: Any) -> str | None:
    """The language the credential form was written in (its ``private_metadata``): the submission is
    answered in it, with no read before the ack. None when the view does not say (an older form) or says
    something that is no catalog (the metadata comes back from Slack: read as hostile)."""
    metadata = view.get("private_metadata") if isinstance(view, dict) else None
    if not isinstance(metadata, str) or not metadata.startswith("{") or len(metadata) > 3000:
        return None
    try:
        data = json.loads(metadata)
    except (ValueError, RecursionError):
        return None
    locale = data.get("locale") if isinstance(data, dict) else None
    return locale if isinstance(locale, str) and locale in LOCALES else None


def field_errors(words: Words, errors: dict[str, Message]) -> dict[str, str]:
    """``response_action: errors`` values: each field's error as plain text in the reader's language, keyed
    by block id (the input blocks' ids are the field names). An error for no shown field is never dropped:
    it is shown on the first field."""
    def said(error: Message) -> str:
        return words.text(error)[:1900]

    shown = {k: said(v) for k, v in errors.items() if k in FIELD_ORDER}
    for key, error in errors.items():
        if key not in FIELD_ORDER:
            shown.setdefault("account_type", said(error))
    return shown


def verifying_view(words: Words) -> dict[str, Any]:
    return _modal(words, "onboarding.modal.title", [section(words.md("onboarding.verifying.text"))])


def _connection_fields(words: Words, c: ConnectionSummary) -> dict[str, Any]:
    pairs: list[tuple[str, str]] = [
        ("onboarding.field.account_type", words.md(f"onboarding.path.{c.account_type}")),
        ("onboarding.field.marketplace", escape(words.marketplace(c.marketplace_id))),
        ("onboarding.field.region", escape(region_label(words, c.region))),
        ("onboarding.field.expires", escape(words.date(c.secret_expires_on))),
    ]
    if c.store_name:
        pairs.append(("onboarding.field.store", escape(c.store_name)))
    if c.last_verified_at:
        pairs.append(("onboarding.field.verified", escape(words.datetime(c.last_verified_at))))
    return fields((words.md(key), value) for key, value in pairs)


def _say(words: Words, message: Message) -> Markup:
    """A meaning as mrkdwn."""
    return words.render(message)


def _notes(words: Words, notes: tuple[Message, ...]) -> Blocks:
    if not notes:
        return []
    return [context(*(cut(_say(words, n), 2000) for n in notes[:10]))]


def outcome_view(words: Words, outcome: SubmissionOutcome) -> dict[str, Any]:
    """The view that replaces "verifying" once the outcome is known."""
    if outcome.kind == OutcomeKind.CONNECTED and outcome.connection is not None:
        c = outcome.connection
        key = "onboarding.result.reconnected" if outcome.reconnected else "onboarding.result.connected"
        blocks: Blocks = [
            section(words.md(key, name=c.name)),
            _connection_fields(words, c),
        ]
        if outcome.announce_error is not None:
            blocks.append(section(":warning: " + _say(words, outcome.announce_error)))
        else:
            blocks.append(section(words.md("onboarding.result.announced")))
        blocks += _notes(words, outcome.notes)
        return _modal(words, "onboarding.modal.title_done", blocks)
    if outcome.kind == OutcomeKind.CONFIRM and outcome.existing is not None and outcome.pending_id:
        e = outcome.existing
        blocks = [
            section(words.md("onboarding.confirm.text", name=e.name, region=region_label(words, e.region),
                             path=words.md(f"onboarding.path.{e.account_type}"))),
            _connection_fields(words, e),
            section(words.md("onboarding.confirm.ttl")),
            {
                "type": "actions",
                "block_id": "confirm_actions",
                "elements": [
                    button(words.text("onboarding.confirm.button"), CONFIRM_ACTION, outcome.pending_id, "primary"),
                    button(words.text("onboarding.confirm.cancel"), CANCEL_ACTION, outcome.pending_id),
                ],
            },
        ]
        blocks += _notes(words, outcome.notes)
        return _modal(words, "onboarding.modal.title_confirm", blocks)
    if outcome.kind == OutcomeKind.FAILED:
        prefill = outcome.prefill or Prefill()
        blocks = [
            section(words.md(outcome.failure_headline, cause=outcome.cause)),
            section(words.md("onboarding.result.next_step", step=outcome.next_step)),
            {
                "type": "actions",
                "block_id": "retry_actions",
                "elements": [button(words.text("onboarding.result.try_again"), RETRY_ACTION, "retry", "primary")],
            },
        ]
        return _modal(words, "onboarding.modal.title_failed", blocks, private_metadata=prefill.to_json())
    if outcome.kind == OutcomeKind.EXPIRED:
        return _modal(words, "onboarding.modal.title", [section(words.md("onboarding.confirm.expired"))])
    if outcome.kind == OutcomeKind.CANCELLED:
        return _modal(words, "onboarding.modal.title", [section(words.md("onboarding.confirm.cancelled"))])
    # A refusal or our own error: what the flow said, else that something went wrong.
    said = _say(words, outcome.cause) if outcome.cause is not None else words.md("general.unexpected_error")
    return _modal(words, "onboarding.modal.title", [section(said)])


def refused_view(words: Words) -> dict[str, Any]:
    return _modal(words, "onboarding.modal.title", [section(words.md("onboarding.refused"))])
