"""Format checks for the credentials a seller pastes, run before any network call.

Pure functions: no I/O, and they never raise, whatever they are given. Each failure is one
sentence naming the field; the usual mix-ups (a value pasted into the wrong field, an access token
instead of a refresh token, the App ID instead of the LWA client ID, a Sandbox app) are recognised
and named. No sentence ever contains the pasted value.

Shapes (tolerant of length, strict on prefixes):
- LWA client ID: ``amzn1.application-oa2-client.`` + hex (32 today)
- LWA client secret: ``amzn1.oa2-cs.v1.`` + hex (64 today); a bare 64-hex legacy secret is accepted
  with a note
- refresh token: ``Atzr|`` + a long token (several hundred characters today)
- Seller ID (merchant token): ``A`` + upper-case letters and digits, 8-20 characters in all
- vendor code: letters and digits
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.amazon.marketplaces import MARKETPLACES, Marketplace, marketplace_by_country, marketplace_by_id

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"

FIELD_KEYS = (
    "account_type",
    "selling_partner_id",
    "client_id",
    "client_secret",
    "refresh_token",
    "marketplace",
    "connection_name",
)

CLIENT_ID_PREFIX = "amzn1.application-oa2-client."
CLIENT_SECRET_PREFIX = "amzn1.oa2-cs.v1."
REFRESH_TOKEN_PREFIX = "Atzr|"
ACCESS_TOKEN_PREFIX = "Atza|"

_HEX_TAIL = re.compile(r"[0-9A-Fa-f]{16,128}")
_LEGACY_SECRET = re.compile(r"[0-9A-Fa-f]{64}")
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-+/=|.%~]{40,4096}")
_SELLER_ID = re.compile(r"A[A-Z0-9]{7,19}")
_VENDOR_CODE = re.compile(r"[A-Za-z0-9]{2,20}")

LABELS: dict[str, str] = {
    "account_type": "Account type",
    "seller_id": "Seller ID",
    "vendor_code": "Vendor code",
    "client_id": "LWA client ID",
    "client_secret": "LWA client secret",
    "refresh_token": "Refresh token",
    "marketplace": "Marketplace",
    "connection_name": "Connection name",
}

HOW_TO: dict[str, str] = {
    "client_id": "The LWA client ID is the Client identifier under LWA credentials (View) in Developer "
    "Central; it starts with amzn1.application-oa2-client.",
    "client_secret": "The LWA client secret is the Client secret under LWA credentials (View) in "
    "Developer Central; it starts with amzn1.oa2-cs.v1.",
    "refresh_token": "The refresh token appears when you authorize the app (Edit App, then Authorize); "
    "it starts with Atzr|.",
    "seller_id": "The Seller ID (merchant token) is in Seller Central under Settings, Account Info, "
    "Business Information, Your Merchant Token; it starts with a capital A.",
    "vendor_code": "The vendor code is in Vendor Central under Settings, Contacts; it is letters and "
    "digits, for example ABC12.",
    "marketplace": "Use a country code such as US, UK, DE or JP, or a marketplace ID such as ATVPDKIKX0DER.",
}

# What a pasted value looks like: (description, field it belongs in or None).
_KINDS: dict[str, tuple[str, str | None]] = {
    "client_id": ("an LWA client ID (amzn1.application-oa2-client.…)", "client_id"),
    "client_secret": ("the LWA client secret (amzn1.oa2-cs.v1.…)", "client_secret"),
    "legacy_secret": ("what looks like an LWA client secret", "client_secret"),
    "refresh_token": ("a refresh token (Atzr|…)", "refresh_token"),
    "access_token": (
        "an access token (Atza|…), which expires within an hour and is not what we need",
        None,
    ),
    "app_id": ("the App ID (amzn1.sp.solution.…), which is not a login credential", None),
    "application_id": (
        "the Application ID shown on the app list (amzn1.sellerapps.app.…), which is not the LWA client ID",
        None,
    ),
    "security_profile": ("a Login with Amazon security profile ID (amzn1.application.…)", None),
    "marketplace_id": ("a marketplace ID", "marketplace"),
    "url": ("a web address", None),
    "email": ("an email address", None),
}


@dataclass
class FieldResult:
    value: str | None
    error: str | None
    note: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ValidationResult:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def clean(value: object) -> str:
    """Trim leading and trailing whitespace and zero-width characters. Never raises."""
    if value is None:
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    try:
        s = value if isinstance(value, str) else str(value)
    except Exception:  # noqa: BLE001 - arbitrary objects may have a broken __str__
        return ""
    previous = None
    while previous != s:
        previous = s
        s = s.strip().strip(ZERO_WIDTH)
    return s


def detect_kind(value: str) -> str | None:
    """Name what ``value`` looks like (a key of ``_KINDS``), or None."""
    low = value.lower()
    if low.startswith(CLIENT_ID_PREFIX):
        return "client_id"
    if low.startswith(CLIENT_SECRET_PREFIX):
        return "client_secret"
    if value.startswith(REFRESH_TOKEN_PREFIX) or low.startswith("atzr|"):
        return "refresh_token"
    if value.startswith(ACCESS_TOKEN_PREFIX) or low.startswith("atza|"):
        return "access_token"
    if low.startswith("amzn1.sp.solution."):
        return "app_id"
    if low.startswith("amzn1.sellerapps.app."):
        return "application_id"
    if low.startswith("amzn1.application."):
        return "security_profile"
    if _LEGACY_SECRET.fullmatch(value):
        return "legacy_secret"
    if marketplace_by_id(value) is not None:
        return "marketplace_id"
    if low.startswith(("http://", "https://", "www.")):
        return "url"
    if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return "email"
    return None


def _is_sandbox(value: str) -> bool:
    return "sandbox" in value.lower()


def _sandbox_error(key: str) -> str:
    return (
        f"The {LABELS[key]} looks like it comes from a Sandbox app or endpoint, and Sandbox apps only "
        "return test data. Use the credentials of a Production app from Developer Central."
    )


def _mixup_error(key: str, kind: str) -> str:
    desc, target = _KINDS[kind]
    where = f"; that belongs in the {LABELS[target]} field" if target and target != key else ""
    return f"The {LABELS[key]} field holds {desc}{where}. {HOW_TO.get(key, '')}".rstrip()


def _common_problems(key: str, s: str, *, expected_kinds: tuple[str, ...]) -> str | None:
    """Empty value, Sandbox, inner blanks and wrong-field pastes: the errors every field shares."""
    if not s:
        return f"The {LABELS[key]} is empty. {HOW_TO.get(key, '')}".rstrip()
    if _is_sandbox(s):
        return _sandbox_error(key)
    kind = detect_kind(s)
    if kind is not None and kind not in expected_kinds:
        return _mixup_error(key, kind)
    if any(ch.isspace() for ch in s):
        return (
            f"The {LABELS[key]} has a space or line break inside it. Copy it again in one piece, straight from Amazon."
        )
    if any(ch in ZERO_WIDTH for ch in s):
        return (
            f"The {LABELS[key]} has an invisible character inside it (chat apps and documents add "
            "them). Copy it again straight from Amazon."
        )
    return None


def check_client_id(v: object) -> FieldResult:
    try:
        s = clean(v)
        problem = _common_problems("client_id", s, expected_kinds=("client_id",))
        if problem:
            return FieldResult(None, problem)
        if not s.lower().startswith(CLIENT_ID_PREFIX):
            return FieldResult(
                None,
                "The LWA client ID should start with amzn1.application-oa2-client. " + HOW_TO["client_id"],
            )
        tail = s[len(CLIENT_ID_PREFIX) :]
        if not _HEX_TAIL.fullmatch(tail):
            return FieldResult(
                None,
                "The LWA client ID has the right beginning but the rest should be digits and the "
                "letters a-f, 32 of them; it looks cut short or altered. Copy it again.",
            )
        return FieldResult(CLIENT_ID_PREFIX + tail, None)
    except Exception:  # noqa: BLE001 - validators never raise
        return FieldResult(None, "The LWA client ID could not be read. " + HOW_TO["client_id"])


def check_client_secret(v: object) -> FieldResult:
    try:
        s = clean(v)
        problem = _common_problems("client_secret", s, expected_kinds=("client_secret", "legacy_secret"))
        if problem:
            return FieldResult(None, problem)
        if _LEGACY_SECRET.fullmatch(s):
            return FieldResult(
                s,
                None,
                "This is an older client secret without the amzn1.oa2-cs.v1. prefix; it is accepted, "
                "and the next rotation will give you a prefixed one.",
            )
        if not s.lower().startswith(CLIENT_SECRET_PREFIX):
            return FieldResult(
                None,
                "The LWA client secret should start with amzn1.oa2-cs.v1. " + HOW_TO["client_secret"],
            )
        tail = s[len(CLIENT_SECRET_PREFIX) :]
        if not _HEX_TAIL.fullmatch(tail):
            return FieldResult(
                None,
                "The LWA client secret has the right beginning but the rest should be digits and the "
                "letters a-f, 64 of them; it looks cut short or altered. Copy it again.",
            )
        return FieldResult(CLIENT_SECRET_PREFIX + tail, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, "The LWA client secret could not be read. " + HOW_TO["client_secret"])


def check_refresh_token(v: object) -> FieldResult:
    try:
        s = clean(v)
        problem = _common_problems("refresh_token", s, expected_kinds=("refresh_token",))
        if problem:
            return FieldResult(None, problem)
        if not s.startswith(REFRESH_TOKEN_PREFIX):
            if s.lower().startswith("atzr|"):
                return FieldResult(
                    None,
                    "The Refresh token must start with Atzr| exactly as Amazon shows it (capital A, "
                    "small tzr). Copy it again.",
                )
            return FieldResult(None, "The Refresh token should start with Atzr|. " + HOW_TO["refresh_token"])
        tail = s[len(REFRESH_TOKEN_PREFIX) :]
        if not _TOKEN_TAIL.fullmatch(tail):
            if len(tail) < 40:
                return FieldResult(
                    None,
                    "The Refresh token is too short: real ones are several hundred characters. "
                    "Copy the whole token again.",
                )
            return FieldResult(
                None,
                "The Refresh token has characters Amazon does not use in tokens. Copy it again "
                "straight from the authorization page.",
            )
        return FieldResult(s, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, "The Refresh token could not be read. " + HOW_TO["refresh_token"])


def _marketplace_mixup(key: str, s: str) -> FieldResult | None:
    m = marketplace_by_id(s)
    if m is None:
        return None
    return FieldResult(
        None,
        f"The {LABELS[key]} field holds the marketplace ID of {m.name} ({m.country_code}); choose the "
        f"marketplace in the Marketplace field. {HOW_TO[key]}",
    )


def check_seller_id(v: object) -> FieldResult:
    try:
        s = clean(v)
        mix = _marketplace_mixup("seller_id", s)
        if mix:
            return mix
        problem = _common_problems("seller_id", s, expected_kinds=())
        if problem:
            return FieldResult(None, problem)
        if _SELLER_ID.fullmatch(s):
            return FieldResult(s, None)
        upper = s.upper()
        if _SELLER_ID.fullmatch(upper):
            mix = _marketplace_mixup("seller_id", upper)
            if mix:
                return mix
            return FieldResult(upper, None, "The Seller ID was changed to capital letters, as Amazon writes it.")
        if not s.upper().startswith("A"):
            return FieldResult(None, "The Seller ID should start with a capital A. " + HOW_TO["seller_id"])
        if not re.fullmatch(r"[A-Za-z0-9]+", s):
            return FieldResult(None, "The Seller ID is capital letters and digits only. " + HOW_TO["seller_id"])
        return FieldResult(
            None,
            "The Seller ID should be 8 to 20 capital letters and digits; this one is "
            f"{'too short' if len(s) < 8 else 'too long'}. " + HOW_TO["seller_id"],
        )
    except Exception:  # noqa: BLE001
        return FieldResult(None, "The Seller ID could not be read. " + HOW_TO["seller_id"])


def check_vendor_code(v: object) -> FieldResult:
    try:
        s = clean(v)
        mix = _marketplace_mixup("vendor_code", s)
        if mix:
            return mix
        problem = _common_problems("vendor_code", s, expected_kinds=())
        if problem:
            return FieldResult(None, problem)
        if not _VENDOR_CODE.fullmatch(s):
            return FieldResult(
                None,
                "The Vendor code is letters and digits only, 2 to 20 of them. " + HOW_TO["vendor_code"],
            )
        if s != s.upper():
            return FieldResult(s.upper(), None, "The Vendor code was changed to capital letters.")
        return FieldResult(s, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, "The Vendor code could not be read. " + HOW_TO["vendor_code"])


def check_account_type(v: object) -> FieldResult:
    s = clean(v).lower()
    if s in ("seller", "vendor"):
        return FieldResult(s, None)
    return FieldResult(None, "Choose whether this is a Seller account or a Vendor account.")


def check_selling_partner_id(v: object, account_type: object) -> FieldResult:
    kind = clean(account_type).lower()
    if kind == "seller":
        return check_seller_id(v)
    if kind == "vendor":
        return check_vendor_code(v)
    return FieldResult(None, "Choose Seller or Vendor first: the ID to paste depends on it.")


def _find_marketplace(s: str) -> Marketplace | None:
    m = marketplace_by_id(s) or marketplace_by_country(s)
    if m is not None:
        return m
    low = s.lower()
    for candidate in MARKETPLACES:
        if candidate.name.lower() == low:
            return candidate
    return None


def check_marketplace(v: object) -> FieldResult:
    try:
        s = clean(v)
        if not s:
            return FieldResult(None, "The Marketplace is empty. " + HOW_TO["marketplace"])
        m = _find_marketplace(s)
        if m is not None:
            return FieldResult(m.marketplace_id, None)
        if _is_sandbox(s):
            return FieldResult(None, _sandbox_error("marketplace"))
        kind = detect_kind(s)
        if kind is not None:
            return FieldResult(None, _mixup_error("marketplace", kind))
        return FieldResult(None, "The Marketplace is not one Amazon lists for SP-API. " + HOW_TO["marketplace"])
    except Exception:  # noqa: BLE001
        return FieldResult(None, "The Marketplace could not be read. " + HOW_TO["marketplace"])


def check_connection_name(v: object) -> FieldResult:
    try:
        s = clean(v)
        if not s:
            return FieldResult(None, "The Connection name is empty. Give it a name such as US Main Store.")
        if len(s) > 80:
            return FieldResult(None, "The Connection name is longer than 80 characters. Shorten it.")
        if not s.isprintable():
            return FieldResult(None, "The Connection name has a line break or control character. Use one line of text.")
        kind = detect_kind(s)
        if kind in ("client_secret", "legacy_secret", "refresh_token", "access_token", "client_id"):
            return FieldResult(
                None,
                f"The Connection name holds {_KINDS[kind][0]}. Never put credentials in the name; use "
                "something like US Main Store.",
            )
        return FieldResult(s, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, "The Connection name could not be read. Use something like US Main Store.")


def validate_credentials(fields: Mapping[str, object]) -> ValidationResult:
    """Check every field of the connect form. Keys: see ``FIELD_KEYS``. Never raises."""
    result = ValidationResult()

    def get(key: str) -> object:
        try:
            return fields.get(key)
        except Exception:  # noqa: BLE001 - not a mapping, or a hostile one
            return None

    checks: dict[str, FieldResult] = {
        "account_type": check_account_type(get("account_type")),
        "client_id": check_client_id(get("client_id")),
        "client_secret": check_client_secret(get("client_secret")),
        "refresh_token": check_refresh_token(get("refresh_token")),
        "marketplace": check_marketplace(get("marketplace")),
        "connection_name": check_connection_name(get("connection_name")),
    }
    account_type = checks["account_type"].value
    if account_type is not None:
        checks["selling_partner_id"] = check_selling_partner_id(get("selling_partner_id"), account_type)
    for key in FIELD_KEYS:
        fr = checks.get(key)
        if fr is None:
            continue
        if fr.error is not None:
            result.errors[key] = fr.error
        elif fr.value is not None:
            result.values[key] = fr.value
        if fr.note:
            result.notes[key] = fr.note
    return result
