"""Login with Amazon token exchange plus one regional SP-API read, turned into a Verdict.

- POST ``lwa_token_url`` form-encoded (grant_type=refresh_token, refresh_token, client_id,
  client_secret) gives an access token (Atza|…).
- Seller: GET /sellers/v1/marketplaceParticipations confirms the chosen marketplace and gives the
  store name. Vendor: GET /vendor/orders/v1/purchaseOrders over the last day with limit=1, the
  cheapest read the vendor roles (Amazon Fulfillment, or Inventory and Order Tracking) allow.
- 429 and 5xx answers, timeouts and network errors are retried with exponential backoff and
  jitter, honouring Retry-After, at most ``max_attempts`` times per call and never past the overall
  ``deadline``. 4xx answers (invalid_client, invalid_grant, 403 …) are never retried.
- A 403 is read by its error ``code`` and ``message``: only "Unauthorized" / "Access to requested resource
  is denied." is about the credentials (its ``details`` say which: access token, expired secret, or empty for
  a missing role / another region); the gateway's other 403s (MissingAuthenticationToken, InvalidSignature,
  "The security token included in the request is expired", an empty body with only x-amzn-ErrorType) are an
  Amazon-side problem, verdict ``amazon_error`` (transient), with Amazon's request id.
- Nothing here logs, raises or reprs a secret; request bodies and headers are never logged.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.amazon.marketplaces import REGION_HOSTS, REGION_NAMES, endpoint_for_region, marketplace_by_id
from bot.amazon.store_name import clean_store_name
from bot.amazon.verdicts import Verdict, VerdictKind
from bot.redaction import mask

log = logging.getLogger("bot.amazon")

SELLERS_PATH = "/sellers/v1/marketplaceParticipations"
VENDOR_ORDERS_PATH = "/vendor/orders/v1/purchaseOrders"
SELLER_ROLES = "Product Listing or Selling Partner Insights"
VENDOR_ROLES = "Amazon Fulfillment or Inventory and Order Tracking"
DEFAULT_LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
USER_AGENT = "amazon-connect-bot/0.1 (Language=Python)"
# Forget a cached access token this long before Amazon says it expires.
TOKEN_EXPIRY_MARGIN = 60.0


@dataclass(repr=False)
class Credentials:
    account_type: str
    selling_partner_id: str
    client_id: str
    client_secret: str
    refresh_token: str
    marketplace_id: str

    def __repr__(self) -> str:
        return (
            f"Credentials(account_type={self.account_type!r}, "
            f"selling_partner_id={self.selling_partner_id!r}, client_id={self.client_id!r}, "
            f"client_secret={mask(self.client_secret)!r}, refresh_token={mask(self.refresh_token)!r}, "
            f"marketplace_id={self.marketplace_id!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_fields(cls, values: Mapping[str, str]) -> Credentials:
        """From ``validate_credentials(...).values`` (the form's cleaned field keys)."""
        return cls(
            account_type=values["account_type"],
            selling_partner_id=values["selling_partner_id"],
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            refresh_token=values["refresh_token"],
            marketplace_id=values["marketplace"],
        )


@dataclass
class _Attempt:
    """The final answer of one retried call: a response to interpret, or a transient failure."""

    response: httpx.Response | None = None
    failure: VerdictKind | None = None
    detail: str | None = None
    request_id: str | None = None


class _StaleToken(Exception):
    """SP-API refused the access token itself (revoked or expired): get a fresh one once."""


def _request_id(resp: httpx.Response | None) -> str | None:
    """Amazon's id for this request: SP-API's ``x-amzn-RequestId`` header, or the ``request_id`` that Login
    with Amazon writes in its JSON error bodies (amzn/selling-partner-api-models#4480 shows one)."""
    if resp is None:
        return None
    rid = resp.headers.get("x-amzn-RequestId") or resp.headers.get("x-amz-request-id")
    if not rid:
        body = _json(resp)
        rid = body.get("request_id") if isinstance(body.get("request_id"), str) else None
    return _clean_token(rid) if rid else None


def _clean_token(value: str, limit: int = 100) -> str:
    """A header or body value shown to people: printable ASCII only, capped."""
    return "".join(c for c in value if 32 < ord(c) < 127)[:limit]


def _json(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"payload": body}


def _retry_after(resp: httpx.Response | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if resp is None:
        return None
    raw = resp.headers.get("Retry-After")
    if raw is None:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now())


def _sp_errors(body: Mapping[str, Any]) -> list[dict[str, str]]:
    errors = body.get("errors")
    if not isinstance(errors, list):
        return []
    return [e for e in errors if isinstance(e, dict)]


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


def _normalised(text: object) -> str:
    return " ".join(str(text or "").split()).lower()


def _describe_sp_errors(errors: list[dict[str, str]]) -> str:
    parts = []
    for e in errors[:3]:
        code, message, details = e.get("code", ""), e.get("message", ""), e.get("details", "")
        parts.append(" ".join(str(x) for x in (code, message, details) if x))
    return "; ".join(parts)


class AmazonClient:
    """Verifies credentials against Login with Amazon and SP-API. Thread-safe; never raises."""

    def __init__(
        self,
        lwa_token_url: str,
        sp_api_endpoint: str | None,
        *,
        timeout: float = 10.0,
        deadline: float = 30.0,
        max_attempts: int = 5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        backoff_base: float = 0.5,
        backoff_cap: float = 8.0,
        rng: random.Random | None = None,
    ) -> None:
        self.lwa_token_url = lwa_token_url
        self.sp_api_endpoint = sp_api_endpoint or None
        self.timeout = timeout
        self.deadline = deadline
        self.max_attempts = max(1, max_attempts)
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"user-agent": USER_AGENT},
            follow_redirects=False,
        )
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    # -- public API -------------------------------------------------------------------------

    def verify(self, creds: Credentials) -> Verdict:
        """LWA exchange, then one regional SP-API read. Never raises."""
        try:
            return self._verify(creds)
        except Exception as exc:  # noqa: BLE001 - the promise is a Verdict, always
            log.error("verification failed inside the client: %s", type(exc).__name__)
            return Verdict(VerdictKind.unexpected, detail=f"internal error ({type(exc).__name__})")

    def check_token(self, creds: Credentials) -> Verdict:
        """LWA exchange only, always fresh (the daily health check). Never raises."""
        try:
            deadline_at = self._clock() + self.deadline
            got = self._exchange(creds, deadline_at)
            if isinstance(got, Verdict):
                return got
            return Verdict(VerdictKind.verified)
        except Exception as exc:  # noqa: BLE001
            log.error("token check failed inside the client: %s", type(exc).__name__)
            return Verdict(VerdictKind.unexpected, detail=f"internal error ({type(exc).__name__})")

    def close(self) -> None:
        self._http.close()
        with self._lock:
            self._tokens.clear()

    def __enter__(self) -> AmazonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AmazonClient(lwa_token_url={self.lwa_token_url!r}, sp_api_endpoint={self.sp_api_endpoint!r})"

    def cached_token_count(self) -> int:
        """How many unexpired access tokens are held in memory (for tests and metrics)."""
        now = self._clock()
        with self._lock:
            return sum(1 for _, expires in self._tokens.values() if expires > now)

    # -- verification -----------------------------------------------------------------------

    def _verify(self, creds: Credentials) -> Verdict:
        deadline_at = self._clock() + self.deadline
        marketplace = marketplace_by_id(creds.marketplace_id)
        if marketplace is None:
            return Verdict(VerdictKind.unexpected, detail="the marketplace ID is not an SP-API marketplace")
        if creds.account_type not in ("seller", "vendor"):
            return Verdict(VerdictKind.unexpected, detail="the account type must be seller or vendor")
        region = marketplace.region

        token = self._cached_token(creds)
        from_cache = token is not None
        if token is None:
            got = self._exchange(creds, deadline_at)
            if isinstance(got, Verdict):
                return got
            token = got
        try:
            return self._sp_call(creds, token, region, deadline_at)
        except _StaleToken as stale:
            self._forget(creds)
            if not from_cache:
                return Verdict(VerdictKind.unexpected, detail=str(stale))
        log.info("cached access token refused by SP-API; exchanging the refresh token again")
        got = self._exchange(creds, deadline_at)
        if isinstance(got, Verdict):
            return got
        try:
            return self._sp_call(creds, got, region, deadline_at)
        except _StaleToken as stale:
            self._forget(creds)
            return Verdict(VerdictKind.unexpected, detail=str(stale))

    def _exchange(self, creds: Credentials, deadline_at: float) -> str | Verdict:
        data = {
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        }
        att = self._send("POST", self.lwa_token_url, what="LWA token exchange", deadline_at=deadline_at, data=data)
        if att.failure is not None:
            return Verdict(att.failure, request_id=att.request_id, detail=att.detail)
        resp = att.response
        assert resp is not None
        body = _json(resp)
        rid = _request_id(resp)
        if resp.status_code == 200:
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                return Verdict(VerdictKind.unexpected, request_id=rid, detail="LWA answered 200 without a token")
            expires_in = body.get("expires_in", 3600)
            if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
                expires_in = 3600
            self._remember(creds, token, float(expires_in))
            return token
        error = str(body.get("error") or "")
        description = str(body.get("error_description") or "")
        log.info("LWA token exchange refused: HTTP %s %s", resp.status_code, error or "(no error code)")
        detail = f"LWA answered HTTP {resp.status_code} {error}: {description}".strip(": ")
        if error == "invalid_client" or (resp.status_code == 401 and not error):
            if "expire" in description.lower():
                return Verdict(VerdictKind.secret_expired, request_id=rid, detail=detail)
            return Verdict(VerdictKind.invalid_client, request_id=rid, detail=detail)
        if error == "invalid_grant":
            return Verdict(VerdictKind.invalid_grant, request_id=rid, detail=detail)
        if error == "unauthorized_client":
            # RFC 6749 section 5.2: the client is authenticated but not allowed this grant type. Sellers meet it
            # as "Not authorized for requested operation" when the app's setup is incomplete
            # (jlevers/selling-partner-api#20 and #31, jrl84/amazon-sp-api#34).
            return Verdict(VerdictKind.unauthorized_client, request_id=rid, detail=detail)
        return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)

    def _sp_request(self, creds: Credentials, token: str, base: str, deadline_at: float) -> _Attempt:
        if creds.account_type == "seller":
            path, params = SELLERS_PATH, None
        else:
            now = datetime.now(UTC).replace(microsecond=0)
            params = {
                "limit": "1",
                "createdAfter": (now - timedelta(days=1)).isoformat().replace("+00:00", "Z"),
                "createdBefore": now.isoformat().replace("+00:00", "Z"),
                "includeDetails": "false",
            }
            path = VENDOR_ORDERS_PATH
        return self._send(
            "GET",
            base + path,
            what=f"SP-API {path}",
            deadline_at=deadline_at,
            params=params,
            headers={"x-amz-access-token": token, "accept": "application/json"},
        )

    def _sp_call(self, creds: Credentials, token: str, region: str, deadline_at: float) -> Verdict:
        base = endpoint_for_region(region, self.sp_api_endpoint)
        roles = SELLER_ROLES if creds.account_type == "seller" else VENDOR_ROLES
        att = self._sp_request(creds, token, base, deadline_at)
        if att.failure is not None:
            return Verdict(att.failure, request_id=att.request_id, detail=att.detail)
        resp = att.response
        assert resp is not None
        rid = _request_id(resp)
        body = _json(resp)
        if resp.status_code == 200:
            if creds.account_type == "seller":
                if not isinstance(body.get("payload"), list):  # e.g. an HTML page from something in between
                    return Verdict(VerdictKind.unexpected, request_id=rid,
                                   detail="SP-API answered 200 without a list of marketplace participations")
                return self._seller_verdict(creds, body, rid)
            return Verdict(VerdictKind.verified, marketplaces=[creds.marketplace_id], request_id=rid)
        errors = _sp_errors(body)
        described = _describe_sp_errors(errors)
        error_type = _clean_token(resp.headers.get("x-amzn-ErrorType", "").split(":")[0])
        log.info("SP-API call refused: HTTP %s %s%s", resp.status_code, described or "(no errors body)",
                 f" ({error_type})" if error_type else "")
        detail = f"SP-API answered HTTP {resp.status_code}" + (f": {described}" if described else "")
        if error_type:
            detail += f" (x-amzn-ErrorType {error_type})"
        if resp.status_code in (401, 403):
            return self._refusal(creds, token, region, deadline_at, resp.status_code, errors, error_type, rid,
                                 detail, roles)
        return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)

    def _refusal(
        self,
        creds: Credentials,
        token: str,
        region: str,
        deadline_at: float,
        status: int,
        errors: list[dict[str, str]],
        error_type: str,
        rid: str | None,
        detail: str,
        roles: str,
    ) -> Verdict:
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
                raise _StaleToken(detail)
            if not details and status == 403:
                # Amazon answers the same bare denial for a missing role and for a region the
                # authorization does not cover: ask the other regions before blaming the roles.
                elsewhere = self._probe_other_regions(creds, token, region, deadline_at)
                if elsewhere is not None:
                    return elsewhere
                return Verdict(VerdictKind.missing_role, missing_role=roles, request_id=rid, detail=detail)
            return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)
        if (code in SP_GATEWAY_CODES or error_type in SP_GATEWAY_TYPES
                or any(m in message for m in SP_GATEWAY_MESSAGES)):
            return Verdict(VerdictKind.amazon_error, request_id=rid, detail=detail)
        return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)

    def _probe_other_regions(self, creds: Credentials, token: str, region: str, deadline_at: float) -> Verdict | None:
        here = endpoint_for_region(region, self.sp_api_endpoint)
        for other in REGION_HOSTS:
            base = endpoint_for_region(other, self.sp_api_endpoint)
            if other == region or base == here:
                continue
            att = self._sp_request(creds, token, base, deadline_at)
            if att.response is None or att.response.status_code != 200:
                continue
            marketplaces: list[str] = []
            if creds.account_type == "seller":
                marketplaces = self._seller_verdict(creds, _json(att.response), None).marketplaces
            return Verdict(
                VerdictKind.marketplace_not_authorized,
                marketplaces=marketplaces,
                request_id=_request_id(att.response),
                detail=f"the authorization works in {REGION_NAMES[other]}, not in {REGION_NAMES[region]}",
            )
        return None

    @staticmethod
    def _seller_verdict(creds: Credentials, body: Mapping[str, Any], rid: str | None) -> Verdict:
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

    # -- HTTP with retries ------------------------------------------------------------------

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** (attempt - 1)))
        return ceiling / 2 + self._rng.uniform(0, ceiling / 2)

    def _send(
        self,
        method: str,
        url: str,
        *,
        what: str,
        deadline_at: float,
        data: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> _Attempt:
        attempt = 0
        while True:
            attempt += 1
            remaining = deadline_at - self._clock()
            if remaining <= 0:
                return _Attempt(failure=VerdictKind.timeout, detail=f"{what}: no time left before the deadline")
            per_call = min(self.timeout, remaining)
            resp: httpx.Response | None = None
            try:
                resp = self._http.request(
                    method, url, data=data, params=params, headers=headers, timeout=httpx.Timeout(per_call)
                )
            except httpx.TimeoutException as exc:
                kind, detail = VerdictKind.timeout, f"{what}: no answer within {per_call:.1f}s ({type(exc).__name__})"
            except httpx.TransportError as exc:
                kind, detail = VerdictKind.network_error, f"{what}: {type(exc).__name__}"
            else:
                if resp.status_code == 429:
                    kind, detail = VerdictKind.rate_limited, f"{what}: HTTP 429"
                elif resp.status_code >= 500:
                    kind, detail = VerdictKind.amazon_unavailable, f"{what}: HTTP {resp.status_code}"
                else:
                    return _Attempt(response=resp)
            rid = _request_id(resp)
            if attempt >= self.max_attempts:
                log.warning("%s gave up after %d attempts (%s)", what, attempt, kind.value)
                return _Attempt(failure=kind, detail=f"{detail}, after {attempt} attempts", request_id=rid)
            hinted = _retry_after(resp)
            delay = hinted if hinted is not None else self._backoff(attempt)
            if delay >= deadline_at - self._clock():
                log.warning("%s: next retry in %.2fs would pass the deadline (%s)", what, delay, kind.value)
                return _Attempt(failure=kind, detail=f"{detail}; retrying would pass the deadline", request_id=rid)
            log.info("%s: %s on attempt %d, retrying in %.2fs", what, kind.value, attempt, delay)
            self._sleep(delay)

    # -- access token cache -----------------------------------------------------------------

    @staticmethod
    def _cache_key(creds: Credentials) -> str:
        # The secret is part of the key so that a wrong secret can never ride on a cached token.
        digest = hashlib.sha256(
            "\0".join((creds.client_id, creds.refresh_token, creds.client_secret)).encode()
        ).hexdigest()
        return f"{creds.client_id}:{digest}"

    def _cached_token(self, creds: Credentials) -> str | None:
        key = self._cache_key(creds)
        now = self._clock()
        with self._lock:
            hit = self._tokens.get(key)
            if hit is None:
                return None
            token, expires = hit
            if expires <= now:
                del self._tokens[key]
                return None
            return token

    def _remember(self, creds: Credentials, token: str, expires_in: float) -> None:
        expires = self._clock() + max(0.0, expires_in - TOKEN_EXPIRY_MARGIN)
        with self._lock:
            now = self._clock()
            for k in [k for k, (_, exp) in self._tokens.items() if exp <= now]:
                del self._tokens[k]
            self._tokens[self._cache_key(creds)] = (token, expires)

    def _forget(self, creds: Credentials) -> None:
        with self._lock:
            self._tokens.pop(self._cache_key(creds), None)
