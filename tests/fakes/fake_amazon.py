"""A local fake Amazon: Login with Amazon token endpoint + the SP-API reads the bot uses.

A real threaded HTTP server on 127.0.0.1 (tests/fakes/http_server.py, port 0 by default) that
follows Amazon's documented contract, each answer with its source in a comment beside it:

- ``POST /auth/o2/token`` (form-encoded, grant_type=refresh_token): ``{"access_token": "Atza|…",
  "refresh_token": …, "token_type": "bearer", "expires_in": 3600}``; OAuth 2.0 / LWA error bodies
  ``{"error": …, "error_description": …, "request_id": …}`` (LWA puts its request id in the body):
  401 invalid_client ("Client authentication failed"), 400 invalid_grant, 400 invalid_request,
  400 unsupported_grant_type, 400 unauthorized_client ("Not authorized for requested operation",
  see ``unauthorize_client``).
- ``GET /sellers/v1/marketplaceParticipations`` with the payload of sellers.json, and
  ``GET /vendor/orders/v1/purchaseOrders`` with the payload of vendorOrders.json. Both need the
  ``x-amz-access-token`` header and answer SP-API error lists
  ``{"errors": [{"code", "message", "details"}]}`` with ``x-amzn-RequestId`` and, on errors,
  ``x-amzn-ErrorType`` headers.
- An expired client secret (180 days, or an old secret more than 7 days after a rotation) still
  gets an access token from LWA, and SP-API then answers 403 Unauthorized with details "The LWA
  secret token you provided has expired." (what sellers report Amazon answers).
- Regions: one fake serves NA, EU and FE. A request names its region by a path prefix ``/na``,
  ``/eu`` or ``/fe`` (use ``regional_sp_api_url`` as SP_API_ENDPOINT) or by its Host header
  (``sellingpartnerapi-eu.amazon.com``); a call to a region the authorization does not cover answers
  403 Unauthorized with empty details, as Amazon does. A request naming no region (``sp_api_url``)
  is served whatever the grant's region, like a regional proxy.
- ``fail_next``: 429s as Amazon sends them now (no Retry-After, no x-amzn-RateLimit-Limit), 5xx with
  a JSON, HTML, plain-text or empty body, and the 403s whose code is not "Unauthorized" that
  Amazon's gateway answers during incidents (MissingAuthenticationToken, InvalidSignature, "The
  security token included in the request is expired", an empty body with only x-amzn-ErrorType).

- Application Management (application_2023-11-30.json, Amazon's "Rotate your application's client secret"
  guide and its lwa-rotation sample): LWA's grantless grant (grant_type=client_credentials,
  scope=sellingpartnerapi::client_credential:rotation) answers ``{"access_token", "scope", "token_type",
  "expires_in"}``; ``POST /applications/2023-11-30/clientSecret`` with that token answers 204 with an empty
  body, 400 InvalidInput when the app has no rotation queue (the model's sandbox answer), 403 Unauthorized
  for a token without the scope, 429 QuotaExceeded beyond one call per ``rotation_interval`` seconds (the
  model's usage plan: 0.0167 requests per second, burst 1). A rotation sends
  APPLICATION_OAUTH_CLIENT_NEW_SECRET to the app's queue (SQS via boto3, ``enroll_rotation``) in the
  documented shape (tests/fakes/amazon_models/lwa-rotation-notifications.md, a copy of Amazon's); the old
  secret keeps working until oldClientSecretExpiryTime (7 days). ``send_secret_expiry`` sends
  APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY.

Control: Python methods, and the same operations as ``POST /__control/<name>`` with a JSON body
(``GET /__control/log`` for the request log), so an out-of-process bot or benchmark can drive it.
Run standalone with ``python -m tests.fakes.fake_amazon --port N``.

The fake never prints or logs secrets; its request log holds method, path, region and status only.
"""

from __future__ import annotations

import argparse
import json
import secrets
import signal
import string
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.amazon.client import Credentials
from bot.amazon.marketplaces import marketplace_by_id
from tests.fakes.http_server import FakeHTTPServer

TOKEN_PATH = "/auth/o2/token"
SELLERS_PATH = "/sellers/v1/marketplaceParticipations"
VENDOR_ORDERS_PATH = "/vendor/orders/v1/purchaseOrders"
CLIENT_SECRET_PATH = "/applications/2023-11-30/clientSecret"
ROTATION_SCOPE = "sellingpartnerapi::client_credential:rotation"
# The scopes LWA's grantless grant knows for SP-API (Amazon's "Connecting to the Selling Partner API":
# notifications and client-credential rotation).
GRANTLESS_SCOPES = (ROTATION_SCOPE, "sellingpartnerapi::notifications")
NOT_ENROLLED = ("InvalidInput", "Application is not enrolled for rotation notification. Please update application "
                "notification preference in Developer console.")  # application_2023-11-30.json, 400 sandbox answer
REGIONS = ("na", "eu", "fe")

SELLER_DEFAULT_ROLES = ("Product Listing", "Selling Partner Insights", "Inventory and Order Tracking")
VENDOR_DEFAULT_ROLES = ("Amazon Fulfillment",)
SELLERS_ROLES = {"Product Listing", "Selling Partner Insights"}
VENDOR_ORDERS_ROLES = {"Amazon Fulfillment", "Inventory and Order Tracking"}

