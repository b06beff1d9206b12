"""The tools' HTTP API (issue 15): FastAPI, served by the bot's own waitress server through ``a2wsgi``.

Why FastAPI: it generates the OpenAPI 3 document (``GET /v1/openapi.json``) from the pydantic models in
``bot.api.models`` and the routes below, so the document cannot drift from the code. It is an ASGI app; the
bot's server is WSGI (waitress, ``bot.server.BotWSGI``), which hands every ``/v1/…`` request to
``a2wsgi.ASGIMiddleware`` (one event loop thread). The routes are plain ``def`` functions, so Starlette runs them
in its worker threads: the database, the single-flight wait and the Amazon call block a thread, never the loop.

Every request, in order:

1. ``Authorization: Bearer amzc_…`` of the key's shape, else 401 ``unauthorized`` (with WWW-Authenticate),
   before anything touches the database;
2. the key's rate limit (``API_RATE_LIMIT`` requests a minute; a token bucket per key and replica, keyed by the
   key's HMAC), else 429 ``rate_limited`` with Retry-After;
3. the key itself (``bot.flows.tool_keys.KeyChecker``: unknown or revoked is 401);
4. the connection, by name within the key's workspace (as commands find it: the exact name, else the same
   ``name_key``): none is 404 ``not_found``, outside the key's scope is 403 ``forbidden``, disconnected or
   failing is 409 ``connection_unusable`` with why and what to do;
5. the token (``bot.flows.tokens.TokenBroker``): Amazon refusing the stored values is 409, Amazon not
   answering usably is 503 ``amazon_unavailable``.

Errors are always ``{"error", "message"}`` (``bot.api.models.Error``), also for unknown paths (404), wrong
methods (405) and malformed requests (400). Messages are the catalog's English sentences. Nothing here logs a
key, a token or a secret; the export endpoint's answer is the only place the secrets leave the bot, and each
export is audited and remembered for the rotation reminders.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations at definition time, and
# they name the closure's own dependency type (``Key``).
import logging
import math
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.amazon.client import Credentials
from bot.amazon.marketplaces import endpoint_for_region
from bot.amazon.verdicts import Verdict, VerdictKind, explain
from bot.api.models import (
    AccessToken,
    ConnectionInfo,
    ConnectionList,
    Error,
    ErrorCode,
    ExportedCredentials,
)
from bot.flows import tool_keys as keys_flow
from bot.flows.audit import audit_detail
from bot.flows.problems import Problem, explain_problem
from bot.flows.tokens import FailureKind, Grant, TokenBroker, TokenFailure, ValuesKey
from bot.i18n import Message, Strong
from bot.redaction import redact
from bot.services import Services
from bot.views.blocks import Words
from storage import repo
from storage.crypto import DecryptionError
from storage.repo import tool_keys as keys_repo

log = logging.getLogger(__name__)

PREFIX = "/v1"
REALM = 'Bearer realm="amazon-connect", charset="UTF-8"'
MAX_NAME = 200
_ENGLISH = Words("en")

_STATUS_OF: dict[ErrorCode, int] = {
    "bad_request": 400, "unauthorized": 401, "forbidden": 403, "not_found": 404, "method_not_allowed": 405,
    "connection_unusable": 409, "rate_limited": 429, "internal_error": 500, "amazon_unavailable": 503,
}


class ApiError(Exception):
    def __init__(self, code: ErrorCode, message: Message, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = message
        self.headers = headers or {}


def _error_response(code: ErrorCode, message: Message, headers: dict[str, str] | None = None) -> JSONResponse:
    body = Error(error=code, message=redact(_ENGLISH.text(message)))
    all_headers = dict(headers or {})
    if code == "unauthorized":
        all_headers.setdefault("WWW-Authenticate", REALM)
    return JSONResponse(body.model_dump(), status_code=_STATUS_OF[code], headers=all_headers)


def _doc(*codes: ErrorCode) -> dict[int | str, dict[str, Any]]:
    """The documented error answers of a route."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in ("bad_request", "unauthorized", "rate_limited", *codes):
        status = _STATUS_OF[code]
        entry: dict[str, Any] = {"model": Error, "description": code}
        if code == "unauthorized":
            entry["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}
        if code == "rate_limited":
            entry["headers"] = {"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}}
        out[status] = entry
    return out


class RateLimiter:
    """A token bucket per key: ``per_minute`` requests a minute, bursts up to ``per_minute``. Thread-safe."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str) -> float | None:
        """None when the request may go ahead, else the seconds until it may."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.get(key, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                if len(self._buckets) > 100_000:
                    self._buckets.clear()
                return None
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def build_api(services: Services, *, broker: TokenBroker | None = None,
              checker: keys_flow.KeyChecker | None = None) -> FastAPI:
    """The API app for ``services`` (one ``TokenBroker`` and rate limiter per app, i.e. per process)."""
    tokens = broker or TokenBroker(services.amazon, wall=services.clock)
    keys = checker or keys_flow.CHECKER
    limiter = RateLimiter(services.settings.api_rate_limit)
    override = services.settings.sp_api_endpoint

    api = FastAPI(
        title="Amazon Connect for Slack: the tools' API",
        version="1",
        description=(
            "Short-lived Login with Amazon access tokens for a team's Amazon SP-API connections. Authenticate "
            "with `Authorization: Bearer amzc_…` (a tool key made in Slack with `/connect-amazon keys create`). "
            "Serve it over HTTPS only (the load balancer's job)."
        ),
        openapi_url=f"{PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
    )
    api.state.tokens = tokens
    bearer = HTTPBearer(auto_error=False, description="a tool key, amzc_…")

    @api.exception_handler(ApiError)
    def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
        return _error_response(exc.code, exc.message, exc.headers)

    @api.exception_handler(StarletteHTTPException)
    def on_http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return _error_response("method_not_allowed", Message("guard.api.method"),
                                   {"Allow": (exc.headers or {}).get("Allow", "")} if exc.headers else None)
        if exc.status_code == 404:
            return _error_response("not_found", Message("guard.api.no_route"))
        return _error_response("bad_request", Message("guard.api.bad_request"))

    @api.exception_handler(RequestValidationError)
    def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error_response("bad_request", Message("guard.api.bad_request"))

    @api.exception_handler(Exception)
    def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.error("the API failed on %s: %s", request.url.path, type(exc).__name__)
        return _error_response("internal_error", Message("guard.api.internal"))

    def authenticated(credentials: HTTPAuthorizationCredentials | None) -> keys_flow.KeyIdentity:
        """The request's key, or the 401/429 to answer. Called at the start of each route (a plain function, not
        a sync dependency: that would cost each request one more hop through Starlette's thread pool)."""
        presented = keys_flow.bearer_key(f"{credentials.scheme} {credentials.credentials}" if credentials else None)
        if presented is None:  # refused before the database is asked
            raise ApiError("unauthorized", Message("guard.api.no_key"))
        digest = services.crypto.tool_key_hash(presented) or ""
        wait = limiter.take(digest)
        if wait is not None:
            seconds = max(1, math.ceil(wait))
            raise ApiError("rate_limited", Message("guard.api.rate_limited", seconds=seconds,
                                                   limit=services.settings.api_rate_limit),
                           {"Retry-After": str(seconds)})
        identity = keys.check(services, presented)
        if identity is None:
            raise ApiError("unauthorized", Message("guard.api.unknown_key"))
        return identity

    Key = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]  # documents the bearer scheme

    def find(session: Any, key: keys_flow.KeyIdentity, name: str, *, lean: bool = False) -> Any:
        """The connection ``name`` means for this key (a ``Connection``, or with ``lean`` the few columns of
        ``token_view``), or the 404/403 to answer."""
        shown = Strong(redact(name[:80]))
        if not name or len(name) > MAX_NAME or not name.isprintable():
            raise ApiError("not_found", Message("guard.api.not_found", name=shown))
        conn = (keys_repo.token_view(session, key.team_id, name) if lean
                else repo.find_connection_by_name(session, key.team_id, name))
        if conn is None or conn.id is None:
            raise ApiError("not_found", Message("guard.api.not_found", name=shown))
        if not key.reaches(conn.id):
            raise ApiError("forbidden", Message("guard.api.scope", name=Strong(redact(conn.name))))
        return conn

    def require_usable(conn: Any) -> None:
        name = Strong(redact(conn.name))
        if conn.status == "disconnected" or conn.client_secret_fp is None or conn.refresh_token_fp is None:
            raise ApiError("connection_unusable", Message("guard.api.disconnected", name=name))
        if conn.status == "failing":
            problem = Problem.stored(conn.last_problem_kind, conn.last_problem_params)
            explained = explain_problem(problem) if problem is not None else None
            cause, step = explained if explained else explain(Verdict(VerdictKind.unexpected))
            raise ApiError("connection_unusable", Message("guard.api.failing", name=name, cause=cause, next=step))

    def where(conn: Any) -> dict[str, Any]:
        return {"connection": conn.name, "sp_api_endpoint": endpoint_for_region(conn.region, override),
                "region": conn.region, "marketplace_id": conn.marketplace_id,
                "selling_partner_id": conn.selling_partner_id}

    def load_credentials(connection_id: int) -> Credentials:
        with services.db.session() as session:
            conn = repo.get_connection_by_id(session, connection_id)
            if conn is None:
                raise DecryptionError("the connection is gone", reason="erased")
            secrets = repo.load_secrets(session, services.crypto, conn)
            return Credentials(account_type=conn.account_type, selling_partner_id=conn.selling_partner_id,
                               client_id=conn.client_id, client_secret=secrets.client_secret,
                               refresh_token=secrets.refresh_token, marketplace_id=conn.marketplace_id)

    @api.post(f"{PREFIX}/connections/{{name}}/access-token", response_model=AccessToken,
              responses=_doc("forbidden", "not_found", "connection_unusable", "amazon_unavailable"),
              summary="A Login with Amazon access token for a connection, and where to use it")
    def access_token(name: str, bearer_key: Key) -> AccessToken:
        key = authenticated(bearer_key)
        with services.db.session() as session:
            conn = find(session, key, name, lean=True)
            require_usable(conn)
            values = ValuesKey(connection_id=conn.id, client_id=conn.client_id,
                               client_secret_fp=conn.client_secret_fp or "",
                               refresh_token_fp=conn.refresh_token_fp or "",
                               secret_generation=conn.secret_generation)
            place = where(conn)
        connection_id = values.connection_id
        try:
            got: Grant | TokenFailure = tokens.token_for(values, place["connection"],
                                                         lambda: load_credentials(connection_id))
        except DecryptionError:
            raise ApiError("connection_unusable",
                           Message("guard.api.unreadable", name=Strong(redact(place["connection"])))) from None
        if isinstance(got, TokenFailure):
            code: ErrorCode = "connection_unusable" if got.kind == FailureKind.refused else "amazon_unavailable"
            raise ApiError(code, got.message)
        remaining = got.expires_at - services.clock()
        return AccessToken(access_token=got.access_token, token_type="bearer",
                           expires_in=max(0, int(remaining / timedelta(seconds=1))), expires_at=got.expires_at,
                           **place)

    @api.get(f"{PREFIX}/connections", response_model=ConnectionList, responses=_doc(),
             summary="The connections this key may use, with their status (no secret)")
    def connections(bearer_key: Key) -> ConnectionList:
        key = authenticated(bearer_key)
        with services.db.session() as session:
            rows = repo.list_connections(session, key.team_id, include_disconnected=not key.all_connections)
            return ConnectionList(connections=[
                ConnectionInfo(status=_status(c.status), account_type=_account(c.account_type),
                               store_name=c.store_name, secret_expires_on=c.secret_expires_on, **where(c))
                for c in rows if c.id is not None and key.reaches(c.id)
            ])

    @api.get(f"{PREFIX}/connections/{{name}}/credentials", response_model=ExportedCredentials,
             responses=_doc("forbidden", "not_found", "connection_unusable"),
             summary="The full credentials of a connection (export keys only; every call is audited)")
    def credentials(name: str, bearer_key: Key) -> ExportedCredentials:
        key = authenticated(bearer_key)
        if not key.export:
            raise ApiError("forbidden", Message("guard.api.not_export", name=Strong(redact(name[:80]))))
        now = services.clock()
        with services.db.session() as session:
            conn = find(session, key, name)
            require_usable(conn)
            try:
                secrets = repo.load_secrets(session, services.crypto, conn)
            except DecryptionError:
                raise ApiError("connection_unusable",
                               Message("guard.api.unreadable", name=Strong(redact(conn.name)))) from None
            if keys_repo.is_revoked(session, key.id):  # revoked a moment ago: no export on a stale check
                raise ApiError("unauthorized", Message("guard.api.unknown_key"))
            keys_repo.record_export(session, key.id, conn, now)
            repo.add_audit(session, team_id=key.team_id, actor=keys_flow.tool_actor(key.name),
                           action=keys_flow.ACTION_EXPORTED, connection=conn, now=now,
                           detail=audit_detail(Message("guard.keys.audit.exported", tool=Strong(key.name))))
            answer = ExportedCredentials(account_type=_account(conn.account_type), client_id=conn.client_id,
                                         client_secret=secrets.client_secret, refresh_token=secrets.refresh_token,
                                         secret_expires_on=conn.secret_expires_on, **where(conn))
            session.commit()
        log.info("credentials of connection %s exported to the tool %s", conn.id, key.name)
        return answer

    return api


def _status(status: str) -> Any:
    return status if status in ("failing", "disconnected") else "connected"


def _account(account_type: str) -> Any:
    return "vendor" if account_type == "vendor" else "seller"


def wsgi_api(services: Services, **kwargs: Any) -> Any:
    """The API as a WSGI app (for ``bot.server.BotWSGI``)."""
    from a2wsgi import ASGIMiddleware

    return ASGIMiddleware(build_api(services, **kwargs))  # type: ignore[arg-type]
