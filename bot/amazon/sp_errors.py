"""Reading SP-API's answers: a seller's marketplace participations, and what a 401/403 means.

A 403 is read by its error ``code`` and ``message``: only "Unauthorized" / "Access to requested resource
is denied." is about the credentials (its ``details`` say which: access token, expired secret, or empty for
a missing role / another region); the gateway's other 403s (MissingAuthenticationToken, InvalidSignature,
"The security token included in the request is expired", an empty body with only x-amzn-ErrorType) are an
Amazon-side problem, verdict ``amazon_error`` (transient), with Amazon's request id.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import Enum
from typing import Any

from bot.amazon.credentials import Credentials
from bot.amazon.store_name import clean_store_name
from bot.amazon.verdicts import Verdict, VerdictKind

# SP-API's one documented role/authorization refusal ("Resolve Common HTTP and Authorization Error Codes",
# developer-docs.amazon.com/sp-api/docs/resolve-common-http-and-authorization-error-codes): HTTP 403, code
# "Unauthorized", message "Access to requested resource is denied.", and in "details" the reason:
# empty for a missing role (or a region the authorization does not cover), "The access token you provided is
# revoked, malformed or invalid." / "... has expired." / "Access token is missing in the request header." for the
# access token, "The LWA secret token you provided has expired." for an expired client secret.
SP_DENIED_CODE = "Unauthorized"
SP_DENIED_MESSAGE = "access to requested resource is denied."
# 403s from SP-API's gateway that say nothing about the seller's credentials: they hit every seller at once
# when Amazon has an incident (amzn/selling-partner-api-docs#3153: "403 Unauthorized The security token
# included in the request is expired", 2023-05-27), and the bot sends no AWS signature nor security token since
# SP-API stopped requiring them. Codes (body) and API Gateway error types (x-amzn-ErrorType header; see "Parse
# SP-API Responses", developer-docs.amazon.com/sp-api/docs/response-format) of those answers:
SP_GATEWAY_CODES = frozenset({
    "MissingAuthenticationToken", "InvalidSignature", "IncompleteSignature", "ExpiredToken", "InvalidToken",
    "UnrecognizedClient", "SignatureDoesNotMatch",
})
SP_GATEWAY_TYPES = frozenset({
    "MissingAuthenticationTokenException", "InvalidSignatureException", "IncompleteSignatureException",
    "ExpiredTokenException", "UnrecognizedClientException",
})
SP_GATEWAY_MESSAGES = ("security token included in the request is",)
# "The LWA secret token you provided has expired." (what sellers see once the client secret expired); not the
# gateway's "Check your AWS Secret Access Key" of an InvalidSignature.
_SECRET_EXPIRED = re.compile(r"\b(?:lwa|client) secret\b.*\bexpired?\b")


class Denial(Enum):
    """A documented denial that needs another call before it can be told apart."""

    stale_token = "stale_token"  # the access token itself was refused (revoked or expired): exchange again once
    role_or_region = "role_or_region"  # a bare 403 denial: a missing role, or a region not covered


def sp_errors(body: Mapping[str, Any]) -> list[dict[str, str]]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [e for e in errors if isinstance(e, dict)]


def _normalised(text: object) -> str:
    return " ".join(str(text or "").split()).lower()


def describe_sp_errors(errors: list[dict[str, str]]) -> str:
    parts = []
    for e in errors[:3]:
        code, message, details = e.get("code", ""), e.get("message", ""), e.get("details", "")
        parts.append(" ".join(str(x) for x in (code, message, details) if x))
    return "; ".join(parts)


def read_refusal(
    status: int, errors: list[dict[str, str]], error_type: str, rid: str | None, detail: str
) -> Verdict | Denial:
    """A 401/403 from SP-API, read by its error ``code`` and ``message`` (and ``details``)."""
    texts = " ".join(_normalised(e.get(k)) for e in errors for k in ("message", "details"))
    if _SECRET_EXPIRED.search(texts):
        return Verdict(VerdictKind.secret_expired, request_id=rid, detail=detail)
    if not errors:
        # No error list (an empty or non-JSON body): only the gateway's header, if any, says what happened.
        kind = VerdictKind.amazon_error if error_type else VerdictKind.unexpected
        return Verdict(kind, request_id=rid, detail=detail)
    first = errors[0]
    code, message = str(first.get("code") or ""), _normalised(first.get("message"))
    details = " ".join(_normalised(e.get("details")) for e in errors).strip()
    if code == SP_DENIED_CODE and message == SP_DENIED_MESSAGE:
        if "access token" in details:
            return Denial.stale_token
        if not details and status == 403:
            # Amazon answers the same bare denial for a missing role and for a region the
            # authorization does not cover: the caller asks the other regions before blaming the roles.
            return Denial.role_or_region
        return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)
    if (code in SP_GATEWAY_CODES or error_type in SP_GATEWAY_TYPES
            or any(m in message for m in SP_GATEWAY_MESSAGES)):
        return Verdict(VerdictKind.amazon_error, request_id=rid, detail=detail)
    return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)


def seller_verdict(creds: Credentials, body: Mapping[str, Any], rid: str | None) -> Verdict:
    """Verified when the seller participates in the chosen marketplace (with its store name), else which
    marketplaces the authorization does cover."""
    payload = body.get("payload")
    participating: list[str] = []
    store_name: str | None = None
    if isinstance(payload, list):
        for item in payload:
            if not isinstance(item, dict):
                continue
            market = item.get("marketplace") or {}
            part = item.get("participation") or {}
            mid = market.get("id") if isinstance(market, dict) else None
            if not isinstance(mid, str):
                continue
            if isinstance(part, dict) and part.get("isParticipating") is False:
                continue
            participating.append(mid)
            if mid == creds.marketplace_id and isinstance(item.get("storeName"), str):
                store_name = clean_store_name(item["storeName"])
    if creds.marketplace_id in participating:
        return Verdict(VerdictKind.verified, store_name=store_name, marketplaces=participating, request_id=rid)
    return Verdict(VerdictKind.marketplace_not_authorized, marketplaces=participating, request_id=rid)
