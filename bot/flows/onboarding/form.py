"""The credential form: the non-secret fields to fill a new form in again (``Prefill``) and the
checked values (``FormCheck``, from ``check_form``), before any network call."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from bot.amazon.marketplaces import marketplace_by_id
from bot.amazon.validators import FIELD_KEYS, validate_credentials
from bot.i18n import Message
from bot.redaction import mask
from storage.models import SECRET_LIFETIME_DAYS

FORM_FIELDS = FIELD_KEYS
SECRET_FIELDS = ("client_secret", "refresh_token")
DATE_FIELD = "secret_created_on"


@dataclass(frozen=True)
class Prefill:
    """The non-secret fields of the credential form, to fill a new form in again."""

    account_type: str | None = None
    selling_partner_id: str | None = None
    client_id: str | None = None
    marketplace_id: str | None = None
    connection_name: str | None = None
    secret_created_on: str | None = None  # ISO date

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v})

    @classmethod
    def from_json(cls, text: str | None) -> Prefill:
        try:
            data = json.loads(text or "{}")
        except (ValueError, RecursionError):  # private_metadata comes back from Slack: typed by anyone
            return cls()
        if not isinstance(data, dict):
            return cls()
        names = set(cls.__dataclass_fields__)
        return cls(**{k: str(v)[:300] for k, v in data.items() if k in names and isinstance(v, str)})


@dataclass(repr=False)
class FormCheck:
    """The checked form: cleaned values (secrets included, memory only), and per field what is wrong
    (``errors``) or worth knowing (``notes``), as meanings."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)
    notes: dict[str, Message] = field(default_factory=dict)
    secret_created_on: date | None = None

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def region(self) -> str | None:
        m = marketplace_by_id(self.values.get("marketplace", ""))
        return m.region if m else None

    def prefill(self, raw: Mapping[str, object] | None = None) -> Prefill:
        def pick(key: str) -> str | None:
            if key in self.values:
                return self.values[key]
            value = (raw or {}).get(key)
            return str(value).strip()[:200] if isinstance(value, str) and key not in SECRET_FIELDS else None

        return Prefill(
            account_type=pick("account_type"),
            selling_partner_id=pick("selling_partner_id"),
            client_id=pick("client_id"),
            marketplace_id=pick("marketplace"),
            connection_name=pick("connection_name"),
            secret_created_on=self.secret_created_on.isoformat() if self.secret_created_on else None,
        )

    def __repr__(self) -> str:
        shown = {k: (mask(v) if k in SECRET_FIELDS else v) for k, v in self.values.items()}
        return f"FormCheck(values={shown!r}, errors={sorted(self.errors)!r})"

    __str__ = __repr__


def check_form(raw: Mapping[str, object], today: date) -> FormCheck:
    """Trim and check every field (Amazon's format rules) before any network call. Never raises."""
    result = validate_credentials({k: raw.get(k) for k in FORM_FIELDS})
    check = FormCheck(values=dict(result.values), errors=dict(result.errors), notes=dict(result.notes))
    created = raw.get(DATE_FIELD)
    if created in (None, ""):
        check.secret_created_on = today
    else:
        try:
            check.secret_created_on = date.fromisoformat(str(created))
        except ValueError:
            check.errors[DATE_FIELD] = Message("onboarding.form.date_invalid")
        else:
            if check.secret_created_on > today:
                check.errors[DATE_FIELD] = Message("onboarding.form.date_future")
            elif check.secret_created_on + timedelta(days=SECRET_LIFETIME_DAYS) <= today:
                check.errors[DATE_FIELD] = Message("onboarding.form.date_expired", days=SECRET_LIFETIME_DAYS)
    return check