# marketplace id -> (name, countryCode as the Sellers API writes it, currency, language, domain)
MARKETPLACE_INFO: dict[str, tuple[str, str, str, str, str]] = {
    "A2EUQ1WTGCTBG2": ("Amazon.ca", "CA", "CAD", "en_CA", "www.amazon.ca"),
    "ATVPDKIKX0DER": ("Amazon.com", "US", "USD", "en_US", "www.amazon.com"),
    "A1AM78C64UM0Y8": ("Amazon.com.mx", "MX", "MXN", "es_MX", "www.amazon.com.mx"),
    "A2Q3Y263D00KWC": ("Amazon.com.br", "BR", "BRL", "pt_BR", "www.amazon.com.br"),
    "A28R8C7NBKEWEA": ("Amazon.ie", "IE", "EUR", "en_IE", "www.amazon.ie"),
    "A1RKKUPIHCS9HS": ("Amazon.es", "ES", "EUR", "es_ES", "www.amazon.es"),
    "A1F83G8C2ARO7P": ("Amazon.co.uk", "GB", "GBP", "en_GB", "www.amazon.co.uk"),
    "A13V1IB3VIYZZH": ("Amazon.fr", "FR", "EUR", "fr_FR", "www.amazon.fr"),
    "AMEN7PMS3EDWL": ("Amazon.com.be", "BE", "EUR", "fr_BE", "www.amazon.com.be"),
    "A1805IZSGTT6HS": ("Amazon.nl", "NL", "EUR", "nl_NL", "www.amazon.nl"),
    "A1PA6795UKMFR9": ("Amazon.de", "DE", "EUR", "de_DE", "www.amazon.de"),
    "APJ6JRA9NG5V4": ("Amazon.it", "IT", "EUR", "it_IT", "www.amazon.it"),
    "A2NODRKZP88ZB9": ("Amazon.se", "SE", "SEK", "sv_SE", "www.amazon.se"),
    "AE08WJ6YKNBMC": ("Amazon.co.za", "ZA", "ZAR", "en_ZA", "www.amazon.co.za"),
    "A1C3SOZRARQ6R3": ("Amazon.pl", "PL", "PLN", "pl_PL", "www.amazon.pl"),
    "ARBP9OOSHTCHU": ("Amazon.eg", "EG", "EGP", "ar_EG", "www.amazon.eg"),
    "A33AVAJ2PDY3EV": ("Amazon.com.tr", "TR", "TRY", "tr_TR", "www.amazon.com.tr"),
    "A17E79C6D8DWNP": ("Amazon.sa", "SA", "SAR", "ar_SA", "www.amazon.sa"),
    "A2VIGQ35RCS4UG": ("Amazon.ae", "AE", "AED", "ar_AE", "www.amazon.ae"),
    "A21TJRUUN4KGV": ("Amazon.in", "IN", "INR", "en_IN", "www.amazon.in"),
    "A19VAU5U5O7RUS": ("Amazon.sg", "SG", "SGD", "en_SG", "www.amazon.sg"),
    "A39IBJ37TRP1C6": ("Amazon.com.au", "AU", "AUD", "en_AU", "www.amazon.com.au"),
    "A1VC38T7YXB528": ("Amazon.co.jp", "JP", "JPY", "ja_JP", "www.amazon.co.jp"),
}

# LWA's error bodies (RFC 6749 section 5.2 shape). The descriptions are the ones sellers quote, e.g.
# amzn/selling-partner-api-models#921 (invalid_grant) and jlevers/selling-partner-api#20 and #31
# (unauthorized_client, "400 Bad Request"); amzn/selling-partner-api-models#4480 shows a real body with
# its "request_id" beside "error" and "error_description".
LWA_ERRORS = {
    "invalid_client": (401, "Client authentication failed"),
    "invalid_grant": (400, "The request has an invalid grant parameter : refresh_token"),
    "unauthorized_client": (400, "Not authorized for requested operation"),
    "unsupported_grant_type": (400, "The authorization grant type is not supported by the authorization server"),
}

SP_UNAUTHORIZED = ("Unauthorized", "Access to requested resource is denied.")
DETAIL_MISSING_TOKEN = "Access token is missing in the request header."
DETAIL_BAD_TOKEN = "The access token you provided is revoked, malformed or invalid."
DETAIL_EXPIRED_TOKEN = "The access token you provided has expired."
DETAIL_SECRET_EXPIRED = "The LWA secret token you provided has expired."
# The gateway's error type on an Unauthorized 403 ("Parse SP-API Responses",
# developer-docs.amazon.com/sp-api/docs/response-format, gives "x-amzn-ErrorType: AccessDeniedException").
SP_UNAUTHORIZED_TYPE = "AccessDeniedException"

