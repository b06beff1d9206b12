"""Format checks for the credentials a seller pastes, run before any network call.

Pure functions: no I/O, and they never raise, whatever they are given. Each failure is one meaning
naming the field (a ``bot.i18n.Message``: a catalog key, the field's label and how-to as nested
messages; the views render it in the reader's language); the usual mix-ups (a value pasted into the
wrong field, an access token instead of a refresh token, the App ID instead of the LWA client ID, a
Sandbox app) are recognised and named. No message ever contains the pasted value.

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
from bot.i18n import Marketplace as MarketplaceRef
from bot.i18n import Message, Param

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_SPACE = re.compile(r"\s")  # str.isspace()'s characters: re's \s on str patterns is the same Unicode test

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
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_VENDOR_CODE = re.compile(r"[A-Za-z0-9]{2,20}")
CONNECTION_NAME_MAX = 80

# The one table of input limits: the ``max_length`` of each text field in every modal that asks for it (the
# connect form, the rotate and re-authorize modals). Slack refuses longer input before the bot sees it, so
# each limit is at least the longest real value, with room for the blanks around a paste that ``clean`` trims.
INPUT_MAX_LENGTH: dict[str, int] = {
    "selling_partner_id": 40,  # a Seller ID or a vendor code has at most 20 characters (above)
    "client_id": 120,  # the prefix and 32 hex digits today: 61 characters
    # the prefix and 64 hex digits today (80 characters); the checks accept at most 128 (144 in all)
    "client_secret": 200,
    # Amazon: "Refresh tokens have a maximum size of 2048 bytes" (Login with Amazon, Refresh Tokens,
    # https://developer.amazon.com/docs/login-with-amazon/refresh-token.html); Slack allows 3000.
    "refresh_token": 2048,
    "connection_name": CONNECTION_NAME_MAX,  # check_connection_name refuses longer names
}

# The words live in the message catalog (bot/i18n/en.py, keys "amazon.*"); these name which exist.
LABELLED = ("account_type", "seller_id", "vendor_code", "client_id", "client_secret", "refresh_token",
            "marketplace", "connection_name")
HOW_TO_FIELDS = ("client_id", "client_secret", "refresh_token", "seller_id", "vendor_code", "marketplace")

# What a pasted value looks like: kind -> the field it belongs in, or None. Described by "amazon.kind.<kind>".
_KINDS: dict[str, str | None] = {
    "client_id": "client_id",
    "client_secret": "client_secret",
    "legacy_secret": "client_secret",
    "refresh_token": "refresh_token",
    "access_token": None,
    "app_id": None,
    "application_id": None,
    "security_profile": None,
    "marketplace_id": "marketplace",
    "url": None,
    "email": None,
}


def label(key: str) -> Message:
    """A field's label (``amazon.field.<key>.label``), for a sentence or a console line."""
    return Message(f"amazon.field.{key}.label")


def how_to(key: str) -> Message | None:
    """Where to find a field's value (``amazon.field.<key>.how_to``), for the fields that have one."""
    return Message(f"amazon.field.{key}.how_to") if key in HOW_TO_FIELDS else None


def _say(key: str, field_key: str | None = None, **values: Param) -> Message:
    """The meaning ``key``; ``field_key`` fills its {how_to} (a nested message)."""
    if field_key is not None:
        values = {"how_to": how_to(field_key), **values}
    return Message(key, **values)


def _field_error(key: str, field_key: str, **values: Param) -> Message:
    """The meaning ``key`` about the field ``field_key``: {label} and {how_to} filled (nested messages)."""
    return Message(key, label=label(field_key), how_to=how_to(field_key), **values)


@dataclass
class FieldResult:
    value: str | None
    error: Message | None
    note: Message | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ValidationResult:
    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, Message] = field(default_factory=dict)
    notes: dict[str, Message] = field(default_factory=dict)

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
    if _EMAIL.fullmatch(value):
        return "email"
    return None


def _is_sandbox(value: str) -> bool:
    return "sandbox" in value.lower()


def _sandbox_error(key: str) -> Message:
    return Message("amazon.error.sandbox", label=label(key))


def _mixup_error(key: str, kind: str) -> Message:
    target = _KINDS[kind]
    what = Message(f"amazon.kind.{kind}")
    if target and target != key:
        return _field_error("amazon.error.mixup_belongs", key, what=what, target=label(target))
    return _field_error("amazon.error.mixup", key, what=what)


def _common_problems(key: str, s: str, *, expected_kinds: tuple[str, ...]) -> Message | None:
    """Empty value, Sandbox, inner blanks and wrong-field pastes: the errors every field shares."""
    if not s:
        return _field_error("amazon.error.empty", key)
    if _is_sandbox(s):
        return _sandbox_error(key)
    kind = detect_kind(s)
    if kind is not None and kind not in expected_kinds:
        return _mixup_error(key, kind)
    if _SPACE.search(s):
        return Message("amazon.error.inner_space", label=label(key))
    if any(ch in s for ch in ZERO_WIDTH):  # five substring scans in C, not a Python step per character
        return Message("amazon.error.invisible_char", label=label(key))
    return None


