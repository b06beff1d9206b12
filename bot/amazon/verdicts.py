"""The closed set of verification outcomes and their plain-English explanations.

The words live in the message catalog (``bot.i18n``, keys ``amazon.verdict.*``); ``explain`` fills them in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.amazon.marketplaces import marketplace_by_id
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.redaction import redact


class VerdictKind(StrEnum):
    verified = "verified"
    invalid_client = "invalid_client"
    secret_expired = "secret_expired"
    invalid_grant = "invalid_grant"
    unauthorized_client = "unauthorized_client"
    marketplace_not_authorized = "marketplace_not_authorized"
    missing_role = "missing_role"
    rate_limited = "rate_limited"
    amazon_unavailable = "amazon_unavailable"
    amazon_error = "amazon_error"
    network_error = "network_error"
    timeout = "timeout"
    unexpected = "unexpected"


# ``amazon_error``: SP-API refused the request for a reason on Amazon's side that says nothing about the
# credentials (a 403 whose code is not "Unauthorized": MissingAuthenticationToken, InvalidSignature, "The
# security token included in the request is expired", or an empty body with only x-amzn-ErrorType).
TRANSIENT: frozenset[VerdictKind] = frozenset(
    {VerdictKind.rate_limited, VerdictKind.amazon_unavailable, VerdictKind.amazon_error, VerdictKind.network_error,
     VerdictKind.timeout}
)
# The verdicts in which Amazon itself answered that these credentials do not work. Only these may be
# told to a person as "Amazon did not accept"; every other failure (no answer, an outage, an answer we
# could not read, our own error) is "we could not finish checking".
REFUSED: frozenset[VerdictKind] = frozenset({
    VerdictKind.invalid_client, VerdictKind.secret_expired, VerdictKind.invalid_grant,
    VerdictKind.marketplace_not_authorized, VerdictKind.missing_role, VerdictKind.unauthorized_client,
})


@dataclass
class Verdict:
    kind: VerdictKind
    store_name: str | None = None
    marketplaces: list[str] = field(default_factory=list)
    missing_role: str | None = None
    request_id: str | None = None
    detail: str | None = None

    def __post_init__(self) -> None:
        self.kind = VerdictKind(self.kind)
        if self.detail is not None:
            self.detail = redact(self.detail)

    @property
    def ok(self) -> bool:
        return self.kind is VerdictKind.verified

    @property
    def transient(self) -> bool:
        return self.kind in TRANSIENT


def _texts() -> dict[str, tuple[str, str]]:
    return {kind.value: (t(f"amazon.verdict.{kind.value}.cause"), t(f"amazon.verdict.{kind.value}.next"))
            for kind in VerdictKind}


# (cause, next step) templates per kind, as the catalog holds them (bot/i18n/en.py, "amazon.verdict.*").
# Placeholders: {store_part}, {marketplace_part}, {role}, {request_part}.
TEXTS: dict[str, tuple[str, str]] = _texts()


def _marketplace_names(ids: list[str], language: str) -> str:
    names = []
    for mid in ids:
        m = marketplace_by_id(mid)
        names.append(t("amazon.marketplace.name", language, name=m.name, country=m.country_code) if m else mid)
    return t("amazon.marketplace.separator", language).join(names)


def explain(verdict: Verdict, language: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
    """(plain cause, next step) for ``verdict``, in ``language`` (English by default)."""
    kind = verdict.kind.value
    names = _marketplace_names(verdict.marketplaces, language) if verdict.marketplaces else ""
    values = {
        "store_part": t("amazon.verdict.part.store", language, store=verdict.store_name) if verdict.store_name else "",
        "marketplace_part": t("amazon.verdict.part.authorized", language, marketplaces=names) if names else "",
        "role": verdict.missing_role or t("amazon.verdict.part.role_unknown", language),
        "request_part": (
            t("amazon.verdict.part.request", language, request_id=verdict.request_id) if verdict.request_id else ""
        ),
    }
    if verdict.kind is VerdictKind.verified and names:
        values["marketplace_part"] = t("amazon.verdict.part.verified_in", language, marketplaces=names)
    cause = t(f"amazon.verdict.{kind}.cause", language, **values)
    step = t(f"amazon.verdict.{kind}.next", language, **values)
    return redact(cause), redact(step)
