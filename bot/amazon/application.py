"""Amazon's Application Management API (``application_2023-11-30.json``): rotate an app's LWA client secret.

Two calls, neither retried on a 429 here (the rotation job waits out the limit, about one call a minute):

1. A grantless LWA token: POST ``lwa_token_url`` form-encoded ``grant_type=client_credentials``,
   ``scope=sellingpartnerapi::client_credential:rotation``, ``client_id``, ``client_secret``; LWA answers
   ``{"access_token": "Atza|…", "scope", "token_type": "bearer", "expires_in"}`` (Amazon's "Connecting to the
   Selling Partner API", grantless operations) or its OAuth error body.
2. ``POST /applications/2023-11-30/clientSecret`` (``rotateApplicationClientSecret``) on the region's SP-API
   host with ``x-amz-access-token``: 204 and an empty body; the new secret then arrives only as an
   APPLICATION_OAUTH_CLIENT_NEW_SECRET notification on the app's queue. 400 InvalidInput: the app has no
   rotation queue in its Notification preferences. 429 QuotaExceeded: the usage plan is 0.0167 requests per
   second, burst 1.

This module knows nothing of storage or Slack: it returns a ``RotationResult`` (a ``RotationOutcome`` and
Amazon's request id). Nothing here logs, raises or reprs a secret.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import httpx

from bot.amazon.http import RetryPolicy, clean_token, json_body, request_id, send
from bot.amazon.marketplaces import endpoint_for_region
from bot.amazon.sp_errors import describe_sp_errors, sp_errors
from bot.amazon.verdicts import VerdictKind
from bot.redaction import redact

log = logging.getLogger("bot.amazon")

CLIENT_SECRET_PATH = "/applications/2023-11-30/clientSecret"
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"
USER_AGENT = "amazon-connect-bot/0.1 (Language=Python)"
RATE_LIMIT_WAIT = 60.0  # seconds: the usage plan allows one rotation call a minute (0.0167/s, burst 1)


class RotationOutcome(StrEnum):
    requested = "requested"  # 204: Amazon rotates and sends the new secret to the queue
    rate_limited = "rate_limited"  # 429: ask again after ``wait_seconds``
    not_enrolled = "not_enrolled"  # 400: no rotation queue in the app's Notification preferences
    secret_refused = "secret_refused"  # LWA refused the stored client secret (invalid_client)
    not_allowed = "not_allowed"  # LWA or SP-API refused the rotation scope or call (unauthorized, 403)
    unavailable = "unavailable"  # Amazon did not answer (5xx, timeout, network): try again later
    unexpected = "unexpected"  # an answer we cannot read


TRANSIENT_OUTCOMES = frozenset({RotationOutcome.rate_limited, RotationOutcome.unavailable})


@dataclass(frozen=True)
class RotationResult:
    outcome: RotationOutcome
    request_id: str | None = None
    detail: str | None = None  # redacted, for logs only
    wait_seconds: float | None = None  # for rate_limited: how long to wait before asking again

    @property
    def ok(self) -> bool:
        return self.outcome is RotationOutcome.requested


class ApplicationClient:
    """Rotates client secrets through the Application Management API. Thread-safe; never raises."""

    def __init__(
        self,
        lwa_token_url: str,
        sp_api_endpoint: str | None,
        *,
        timeout: float = 10.0,
        deadline: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lwa_token_url = lwa_token_url
        self.sp_api_endpoint = sp_api_endpoint or None
        self.deadline = deadline
        self._clock = clock
        # LWA's token call: 5xx and network errors retried a few times; the rotation call itself: once (a 429
        # is waited out by the caller, and a second rotation must never be asked by accident).
        self._token_policy = RetryPolicy(timeout=timeout, max_attempts=3, sleep=sleep, clock=clock)
        self._rotate_policy = RetryPolicy(timeout=timeout, max_attempts=1, sleep=sleep, clock=clock)
        self._http = httpx.Client(transport=transport, timeout=httpx.Timeout(timeout),
                                  headers={"user-agent": USER_AGENT}, follow_redirects=False)

    def __repr__(self) -> str:
        return f"ApplicationClient(lwa_token_url={self.lwa_token_url!r}, sp_api_endpoint={self.sp_api_endpoint!r})"

    def close(self) -> None:
        self._http.close()

    def rotate_client_secret(self, client_id: str, client_secret: str, region: str) -> RotationResult:
        """Ask Amazon to rotate the app's client secret (grantless token, then the rotation call)."""
        try:
            return self._rotate(client_id, client_secret, region)
        except Exception as exc:  # noqa: BLE001 - the promise is a result, always
            log.error("rotation request failed inside the client: %s", type(exc).__name__)
            return RotationResult(RotationOutcome.unexpected, detail=f"internal error ({type(exc).__name__})")

    def grantless_token(self, client_id: str, client_secret: str, deadline_at: float) -> str | RotationResult:
        """An access token with the rotation scope, or why LWA did not give one."""
        data = {"grant_type": "client_credentials", "scope": ROTATION_SCOPE, "client_id": client_id,
                "client_secret": client_secret}
        att = send(self._http, self._token_policy, "POST", self.lwa_token_url, what="LWA grantless token",
                   deadline_at=deadline_at, data=data)
        if att.failure is not None:
            return _transient(att.failure, att.request_id, att.detail)
        resp = att.response
        assert resp is not None
        body, rid = json_body(resp), request_id(resp)
        if resp.status_code == 200:
            token = body.get("access_token")
            if isinstance(token, str) and token:
                return token
            return RotationResult(RotationOutcome.unexpected, rid, "LWA answered 200 without a token")
        error = clean_token(str(body.get("error") or ""))
        detail = redact(f"LWA answered HTTP {resp.status_code} {error}".strip())
        log.info("LWA grantless token refused: HTTP %s %s", resp.status_code, error or "(no error code)")
        if error == "invalid_client" or (resp.status_code == 401 and not error):
            return RotationResult(RotationOutcome.secret_refused, rid, detail)
        if error in ("unauthorized_client", "invalid_scope", "access_denied"):
            return RotationResult(RotationOutcome.not_allowed, rid, detail)
        return RotationResult(RotationOutcome.unexpected, rid, detail)

    def _rotate(self, client_id: str, client_secret: str, region: str) -> RotationResult:
        deadline_at = self._clock() + self.deadline
        token = self.grantless_token(client_id, client_secret, deadline_at)
        if isinstance(token, RotationResult):
            return token
        url = endpoint_for_region(region, self.sp_api_endpoint) + CLIENT_SECRET_PATH
        att = send(self._http, self._rotate_policy, "POST", url, what="SP-API rotateApplicationClientSecret",
                   deadline_at=deadline_at, headers={"x-amz-access-token": token, "accept": "application/json"})
        if att.failure is VerdictKind.rate_limited:
            return RotationResult(RotationOutcome.rate_limited, att.request_id, att.detail, RATE_LIMIT_WAIT)
        if att.failure is not None:
            return _transient(att.failure, att.request_id, att.detail)
        resp = att.response
        assert resp is not None
        rid = request_id(resp)
        if resp.status_code in (200, 204):
            log.info("Amazon accepted the rotation request for app %s (request %s)", client_id, rid)
            return RotationResult(RotationOutcome.requested, rid)
        described = describe_sp_errors(sp_errors(json_body(resp)))
        detail = redact(f"SP-API answered HTTP {resp.status_code}" + (f": {described}" if described else ""))
        log.info("rotation request refused: %s", detail)
        if resp.status_code == 400:
            return RotationResult(RotationOutcome.not_enrolled, rid, detail)
        if resp.status_code in (401, 403):
            return RotationResult(RotationOutcome.not_allowed, rid, detail)
        return RotationResult(RotationOutcome.unexpected, rid, detail)


def _transient(kind: VerdictKind, rid: str | None, detail: str | None) -> RotationResult:
    if kind is VerdictKind.rate_limited:
        return RotationResult(RotationOutcome.rate_limited, rid, detail, RATE_LIMIT_WAIT)
    return RotationResult(RotationOutcome.unavailable, rid, detail)