def check_client_id(v: object) -> FieldResult:
    try:
        s = clean(v)
        problem = _common_problems("client_id", s, expected_kinds=("client_id",))
        if problem:
            return FieldResult(None, problem)
        if not s.lower().startswith(CLIENT_ID_PREFIX):
            return FieldResult(None, _say("amazon.error.client_id.prefix", "client_id"))
        tail = s[len(CLIENT_ID_PREFIX) :]
        if not _HEX_TAIL.fullmatch(tail):
            return FieldResult(None, _say("amazon.error.client_id.tail"))
        return FieldResult(CLIENT_ID_PREFIX + tail, None)
    except Exception:  # noqa: BLE001 - validators never raise
        return FieldResult(None, _say("amazon.error.client_id.unreadable", "client_id"))


def check_client_secret(v: object) -> FieldResult:
    try:
        s = clean(v)
        problem = _common_problems("client_secret", s, expected_kinds=("client_secret", "legacy_secret"))
        if problem:
            return FieldResult(None, problem)
        if _LEGACY_SECRET.fullmatch(s):
            return FieldResult(s, None, _say("amazon.note.client_secret.legacy"))
        if not s.lower().startswith(CLIENT_SECRET_PREFIX):
            return FieldResult(None, _say("amazon.error.client_secret.prefix", "client_secret"))
        tail = s[len(CLIENT_SECRET_PREFIX) :]
        if not _HEX_TAIL.fullmatch(tail):
            return FieldResult(None, _say("amazon.error.client_secret.tail"))
        return FieldResult(CLIENT_SECRET_PREFIX + tail, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, _say("amazon.error.client_secret.unreadable", "client_secret"))


def check_refresh_token(v: object) -> FieldResult:
    try:
        s = clean(v)
        problem = _common_problems("refresh_token", s, expected_kinds=("refresh_token",))
        if problem:
            return FieldResult(None, problem)
        if not s.startswith(REFRESH_TOKEN_PREFIX):
            if s.lower().startswith("atzr|"):
                return FieldResult(None, _say("amazon.error.refresh_token.case"))
            return FieldResult(None, _say("amazon.error.refresh_token.prefix", "refresh_token"))
        tail = s[len(REFRESH_TOKEN_PREFIX) :]
        if not _TOKEN_TAIL.fullmatch(tail):
            if len(tail) < 40:
                return FieldResult(None, _say("amazon.error.refresh_token.too_short"))
            return FieldResult(None, _say("amazon.error.refresh_token.characters"))
        return FieldResult(s, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, _say("amazon.error.refresh_token.unreadable", "refresh_token"))


def _marketplace_mixup(key: str, s: str) -> FieldResult | None:
    m = marketplace_by_id(s)
    if m is None:
        return None
    return FieldResult(None, _field_error("amazon.error.marketplace_id_pasted", key,
                                          marketplace=MarketplaceRef(m.marketplace_id)))


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
            return FieldResult(upper, None, _say("amazon.note.seller_id.uppercased"))
        if not s.upper().startswith("A"):
            return FieldResult(None, _say("amazon.error.seller_id.start", "seller_id"))
        if not _ALPHANUMERIC.fullmatch(s):
            return FieldResult(None, _say("amazon.error.seller_id.characters", "seller_id"))
        key = "amazon.error.seller_id.too_short" if len(s) < 8 else "amazon.error.seller_id.too_long"
        return FieldResult(None, _say(key, "seller_id"))
    except Exception:  # noqa: BLE001
        return FieldResult(None, _say("amazon.error.seller_id.unreadable", "seller_id"))


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
            return FieldResult(None, _say("amazon.error.vendor_code.characters", "vendor_code"))
        if s != s.upper():
            return FieldResult(s.upper(), None, _say("amazon.note.vendor_code.uppercased"))
        return FieldResult(s, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, _say("amazon.error.vendor_code.unreadable", "vendor_code"))


def check_account_type(v: object) -> FieldResult:
    s = clean(v).lower()
    if s in ("seller", "vendor"):
        return FieldResult(s, None)
    return FieldResult(None, _say("amazon.error.account_type.choose"))


def check_selling_partner_id(v: object, account_type: object) -> FieldResult:
    kind = clean(account_type).lower()
    if kind == "seller":
        return check_seller_id(v)
    if kind == "vendor":
        return check_vendor_code(v)
    return FieldResult(None, _say("amazon.error.selling_partner_id.account_type_first"))


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
            return FieldResult(None, _say("amazon.error.marketplace.empty", "marketplace"))
        m = _find_marketplace(s)
        if m is not None:
            return FieldResult(m.marketplace_id, None)
        if _is_sandbox(s):
            return FieldResult(None, _sandbox_error("marketplace"))
        kind = detect_kind(s)
        if kind is not None:
            return FieldResult(None, _mixup_error("marketplace", kind))
        return FieldResult(None, _say("amazon.error.marketplace.unknown", "marketplace"))
    except Exception:  # noqa: BLE001
        return FieldResult(None, _say("amazon.error.marketplace.unreadable", "marketplace"))


def check_connection_name(v: object) -> FieldResult:
    try:
        s = clean(v)
        if not s:
            return FieldResult(None, _say("amazon.error.connection_name.empty"))
        if len(s) > CONNECTION_NAME_MAX:
            return FieldResult(None, _say("amazon.error.connection_name.too_long"))
        if not s.isprintable():
            return FieldResult(None, _say("amazon.error.connection_name.control"))
        kind = detect_kind(s)
        if kind in ("client_secret", "legacy_secret", "refresh_token", "access_token", "client_id"):
            return FieldResult(None, _say("amazon.error.connection_name.credential",
                                                 what=Message(f"amazon.kind.{kind}")))
        return FieldResult(s, None)
    except Exception:  # noqa: BLE001
        return FieldResult(None, _say("amazon.error.connection_name.unreadable"))


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
