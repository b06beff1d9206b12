"""The closed set of verification outcomes and their plain-English explanations.

All user-facing words live in ``TEXTS`` so that the onboarding work can move them into a catalog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.amazon.marketplaces import marketplace_by_id
from bot.redaction import redact


class VerdictKind(StrEnum):
    verified = "verified"
    invalid_client = "invalid_client"
    secret_expired = "secret_expired"
    invalid_grant = "invalid_grant"
    marketplace_not_authorized = "marketplace_not_authorized"
    missing_role = "missing_role"
    rate_limited = "rate_limited"
    amazon_unavailable = "amazon_unavailable"
    network_error = "network_error"
    timeout = "timeout"
    unexpected = "unexpected"


TRANSIENT: frozenset[VerdictKind] = frozenset(
    {VerdictKind.rate_limited, VerdictKind.amazon_unavailable, VerdictKind.network_error, VerdictKind.timeout}
)


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


# (cause, next step) per kind. Placeholders: {store}, {marketplaces}, {role}, {request_id}.
TEXTS: dict[str, tuple[str, str]] = {
    "verified": (
        "Amazon accepted these credentials{store_part}{marketplace_part}.",
        "Nothing to do: the connection works.",
    ),
    "invalid_client": (
        "Login with Amazon did not accept the LWA client ID or client secret.",
        "Open the app in Developer Central, select View under LWA credentials, and copy the Client "
        "identifier and the Client secret again, each into its own field.",
    ),
    "secret_expired": (
        "The LWA client secret has expired: secrets live 180 days, and after a rotation the old "
        "secret keeps working for only 7 more days.",
        "In Developer Central, open View under LWA credentials, select Rotate secret, and paste the "
        "new client secret here.",
    ),
    "invalid_grant": (
        "Login with Amazon refused the refresh token: it was revoked, belongs to another app, or was "
        "replaced by a newer authorization.",
        "Authorize the app again (Edit App, then Authorize) and paste the new refresh token (Atzr|...).",
    ),
    "marketplace_not_authorized": (
        "The credentials work, but not for the marketplace you chose{marketplace_part}. Each region "
        "(North America, Europe, Far East) needs its own authorization.",
        "Pick the marketplace this authorization covers, or authorize the app for that region and "
        "paste the refresh token Amazon shows for it.",
    ),
    "missing_role": (
        "Amazon refused the request because the app lacks the {role} role (or this authorization is "
        "for another region).",
        "In Developer Central, edit the app and add the {role} role, then authorize the app again and "
        "paste the new refresh token.",
    ),
    "rate_limited": (
        "Amazon is limiting how often we may call it right now.",
        "Try again in a few minutes; nothing is wrong with the credentials as far as we know.",
    ),
    "amazon_unavailable": (
        "Amazon answered with a server error.",
        "Try again in a few minutes; if it keeps failing, check Amazon's SP-API status page.",
    ),
    "network_error": (
        "We could not reach Amazon over the network.",
        "Try again in a few minutes; if it keeps failing, ask whoever runs the bot to check its network access.",
    ),
    "timeout": (
        "Amazon did not answer in time.",
        "Try again in a few minutes.",
    ),
    "unexpected": (
        "Amazon gave an answer we did not expect{request_part}.",
        "Try again later; if it happens again, share the request id with whoever runs the bot.",
    ),
}


def _marketplace_names(ids: list[str]) -> str:
    names = []
    for mid in ids:
        m = marketplace_by_id(mid)
        names.append(f"{m.name} ({m.country_code})" if m else mid)
    return ", ".join(names)


def explain(verdict: Verdict) -> tuple[str, str]:
    """(plain cause, next step) in English for ``verdict``."""
    cause, step = TEXTS[verdict.kind.value]
    values = {
        "store_part": f" for the store {verdict.store_name!r}" if verdict.store_name else "",
        "marketplace_part": (
            f" (authorized: {_marketplace_names(verdict.marketplaces)})" if verdict.marketplaces else ""
        ),
        "role": verdict.missing_role or "required",
        "request_part": f" (Amazon request id {verdict.request_id})" if verdict.request_id else "",
    }
    if verdict.kind is VerdictKind.verified and verdict.marketplaces:
        values["marketplace_part"] = f" in {_marketplace_names(verdict.marketplaces)}"
    return redact(cause.format(**values)), redact(step.format(**values))
