"""Login with Amazon: the refresh-token exchange (POST ``lwa_token_url`` form-encoded: grant_type=refresh_token,
refresh_token, client_id, client_secret) that gives an access token (Atza|…), and the in-memory cache of those
tokens. Nothing here logs, raises or reprs a secret."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable
from itertools import islice

import httpx

from bot.amazon.credentials import Credentials
from bot.amazon.http import RetryPolicy, json_body, request_id, send
from bot.amazon.verdicts import Verdict, VerdictKind

log = logging.getLogger("bot.amazon")

DEFAULT_LWA_TOKEN_URL = "https://api.amazon.com/auth/o2/token"
# Forget a cached access token this long before Amazon says it expires.
TOKEN_EXPIRY_MARGIN = 60.0
EXPIRE_SCAN = 64  # expired tokens dropped per remember() at most (from the oldest)


class TokenCache:
    """Access tokens by credentials, until shortly before they expire. Thread-safe."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(creds: Credentials) -> str:
        # The secret is part of the key so that a wrong secret can never ride on a cached token.
        digest = hashlib.sha256(
            "\0".join((creds.client_id, creds.refresh_token, creds.client_secret)).encode()
        ).hexdigest()
        return f"{creds.client_id}:{digest}"

    def get(self, creds: Credentials) -> str | None:
        key = self._key(creds)
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

    def remember(self, creds: Credentials, token: str, expires_in: float) -> None:
        expires = self._clock() + max(0.0, expires_in - TOKEN_EXPIRY_MARGIN)
        key = self._key(creds)
        with self._lock:
            now = self._clock()
            # The dict keeps insertion order, and Amazon gives every token the same lifetime: the oldest
            # entries expire first, so expired ones are dropped from the front until one still lives (a
            # sweep remembering thousands of tokens no longer walks them all for each new one).
            for k, (_, exp) in list(islice(self._tokens.items(), EXPIRE_SCAN)):
                if exp > now:
                    break
                del self._tokens[k]
            self._tokens.pop(key, None)  # a renewed token moves to the end, with the newest
            self._tokens[key] = (token, expires)

    def forget(self, creds: Credentials) -> None:
        with self._lock:
            self._tokens.pop(self._key(creds), None)

    def count(self) -> int:
        """How many unexpired access tokens are held."""
        now = self._clock()
        with self._lock:
            return sum(1 for _, expires in self._tokens.values() if expires > now)

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


def exchange(
    http: httpx.Client, policy: RetryPolicy, token_url: str, creds: Credentials, deadline_at: float,
    cache: TokenCache,
) -> str | Verdict:
    """The access token for ``creds`` (remembered in ``cache``), or the verdict saying why LWA refused."""
    got = exchange_grant(http, policy, token_url, creds, deadline_at)
    if isinstance(got, Verdict):
        return got
    token, expires_in = got
    cache.remember(creds, token, expires_in)
    return token


def exchange_grant(
    http: httpx.Client, policy: RetryPolicy, token_url: str, creds: Credentials, deadline_at: float,
) -> tuple[str, float] | Verdict:
    """(access token, seconds it lives as LWA says, 3600 when it does not), or the verdict saying why not."""
    data = {
        "grant_type": "refresh_token",
        "refresh_token": creds.refresh_token,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
    }
    att = send(http, policy, "POST", token_url, what="LWA token exchange", deadline_at=deadline_at, data=data)
    if att.failure is not None:
        return Verdict(att.failure, request_id=att.request_id, detail=att.detail)
    resp = att.response
    assert resp is not None
    body = json_body(resp)
    rid = request_id(resp)
    if resp.status_code == 200:
        token = body.get("access_token")
        if not isinstance(token, str) or not token:
            return Verdict(VerdictKind.unexpected, request_id=rid, detail="LWA answered 200 without a token")
        expires_in = body.get("expires_in", 3600)
        if not isinstance(expires_in, int | float) or isinstance(expires_in, bool):
            expires_in = 3600
        return token, float(expires_in)
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