# 403s from SP-API's gateway whose code is not "Unauthorized": (code, message, x-amzn-ErrorType). None of
# them says anything about the seller's credentials.
SP_GATEWAY_403 = {
    # amzn/selling-partner-api-docs#304: 403, x-amzn-ErrorType MissingAuthenticationTokenException, body
    # {"errors": [{"message": "Access to requested resource is denied.", "code": "MissingAuthenticationToken"}]}.
    "missing_authentication_token": (
        "MissingAuthenticationToken", "Access to requested resource is denied.", "MissingAuthenticationTokenException"
    ),
    # penghaiping/amazon-sp-api#9 (the message) and API Gateway's INVALID_SIGNATURE gateway response.
    "invalid_signature": (
        "InvalidSignature",
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details.",
        "InvalidSignatureException",
    ),
    # amzn/selling-partner-api-docs#3153 and amzn/selling-partner-api-models#2595: on 2023-05-27, 21:30-21:55 GMT,
    # every SP-API call of thousands of sellers got "403 Unauthorized The security token included in the request
    # is expired" (API Gateway's EXPIRED_TOKEN gateway response); it cleared by itself.
    "security_token_expired": (
        "Unauthorized", "The security token included in the request is expired", "ExpiredTokenException"
    ),
}


# --------------------------------------------------------------------------------------------
# Test credentials


def _token_chars(n: int) -> str:
    alphabet = string.ascii_letters + string.digits + "-_"
    return "".join(secrets.choice(alphabet) for _ in range(n))


def make_credentials(**overrides: Any) -> Credentials:
    """Real-shaped, freshly generated credentials. Any Credentials field can be overridden."""
    account_type = overrides.get("account_type", "seller")
    if account_type == "vendor":
        sp_id = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(5))
    else:
        sp_id = "A" + "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(13))
    values: dict[str, Any] = {
        "account_type": account_type,
        "selling_partner_id": sp_id,
        "client_id": "amzn1.application-oa2-client." + secrets.token_hex(16),
        "client_secret": "amzn1.oa2-cs.v1." + secrets.token_hex(32),
        "refresh_token": "Atzr|IwEB" + _token_chars(300),
        "marketplace_id": "ATVPDKIKX0DER",
    }
    values.update(overrides)
    return Credentials(**values)


def credential_fields(creds: Credentials, connection_name: str = "US Main Store") -> dict[str, str]:
    """The connect-form fields (validators.FIELD_KEYS) for ``creds``."""
    return {
        "account_type": creds.account_type,
        "selling_partner_id": creds.selling_partner_id,
        "client_id": creds.client_id,
        "client_secret": creds.client_secret,
        "refresh_token": creds.refresh_token,
        "marketplace": creds.marketplace_id,
        "connection_name": connection_name,
    }


# --------------------------------------------------------------------------------------------
# State


@dataclass
class _App:
    client_id: str
    secret: str
    secret_expired: bool = False
    unauthorized: bool = False  # LWA answers unauthorized_client for this app
    old_secrets: dict[str, bool] = field(default_factory=dict)  # old secret -> still in its grace period
    rotation_queue: tuple[str, str | None, str] | None = None  # (queue URL, SQS endpoint URL, AWS region)
    last_rotation: float | None = None  # time.monotonic() of the last accepted rotation call
    rotations: int = 0


@dataclass
class _Grant:
    refresh_token: str
    client_id: str
    account_type: str
    selling_partner_id: str
    marketplaces: list[str]
    store_name: str
    roles: set[str]
    revoked: bool = False

    @property
    def region(self) -> str | None:
        for mid in self.marketplaces:
            m = marketplace_by_id(mid)
            if m is not None:
                return m.region.lower()
        return None


@dataclass
class _AccessToken:
    client_id: str
    secret: str
    refresh_token: str
    expires_at: datetime


@dataclass
class _Failure:
    status: int
    retry_after: float | str | None
    path: str | None
    body: str = "json"  # json | html | text | empty
    error: str | None = None  # for a 403: a key of SP_GATEWAY_403


