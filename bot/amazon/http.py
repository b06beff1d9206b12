"""HTTP to Amazon with retries: 429 and 5xx answers, timeouts and network errors are retried with
exponential backoff and jitter, honouring Retry-After, at most ``max_attempts`` times per call and never
past the overall deadline. Other answers (4xx) are returned as they are, for the caller to read.

Request bodies and headers are never logged.
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import httpx

from bot.amazon.verdicts import VerdictKind

log = logging.getLogger("bot.amazon")


@dataclass
class Attempt:
    """The final answer of one retried call: a response to interpret, or a transient failure."""

    response: httpx.Response | None = None
    failure: VerdictKind | None = None
    detail: str | None = None
    request_id: str | None = None


def clean_token(value: str, limit: int = 100) -> str:
    """A header or body value shown to people: printable ASCII only, capped."""
    return "".join(c for c in value if 32 < ord(c) < 127)[:limit]


def json_body(resp: httpx.Response) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {"payload": body}


def request_id(resp: httpx.Response | None) -> str | None:
    """Amazon's id for this request: SP-API's ``x-amzn-RequestId`` header, or the ``request_id`` that Login
    with Amazon writes in its JSON error bodies (amzn/selling-partner-api-models#4480 shows one)."""
    if resp is None:
        return None
    rid = resp.headers.get("x-amzn-RequestId") or resp.headers.get("x-amz-request-id")
    if not rid:
        body = json_body(resp)
        rid = body.get("request_id") if isinstance(body.get("request_id"), str) else None
    return clean_token(rid) if rid else None


def retry_after(resp: httpx.Response | None, now: Callable[[], float] = time.time) -> float | None:
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


@dataclass
class RetryPolicy:
    """How one call is retried; ``sleep`` and ``clock`` are injectable so tests need not wait."""

    timeout: float = 10.0
    max_attempts: int = 5
    backoff_base: float = 0.5
    backoff_cap: float = 8.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_cap, self.backoff_base * (2.0 ** (attempt - 1)))
        return ceiling / 2 + self.rng.uniform(0, ceiling / 2)


def send(
    http: httpx.Client,
    policy: RetryPolicy,
    method: str,
    url: str,
    *,
    what: str,
    deadline_at: float,
    data: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Attempt:
    """One call, retried as the policy says until an answer to read, a permanent failure or the deadline."""
    attempt = 0
    while True:
        attempt += 1
        remaining = deadline_at - policy.clock()
        if remaining <= 0:
            return Attempt(failure=VerdictKind.timeout, detail=f"{what}: no time left before the deadline")
        per_call = min(policy.timeout, remaining)
        resp: httpx.Response | None = None
        try:
            resp = http.request(
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
                return Attempt(response=resp)
        rid = request_id(resp)
        if attempt >= policy.max_attempts:
            log.warning("%s gave up after %d attempts (%s)", what, attempt, kind.value)
            return Attempt(failure=kind, detail=f"{detail}, after {attempt} attempts", request_id=rid)
        hinted = retry_after(resp)
        delay = hinted if hinted is not None else policy.backoff(attempt)
        if delay >= deadline_at - policy.clock():
            log.warning("%s: next retry in %.2fs would pass the deadline (%s)", what, delay, kind.value)
            return Attempt(failure=kind, detail=f"{detail}; retrying would pass the deadline", request_id=rid)
        log.info("%s: %s on attempt %d, retrying in %.2fs", what, kind.value, attempt, delay)
        policy.sleep(delay)
