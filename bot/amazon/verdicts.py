"""The closed set of verification outcomes and what they mean for people.

``explain`` gives a verdict's cause and next step as ``Message``s; the words live in the message
catalog (``bot.i18n``, keys ``amazon.verdict.*``) and the views render them in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from bot.i18n import Items, Marketplace, Message, Param, Strong
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


def explain(verdict: Verdict) -> tuple[Message, Message]:
    """(cause, next step) of ``verdict``, as meanings (``amazon.verdict.<kind>.cause`` / ``.next``).

    The optional facts are nested messages, each its own catalog sentence, so every language orders
    them its own way: ``store_part`` (the store Amazon named), ``marketplace_part`` (the marketplaces
    the authorization covers, an ``Items`` of ``Marketplace`` references), ``request_part`` (Amazon's
    request id); ``role`` is the missing role, or ``amazon.verdict.part.role_unknown``. A part that does
    not apply is empty. Whatever Amazon returned is redacted."""
    kind = verdict.kind.value
    names = Items(tuple(Marketplace(mid) for mid in verdict.marketplaces)) if verdict.marketplaces else None
    marketplace_part: Message | None = None
    if names is not None:
        verified = verdict.kind is VerdictKind.verified
        marketplace_part = Message("amazon.verdict.part.verified_in" if verified else "amazon.verdict.part.authorized",
                                   marketplaces=names)
    values: dict[str, Param] = {
        "store_part": (Message("amazon.verdict.part.store", store=Strong(redact(verdict.store_name)))
                       if verdict.store_name else None),
        "marketplace_part": marketplace_part,
        "role": redact(verdict.missing_role) if verdict.missing_role else Message("amazon.verdict.part.role_unknown"),
        "request_part": (Message("amazon.verdict.part.request", request_id=redact(verdict.request_id))
                         if verdict.request_id else None),
    }
    return Message(f"amazon.verdict.{kind}.cause", **values), Message(f"amazon.verdict.{kind}.next", **values)
