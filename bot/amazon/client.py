"""Login with Amazon token exchange plus one regional SP-API read, turned into a Verdict.

- ``bot.amazon.lwa``: POST ``lwa_token_url`` form-encoded gives an access token (Atza|…), cached in memory.
- Seller: GET /sellers/v1/marketplaceParticipations confirms the chosen marketplace and gives the
  store name. Vendor: GET /vendor/orders/v1/purchaseOrders over the last day with limit=1, the
  cheapest read the vendor roles (Amazon Fulfillment, or Inventory and Order Tracking) allow.
- ``bot.amazon.http``: 429 and 5xx answers, timeouts and network errors are retried with exponential backoff
  and jitter, honouring Retry-After, at most ``max_attempts`` times per call and never past the overall
  ``deadline``. 4xx answers (invalid_client, invalid_grant, 403 …) are never retried.
- ``bot.amazon.sp_errors``: what SP-API's answers mean (a 403 is read by its error ``code`` and ``message``).
- Nothing here logs, raises or reprs a secret; request bodies and headers are never logged.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from bot.amazon.credentials import Credentials
from bot.amazon.http import Attempt, RetryPolicy, clean_token, json_body, request_id, send
from bot.amazon.lwa import DEFAULT_LWA_TOKEN_URL, TokenCache, exchange, exchange_grant
from bot.amazon.marketplaces import REGION_HOSTS, REGION_NAMES, endpoint_for_region, marketplace_by_id
from bot.amazon.sp_errors import Denial, describe_sp_errors, read_refusal, seller_verdict, sp_errors
from bot.amazon.verdicts import Verdict, VerdictKind

__all__ = [
    "DEFAULT_LWA_TOKEN_URL",
    "SELLERS_PATH",
    "SELLER_ROLES",
    "USER_AGENT",
    "VENDOR_ORDERS_PATH",
    "VENDOR_ROLES",
    "AmazonClient",
    "Credentials",
]

log = logging.getLogger("bot.amazon")

SELLERS_PATH = "/sellers/v1/marketplaceParticipations"
VENDOR_ORDERS_PATH = "/vendor/orders/v1/purchaseOrders"
SELLER_ROLES = "Product Listing or Selling Partner Insights"
VENDOR_ROLES = "Amazon Fulfillment or Inventory and Order Tracking"
USER_AGENT = "amazon-connect-bot/0.1 (Language=Python)"


class _StaleToken(Exception):
    """SP-API refused the access token itself (revoked or expired): get a fresh one once."""


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
        self._clock = clock
        self._policy = RetryPolicy(
            timeout=timeout, max_attempts=self.max_attempts, backoff_base=backoff_base, backoff_cap=backoff_cap,
            sleep=sleep, clock=clock, rng=rng or random.Random(),  # noqa: S311 - jitter, not cryptography
        )
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            limits=httpx.Limits(max_connections=64, max_keepalive_connections=16),
            headers={"user-agent": USER_AGENT},
            follow_redirects=False,
        )
        self._tokens = TokenCache(clock)

    # -- public API -------------------------------------------------------------------------

    def verify(self, creds: Credentials) -> Verdict:
        """LWA exchange, then one regional SP-API read. Never raises."""
        try:
            return self._verify(creds)
        except Exception as exc:  # noqa: BLE001 - the promise is a Verdict, always
            log.error("verification failed inside the client: %s", type(exc).__name__)
            return Verdict(VerdictKind.unexpected, detail=f"internal error ({type(exc).__name__})")

    def close(self) -> None:
        self._http.close()
        self._tokens.clear()

    def __enter__(self) -> AmazonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AmazonClient(lwa_token_url={self.lwa_token_url!r}, sp_api_endpoint={self.sp_api_endpoint!r})"

    def access_token(self, creds: Credentials) -> tuple[str, float] | Verdict:
        """A new LWA access token for ``creds`` and the seconds it lives (one exchange, retried as every call
        here is; not cached here: the tools' API keeps its own cache, ``bot.flows.tokens``), or the verdict
        saying why not. Never raises."""
        try:
            return exchange_grant(self._http, self._policy, self.lwa_token_url, creds, self._clock() + self.deadline)
        except Exception as exc:  # noqa: BLE001 - the promise is a token or a Verdict, always
            log.error("the token exchange failed inside the client: %s", type(exc).__name__)
            return Verdict(VerdictKind.unexpected, detail=f"internal error ({type(exc).__name__})")

    def cached_token_count(self) -> int:
        """How many unexpired access tokens are held in memory (for tests and metrics)."""
        return self._tokens.count()

    # -- verification -----------------------------------------------------------------------

    def _exchange(self, creds: Credentials, deadline_at: float) -> str | Verdict:
        return exchange(self._http, self._policy, self.lwa_token_url, creds, deadline_at, self._tokens)

    def _verify(self, creds: Credentials) -> Verdict:
        deadline_at = self._clock() + self.deadline
        marketplace = marketplace_by_id(creds.marketplace_id)
        if marketplace is None:
            return Verdict(VerdictKind.unexpected, detail="the marketplace ID is not an SP-API marketplace")
        if creds.account_type not in ("seller", "vendor"):
            return Verdict(VerdictKind.unexpected, detail="the account type must be seller or vendor")
        region = marketplace.region

        token = self._tokens.get(creds)
        from_cache = token is not None
        if token is None:
            got = self._exchange(creds, deadline_at)
            if isinstance(got, Verdict):
                return got
            token = got
        try:
            return self._sp_call(creds, token, region, deadline_at)
        except _StaleToken as stale:
            self._tokens.forget(creds)
            if not from_cache:
                return Verdict(VerdictKind.unexpected, detail=str(stale))
        log.info("cached access token refused by SP-API; exchanging the refresh token again")
        got = self._exchange(creds, deadline_at)
        if isinstance(got, Verdict):
            return got
        try:
            return self._sp_call(creds, got, region, deadline_at)
        except _StaleToken as stale:
            self._tokens.forget(creds)
            return Verdict(VerdictKind.unexpected, detail=str(stale))

    def _sp_request(self, creds: Credentials, token: str, base: str, deadline_at: float) -> Attempt:
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
        return send(
            self._http,
            self._policy,
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
        rid = request_id(resp)
        body = json_body(resp)
        if resp.status_code == 200:
            if creds.account_type == "seller":
                if not isinstance(body.get("payload"), list):  # e.g. an HTML page from something in between
                    return Verdict(VerdictKind.unexpected, request_id=rid,
                                   detail="SP-API answered 200 without a list of marketplace participations")
                return seller_verdict(creds, body, rid)
            return Verdict(VerdictKind.verified, marketplaces=[creds.marketplace_id], request_id=rid)
        errors = sp_errors(body)
        described = describe_sp_errors(errors)
        error_type = clean_token(resp.headers.get("x-amzn-ErrorType", "").split(":")[0])
        log.info("SP-API call refused: HTTP %s %s%s", resp.status_code, described or "(no errors body)",
                 f" ({error_type})" if error_type else "")
        detail = f"SP-API answered HTTP {resp.status_code}" + (f": {described}" if described else "")
        if error_type:
            detail += f" (x-amzn-ErrorType {error_type})"
        if resp.status_code not in (401, 403):
            return Verdict(VerdictKind.unexpected, request_id=rid, detail=detail)
        read = read_refusal(resp.status_code, errors, error_type, rid, detail)
        if read is Denial.stale_token:
            raise _StaleToken(detail)
        if read is Denial.role_or_region:
            elsewhere = self._probe_other_regions(creds, token, region, deadline_at)
            if elsewhere is not None:
                return elsewhere
            return Verdict(VerdictKind.missing_role, missing_role=roles, request_id=rid, detail=detail)
        return read

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
                marketplaces = seller_verdict(creds, json_body(att.response), None).marketplaces
            return Verdict(
                VerdictKind.marketplace_not_authorized,
                marketplaces=marketplaces,
                request_id=request_id(att.response),
                detail=f"the authorization works in {REGION_NAMES[other]}, not in {REGION_NAMES[region]}",
            )
        return None