class FakeAmazon:
    """The fake. ``with FakeAmazon() as fake:`` starts it; ``fake.url`` is its base URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, token_lifetime: int = 3600) -> None:
        self._host = host
        self._port = port
        self.token_lifetime = token_lifetime
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._apps: dict[str, _App] = {}
        self._grants: dict[str, _Grant] = {}
        self._access: dict[str, _AccessToken] = {}
        self._failures: list[_Failure] = []
        self._grantless: dict[str, tuple[str, str, datetime]] = {}  # access token -> (client id, scope, expiry)
        self.rotation_interval = 60.0  # seconds between accepted rotation calls per app (usage plan 0.0167/s)
        self._latency: dict[str | None, float] = {}
        self._log: list[dict[str, Any]] = []

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeAmazon:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = FakeHTTPServer((self._host, self._port), handler)
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-amazon", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping on injected latency
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FakeAmazon:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the fake first"
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def sp_api_url(self) -> str:
        return self.url

    @property
    def regional_sp_api_url(self) -> str:
        """SP_API_ENDPOINT value that keeps the regions apart (``{region}`` becomes na/eu/fe)."""
        return self.url + "/{region}"

    # -- control ----------------------------------------------------------------------------

    def register_credentials(
        self,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        account_type: str = "seller",
        selling_partner_id: str = "A1EXAMPLESELLER",
        marketplaces: list[str] | tuple[str, ...] = ("ATVPDKIKX0DER",),
        store_name: str = "Example Store",
        roles: list[str] | tuple[str, ...] | set[str] | None = None,
    ) -> None:
        if roles is None:
            roles = VENDOR_DEFAULT_ROLES if account_type == "vendor" else SELLER_DEFAULT_ROLES
        with self._lock:
            app = self._apps.get(client_id)
            if app is None or app.secret != client_secret:
                self._apps[client_id] = _App(client_id, client_secret)
            self._grants[refresh_token] = _Grant(
                refresh_token, client_id, account_type, selling_partner_id, list(marketplaces), store_name, set(roles)
            )

    def register(self, creds: Credentials, **kwargs: Any) -> Credentials:
        """Register ``creds`` (marketplaces default to its own marketplace)."""
        kwargs.setdefault("marketplaces", [creds.marketplace_id])
        self.register_credentials(
            creds.client_id,
            creds.client_secret,
            creds.refresh_token,
            account_type=creds.account_type,
            selling_partner_id=creds.selling_partner_id,
            **kwargs,
        )
        return creds

    def revoke_refresh_token(self, refresh_token: str) -> None:
        with self._lock:
            grant = self._grants.get(refresh_token)
            if grant is not None:
                grant.revoked = True

    def reauthorize(self, old_refresh_token: str, new_refresh_token: str) -> None:
        """A newer authorization supersedes the old refresh token."""
        with self._lock:
            old = self._grants[old_refresh_token]
            old.revoked = True
            self._grants[new_refresh_token] = _Grant(
                new_refresh_token,
                old.client_id,
                old.account_type,
                old.selling_partner_id,
                list(old.marketplaces),
                old.store_name,
                set(old.roles),
            )

    def rotate_secret(self, client_id: str, new_secret: str, old_valid: bool = True) -> None:
        """Rotate the app's secret. ``old_valid=False`` means the 7-day grace period is over."""
        with self._lock:
            app = self._apps[client_id]
            app.old_secrets[app.secret] = old_valid
            app.secret = new_secret
            app.secret_expired = False

    # -- Application Management: rotation through the API and its notifications ------------------------

    def enroll_rotation(self, client_id: str, queue_url: str, endpoint_url: str | None = None,
                        region: str = "us-east-1") -> None:
        """Developer Central's Notification preferences: both rotation rows of the app send to ``queue_url``
        (an SQS queue at ``endpoint_url``, e.g. a local moto server)."""
        with self._lock:
            self._apps[client_id].rotation_queue = (queue_url, endpoint_url, region)

    def set_rotation_interval(self, seconds: float) -> None:
        with self._lock:
            self.rotation_interval = float(seconds)

    def rotation_count(self, client_id: str) -> int:
        with self._lock:
            return self._apps[client_id].rotations

    def current_secret(self, client_id: str) -> str:
        """The app's current client secret (for tests to compare what the bot stored)."""
        with self._lock:
            return self._apps[client_id].secret

    def send_secret_expiry(self, client_id: str, expires_at: datetime | str, reason: str = "PERIODIC_ROTATION",
                           notification_id: str | None = None) -> str:
        """Amazon's APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY to the app's queue; returns its notificationId."""
        if isinstance(expires_at, str):
            expires_at = _parse_iso(expires_at)
        payload = {"applicationOAuthClientSecretExpiry": {
            "clientId": client_id, "clientSecretExpiryTime": _iso_ms(expires_at), "clientSecretExpiryReason": reason}}
        return self._notify(client_id, "APPLICATION_OAUTH_CLIENT_SECRET_EXPIRY", payload, notification_id)

    def send_new_secret(self, client_id: str, new_secret: str, new_expires_at: datetime, old_expires_at: datetime,
                        notification_id: str | None = None) -> str:
        """Amazon's APPLICATION_OAUTH_CLIENT_NEW_SECRET to the app's queue (``rotate`` sends it by itself; a test
        sends one by hand for a secret Amazon does not know)."""
        payload = {"applicationOAuthClientNewSecret": {
            "clientId": client_id, "newClientSecret": new_secret, "newClientSecretExpiryTime": _iso_ms(new_expires_at),
            "oldClientSecretExpiryTime": _iso_ms(old_expires_at)}}
        return self._notify(client_id, "APPLICATION_OAUTH_CLIENT_NEW_SECRET", payload, notification_id)

    def notification_body(self, client_id: str, notification_type: str, payload: dict[str, Any],
                          notification_id: str | None = None) -> str:
        """The SQS message body Amazon sends: the notification JSON (lwa-rotation-notifications.md)."""
        now = datetime.now(UTC)
        return json.dumps({
            "notificationVersion": "1.0",
            "notificationType": notification_type,
            "payloadVersion": "2023-11-30",
            "eventTime": _iso_ms(now),
            "payload": payload,
            "notificationMetadata": {
                "applicationId": "amzn1.sp.solution." + client_id.rsplit(".", 1)[-1][:32],
                "subscriptionId": str(uuid.uuid4()),
                "publishTime": _iso_ms(now),
                "notificationId": notification_id or str(uuid.uuid4()),
            },
        })

    def _notify(self, client_id: str, notification_type: str, payload: dict[str, Any],
                notification_id: str | None) -> str:
        import boto3

        with self._lock:
            target = self._apps[client_id].rotation_queue
        if target is None:
            raise ValueError(f"app {client_id} has no rotation queue (enroll_rotation first)")
        queue_url, endpoint_url, region = target
        notification_id = notification_id or str(uuid.uuid4())
        body = self.notification_body(client_id, notification_type, payload, notification_id)
        sqs = boto3.client("sqs", endpoint_url=endpoint_url, region_name=region)
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        finally:
            sqs.close()
        return notification_id

    def end_grace_period(self, client_id: str) -> None:
        with self._lock:
            app = self._apps[client_id]
            for old in app.old_secrets:
                app.old_secrets[old] = False

    def expire_secret(self, client_id: str, where: str = "sp_api") -> None:
        """The current secret passed its 180 days: LWA still issues tokens, SP-API answers 403 with details
        "The LWA secret token you provided has expired." (as sellers see it). ``where`` is kept for callers;
        only "sp_api" exists (the LWA-side refusal this fake once modelled was invented)."""
        if where != "sp_api":
            raise ValueError("an expired client secret is refused by SP-API (where='sp_api'), not by LWA")
        with self._lock:
            self._apps[client_id].secret_expired = True

    def unauthorize_client(self, client_id: str) -> None:
        """LWA knows the app but no longer lets it use the refresh-token grant: 400 unauthorized_client."""
        with self._lock:
            self._apps[client_id].unauthorized = True

    def set_roles(self, refresh_token: str, roles: list[str] | tuple[str, ...] | set[str]) -> None:
        with self._lock:
            self._grants[refresh_token].roles = set(roles)

    def expire_access_tokens(self) -> None:
        with self._lock:
            past = datetime.now(UTC) - timedelta(seconds=1)
            for tok in self._access.values():
                tok.expires_at = past

    def set_latency(self, seconds: float, path: str | None = None) -> None:
        """Delay every answer (or only answers for ``path``) by ``seconds``; 0 removes it."""
        with self._lock:
            if seconds <= 0:
                self._latency.pop(path, None)
            else:
                self._latency[path] = float(seconds)

    def hang(self, seconds: float = 3600.0, path: str | None = None) -> None:
        """Answer nothing for a long time (until stop())."""
        self.set_latency(seconds, path)

    def fail_next(
        self,
        n: int,
        status: int = 429,
        retry_after: float | str | None = None,
        path: str | None = None,
        body: str = "json",
        error: str | None = None,
    ) -> None:
        """Answer the next ``n`` requests (to ``path`` if given) with ``status``.

        - 429: as Amazon answers now, without Retry-After and without x-amzn-RateLimit-Limit.
          ``retry_after`` adds a Retry-After header Amazon does not send (for the client's support of it).
        - 5xx: ``body`` "json" (Amazon's error list), "html", "text" or "empty".
        - 403 (SP-API paths only): ``error`` one of SP_GATEWAY_403; ``body="empty"`` sends no body, only the
          x-amzn-ErrorType header.
        """
        if status not in (403, 429, 500, 502, 503, 504):
            raise ValueError("status must be 403, 429 or 5xx")
        if body not in ("json", "html", "text", "empty"):
            raise ValueError("body must be json, html, text or empty")
        if status == 403:
            if error not in SP_GATEWAY_403:
                raise ValueError(f"a 403 needs error= one of {sorted(SP_GATEWAY_403)}")
            if path == TOKEN_PATH:
                raise ValueError("these 403s come from SP-API's gateway, not from LWA")
        elif error is not None:
            raise ValueError("error= is for status 403")
        with self._lock:
            self._failures.extend(_Failure(status, retry_after, path, body, error) for _ in range(n))

    def reset(self) -> None:
        with self._lock:
            self._reset_state()

    def calls(self, path: str | None = None) -> int:
        """How many requests reached ``path`` (region prefix removed), or all paths."""
        with self._lock:
            if path is None:
                return len(self._log)
            return sum(1 for r in self._log if r["path"] == path)

    def request_log(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self._log]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(Counter(r["path"] for r in self._log))

    # -- behaviour (called by the handler) -------------------------------------------------

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            for i, f in enumerate(self._failures):
                if f.status == 403 and path == TOKEN_PATH:
                    continue  # a gateway 403 belongs to SP-API
                if f.path is None or f.path == path:
                    return self._failures.pop(i)
        return None

    def _latency_for(self, path: str) -> float:
        with self._lock:
            return self._latency.get(path, self._latency.get(None, 0.0))

    def _record(self, method: str, path: str, region: str | None, status: int) -> None:
        with self._lock:
            self._log.append({"method": method, "path": path, "region": region, "status": status})

    def _lwa(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        def error(code: str, description: str | None = None) -> tuple[int, dict[str, Any]]:
            status, default = LWA_ERRORS.get(code, (400, ""))
            return status, _lwa_error(code, description or default)

        grant_type = form.get("grant_type")
        if not grant_type:
            return error("invalid_request", "The request is missing a required parameter : grant_type")
        if grant_type not in ("refresh_token", "client_credentials", "authorization_code"):
            return error("unsupported_grant_type")
        if grant_type == "client_credentials":
            return self._lwa_grantless(form, error)
        if grant_type != "refresh_token":
            return error("invalid_request", "The fake only implements the refresh_token and client_credentials grants")
        for name in ("refresh_token", "client_id"):
            if not form.get(name):
                return error("invalid_request", f"The request is missing a required parameter : {name}")
        client_id, secret, rt = form["client_id"], form.get("client_secret", ""), form["refresh_token"]
        with self._lock:
            app = self._apps.get(client_id)
            if app is None:
                return error("invalid_client")
            if secret != app.secret and secret not in app.old_secrets:
                return error("invalid_client")
            if app.unauthorized:
                return error("unauthorized_client")
            grant = self._grants.get(rt)
            if grant is None or grant.revoked or grant.client_id != client_id:
                return error("invalid_grant")
            token = "Atza|" + _token_chars(200)
            self._access[token] = _AccessToken(
                client_id, secret, rt, datetime.now(UTC) + timedelta(seconds=self.token_lifetime)
            )
        return 200, {
            "access_token": token,
            "refresh_token": rt,
            "token_type": "bearer",
            "expires_in": self.token_lifetime,
        }

    def _lwa_grantless(self, form: dict[str, str], error: Any) -> tuple[int, dict[str, Any]]:
        """LWA's client_credentials grant (Amazon's "Connecting to the Selling Partner API", grantless
        operations): form grant_type, scope, client_id, client_secret; the answer has no refresh token."""
        for name in ("scope", "client_id"):
            if not form.get(name):
                return error("invalid_request", f"The request is missing a required parameter : {name}")
        client_id, secret, scope = form["client_id"], form.get("client_secret", ""), form["scope"]
        with self._lock:
            app = self._apps.get(client_id)
            if app is None or (secret != app.secret and not app.old_secrets.get(secret, False)):
                return error("invalid_client")
            if scope not in GRANTLESS_SCOPES:
                return 400, _lwa_error("invalid_scope", "The request has an invalid parameter : scope")
            if app.unauthorized:
                return error("unauthorized_client")
            token = "Atza|" + _token_chars(200)
            self._grantless[token] = (client_id, scope, datetime.now(UTC) + timedelta(seconds=self.token_lifetime))
        return 200, {"access_token": token, "scope": scope, "token_type": "bearer", "expires_in": self.token_lifetime}

    def _rotate_via_api(self, token: str | None) -> tuple[int, Any, dict[str, str]]:
        """``rotateApplicationClientSecret`` (application_2023-11-30.json)."""
        limit = {"x-amzn-RateLimit-Limit": "0.0167"}
        denied = {"x-amzn-ErrorType": SP_UNAUTHORIZED_TYPE}
        if not token:
            return 403, _sp_error(*SP_UNAUTHORIZED, DETAIL_MISSING_TOKEN), denied
        with self._lock:
            held = self._grantless.get(token)
            if held is None:
                # A token from the refresh-token grant (or none Amazon issued) does not carry the rotation scope.
                return 403, _sp_error(*SP_UNAUTHORIZED, "" if token in self._access else DETAIL_BAD_TOKEN), denied
            client_id, scope, expires = held
            if expires <= datetime.now(UTC):
                return 403, _sp_error(*SP_UNAUTHORIZED, DETAIL_EXPIRED_TOKEN), denied
            if scope != ROTATION_SCOPE:
                return 403, _sp_error(*SP_UNAUTHORIZED, ""), denied
            app = self._apps[client_id]
            if app.rotation_queue is None:
                return 400, _sp_error(*NOT_ENROLLED, None), limit
            now = time.monotonic()
            if app.last_rotation is not None and now - app.last_rotation < self.rotation_interval:
                # amzn/selling-partner-api-docs#86: Amazon's 429 has no Retry-After and no rate-limit header.
                code, message = SP_FAILURE_BODIES[429]
                return 429, _sp_error(code, message, None), {"x-amzn-ErrorType": "TooManyRequestsException"}
            app.last_rotation = now
            app.rotations += 1
            new_secret = "amzn1.oa2-cs.v1." + secrets.token_hex(32)
            app.old_secrets[app.secret] = True  # valid until oldClientSecretExpiryTime
            app.secret = new_secret
            app.secret_expired = False
        # The new secret reaches the developer only through the queue (the answer is empty).
        now_dt = datetime.now(UTC)
        self.send_new_secret(client_id, new_secret, now_dt + timedelta(days=180), now_dt + timedelta(days=7))
        return 204, _Raw(b"", ""), limit

    def _authorize_sp(self, token: str | None, region: str | None) -> tuple[_Grant | None, str | None]:
        """(grant, None) when the access token is good, else (None, details for the 403)."""
        if not token:
            return None, DETAIL_MISSING_TOKEN
        with self._lock:
            at = self._access.get(token)
            if at is None:
                return None, DETAIL_BAD_TOKEN
            if at.expires_at <= datetime.now(UTC):
                return None, DETAIL_EXPIRED_TOKEN
            grant = self._grants.get(at.refresh_token)
            app = self._apps.get(at.client_id)
            if grant is None or grant.revoked or app is None:
                return None, DETAIL_BAD_TOKEN
            if at.secret == app.secret and app.secret_expired:
                return None, DETAIL_SECRET_EXPIRED
            if at.secret != app.secret and not app.old_secrets.get(at.secret, False):
                return None, DETAIL_SECRET_EXPIRED
            if region is not None and grant.region is not None and region != grant.region:
                return None, ""
            return grant, None

    def _sellers(self, grant: _Grant) -> tuple[int, dict[str, Any]]:
        if grant.account_type != "seller" or not (grant.roles & SELLERS_ROLES):
            return 403, _sp_error(*SP_UNAUTHORIZED, "")
        payload = []
        for mid in grant.marketplaces:
            name, country, currency, language, domain = MARKETPLACE_INFO[mid]
            payload.append(
                {
                    "marketplace": {
                        "id": mid,
                        "name": name,
                        "countryCode": country,
                        "defaultCurrencyCode": currency,
                        "defaultLanguageCode": language,
                        "domainName": domain,
                    },
                    "participation": {"isParticipating": True, "hasSuspendedListings": False},
                    "storeName": grant.store_name,
                }
            )
        return 200, {"payload": payload}

    def _vendor_orders(self, grant: _Grant, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if grant.account_type != "vendor" or not (grant.roles & VENDOR_ORDERS_ROLES):
            return 403, _sp_error(*SP_UNAUTHORIZED, "")
        try:
            limit = int(query.get("limit", "100"))
            after = _parse_iso(query["createdAfter"]) if "createdAfter" in query else None
            before = _parse_iso(query["createdBefore"]) if "createdBefore" in query else None
        except ValueError:
            return 400, _sp_error("InvalidInput", "Request has missing or invalid parameters and cannot be parsed.", "")
        if not 1 <= limit <= 100:
            return 400, _sp_error("InvalidInput", "limit must be between 1 and 100.", "")
        if after is not None and before is not None and (before < after or before - after > timedelta(days=7)):
            return 400, _sp_error("InvalidInput", "The date range must not exceed 7 days.", "")
        return 200, {"payload": {"orders": []}}


def _iso_ms(when: datetime) -> str:
    """Amazon's notification timestamps: ISO 8601 UTC with milliseconds and a Z (2024-03-03T22:06:39.224Z)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_iso(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        raise ValueError("timezone required")
    return dt


def _sp_error(code: str, message: str, details: str | None) -> dict[str, Any]:
    error = {"code": code, "message": message}
    if details is not None:
        error["details"] = details
    return {"errors": [error]}


def _unknown_resource() -> tuple[int, dict[str, Any], dict[str, str]]:
    """SP-API's gateway answers a path it does not know with a 403 MissingAuthenticationToken, not a 404
    (amzn/selling-partner-api-docs#304: POST /auth/o2/token sent to an SP-API host got exactly this)."""
    code, message, error_type = SP_GATEWAY_403["missing_authentication_token"]
    return 403, _sp_error(code, message, None), {"x-amzn-ErrorType": error_type}


def _lwa_error(code: str, description: str) -> dict[str, Any]:
    # amzn/selling-partner-api-models#4480: LWA's error body carries its request id.
    return {"error_description": description, "error": code, "request_id": str(uuid.uuid4())}


# Bodies of 5xx answers that do not come from SP-API itself (a load balancer or gateway in front of it).
HTML_5XX = "<html><head><title>{status}</title></head><body><center><h1>{status}</h1></center></body></html>"
TEXT_5XX = "{status}: the service is temporarily unavailable, please retry"

SP_FAILURE_BODIES = {
    # amzn/selling-partner-api-docs#86: a real 429 (x-amzn-ErrorType TooManyRequestsException, no Retry-After,
    # no x-amzn-RateLimit-Limit) whose only error has no "details".
    429: ("QuotaExceeded", "You exceeded your quota for the requested resource."),
    500: ("InternalFailure", "We encountered an internal error. Please try again."),
    502: ("InternalFailure", "We encountered an internal error. Please try again."),
    503: ("ServiceUnavailable", "Service temporarily unavailable. Please try again."),
    504: ("InternalFailure", "We encountered an internal error. Please try again."),
}
LWA_FAILURE_BODIES = {
    429: ("slow_down", "Too many requests"),
    500: ("server_error", "The authorization server encountered an unexpected condition"),
    502: ("server_error", "The authorization server encountered an unexpected condition"),
    503: ("temporarily_unavailable", "The authorization server is temporarily unavailable"),
    504: ("server_error", "The authorization server encountered an unexpected condition"),
}


@dataclass(frozen=True)
class _Raw:
    """A body sent as is (HTML, plain text, empty), not as JSON."""

    data: bytes
    content_type: str


class _Handler(BaseHTTPRequestHandler):
    fake: FakeAmazon
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "FakeAmazon/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silent: request lines are not secrets, but nothing here needs printing."""

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None, *, request_id: bool = True
                   ) -> None:
        if isinstance(body, _Raw):
            raw, ctype = body.data, body.content_type
        else:
            raw, ctype = json.dumps(body).encode(), "application/json"
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(raw)))
        if request_id:  # SP-API's gateway names every request in x-amzn-RequestId; LWA puts it in its body
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _route(self) -> tuple[str, str | None, dict[str, str]]:
        parts = urlsplit(self.path)
        path, region = parts.path, None
        for r in REGIONS:
            if path.startswith(f"/{r}/"):
                path, region = path[len(r) + 1 :], r
                break
        if region is None:
            # SP-API's regional hosts (developer-docs.amazon.com/sp-api/docs/sp-api-endpoints):
            # sellingpartnerapi-na/-eu/-fe.amazon.com, and their sandbox.* twins.
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            for r in REGIONS:
                if host in (f"sellingpartnerapi-{r}.amazon.com", f"sandbox.sellingpartnerapi-{r}.amazon.com"):
                    region = r
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        return path, region, query

    def _maybe_fail_or_wait(self, path: str) -> tuple[int, Any, dict[str, str]] | None:
        delay = self.fake._latency_for(path)
        if delay > 0 and self.fake._stopping.wait(delay):
            return 503, {"error": "shutting_down"}, {}
        failure = self.fake._take_failure(path)
        if failure is None:
            return None
        status = failure.status
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
        if status == 403:
            assert failure.error is not None
            code, message, error_type = SP_GATEWAY_403[failure.error]
            headers["x-amzn-ErrorType"] = error_type
            if failure.body == "empty":
                return status, _Raw(b"", ""), headers
            return status, _sp_error(code, message, None), headers
        if status >= 500 and failure.body != "json":
            reason = f"{status} {HTTPStatus(status).phrase}"
            if failure.body == "html":
                return status, _Raw(HTML_5XX.format(status=reason).encode(), "text/html"), headers
            if failure.body == "text":
                return status, _Raw(TEXT_5XX.format(status=reason).encode(), "text/plain"), headers
            return status, _Raw(b"", ""), headers
        if path == TOKEN_PATH:
            code, desc = LWA_FAILURE_BODIES[status]
            return status, _lwa_error(code, desc), headers
        code, message = SP_FAILURE_BODIES[status]
        if status == 429:
            # amzn/selling-partner-api-docs#86: Amazon's 429 carries neither Retry-After nor
            # x-amzn-RateLimit-Limit, and its error has no "details".
            headers["x-amzn-ErrorType"] = "TooManyRequestsException"
            return status, _sp_error(code, message, None), headers
        return status, _sp_error(code, message, ""), headers

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        path, region, _ = self._route()
        body = self._body()
        if path.startswith("/__control/"):
            self._control(path[len("/__control/") :], body)
            return
        injected = self._maybe_fail_or_wait(path)
        if injected is not None:
            status, payload, headers = injected
            if path == TOKEN_PATH:
                self.fake._record("POST", path, region, status)
                self._send_json(status, payload, headers, request_id=False)
                return
        elif path == TOKEN_PATH:
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            form = {}
            if ctype == "application/x-www-form-urlencoded":
                form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            status, payload = self.fake._lwa(form)
            headers = {"Cache-Control": "no-cache, no-store", "Pragma": "no-cache"}
            self.fake._record("POST", path, region, status)
            self._send_json(status, payload, headers, request_id=False)
            return
        elif path == CLIENT_SECRET_PATH:
            status, payload, headers = self.fake._rotate_via_api(self.headers.get("x-amz-access-token"))
        else:
            status, payload, headers = _unknown_resource()
        self.fake._record("POST", path, region, status)
        self._send_json(status, payload, headers)

    def do_GET(self) -> None:  # noqa: N802
        path, region, query = self._route()
        if path == "/__control/log":
            self._send_json(200, {"requests": self.fake.request_log(), "counts": self.fake.counts()})
            return
        injected = self._maybe_fail_or_wait(path)
        headers: dict[str, str] = {}
        if injected is not None:
            status, payload, headers = injected
        elif path in (SELLERS_PATH, VENDOR_ORDERS_PATH):
            grant, denial = self.fake._authorize_sp(self.headers.get("x-amz-access-token"), region)
            if grant is None:
                status, payload = 403, _sp_error(*SP_UNAUTHORIZED, denial or "")
            elif path == SELLERS_PATH:
                status, payload = self.fake._sellers(grant)
                headers = {"x-amzn-RateLimit-Limit": "0.016"}
            else:
                status, payload = self.fake._vendor_orders(grant, query)
                headers = {"x-amzn-RateLimit-Limit": "10.0"}
            if status == 403:
                headers = {"x-amzn-ErrorType": SP_UNAUTHORIZED_TYPE}
        else:
            status, payload, headers = _unknown_resource()
        self.fake._record("GET", path, region, status)
        self._send_json(status, payload, headers)

    _CONTROL = {
        "register": "register_credentials",
        "register_credentials": "register_credentials",
        "revoke_refresh_token": "revoke_refresh_token",
        "reauthorize": "reauthorize",
        "rotate_secret": "rotate_secret",
        "end_grace_period": "end_grace_period",
        "expire_secret": "expire_secret",
        "unauthorize_client": "unauthorize_client",
        "set_roles": "set_roles",
        "expire_access_tokens": "expire_access_tokens",
        "set_latency": "set_latency",
        "hang": "hang",
        "fail_next": "fail_next",
        "enroll_rotation": "enroll_rotation",
        "set_rotation_interval": "set_rotation_interval",
        "send_secret_expiry": "send_secret_expiry",
        "reset": "reset",
    }

    def _control(self, name: str, body: bytes) -> None:
        method = self._CONTROL.get(name)
        if method is None:
            self._send_json(404, {"error": f"unknown control {name}"})
            return
        try:
            kwargs = json.loads(body or b"{}")
            if not isinstance(kwargs, dict):
                raise ValueError("body must be a JSON object")
            getattr(self.fake, method)(**kwargs)
        except (ValueError, TypeError, KeyError) as exc:
            self._send_json(400, {"error": type(exc).__name__, "message": str(exc)[:200]})
            return
        self._send_json(200, {"ok": True})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the local fake Amazon (LWA + SP-API).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    fake = FakeAmazon(args.host, args.port).start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(f"fake Amazon listening on {fake.url} (token URL {fake.token_url})", flush=True)
    done.wait()
    fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
