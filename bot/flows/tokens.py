"""Access tokens for the team's tools: one Login with Amazon exchange serves everyone (issue 15).

``TokenBroker.token_for`` gives a connection's access token, from memory while it has more than
``REFRESH_MARGIN`` (5 minutes) left, else from one exchange (``AmazonClient.access_token``).

- **Keyed by the stored values.** The cache key is the connection id with the keyed fingerprints of its
  client secret and refresh token, its client id and its secret generation (``ValuesKey``): after a rotation,
  a re-authorization or a reconnect the key changes, so the next token comes from the new values, with no
  tool changing anything; entries of old values are dropped when their connection gets a new one.
- **Single flight.** Concurrent requests for the same key share one exchange: the first becomes the leader,
  the others wait on its ``_Flight`` and get its result (a token or the same failure). A failure is not
  cached: the next request after it tries again.
- **Memory only.** Tokens live in this process's memory (never in the database, never logged; ``Grant``'s
  repr masks them). Each replica keeps its own cache.

Outcomes are meanings (``TokenFailure`` with a ``FailureKind`` and a ``Message``); the HTTP API maps them to
status codes. The secrets are decrypted only by the leader of an exchange, through the ``load`` callable.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from bot.amazon.client import AmazonClient, Credentials
from bot.amazon.verdicts import REFUSED, Verdict, VerdictKind, explain
from bot.i18n import Message, Strong
from bot.redaction import mask, redact

log = logging.getLogger(__name__)

REFRESH_MARGIN = 300.0  # seconds: a cached token is used until 5 minutes before it expires
WAIT_FOR_LEADER = 60.0  # seconds a follower waits for the leader's exchange at most


@dataclass(frozen=True)
class ValuesKey:
    """Which stored values a token was made from: no secret, only keyed fingerprints."""

    connection_id: int
    client_id: str
    client_secret_fp: str
    refresh_token_fp: str
    secret_generation: int


@dataclass(frozen=True, repr=False)
class Grant:
    access_token: str
    expires_at: datetime  # wall clock, UTC
    expires_at_mono: float  # the same moment on the monotonic clock

    def __repr__(self) -> str:
        return f"Grant(access_token={mask(self.access_token)!r}, expires_at={self.expires_at.isoformat()!r})"

    __str__ = __repr__


class FailureKind(StrEnum):
    refused = "refused"  # Amazon answered that the stored values do not work: the connection is unusable
    unavailable = "unavailable"  # no usable answer (outage, 429, timeout, network): try again later


@dataclass(frozen=True)
class TokenFailure:
    kind: FailureKind
    message: Message
    verdict_kind: VerdictKind


class _Flight:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Grant | TokenFailure | None = None


class TokenBroker:
    """The per-process cache of access tokens and the single flight of exchanges. Thread-safe."""

    def __init__(self, amazon: AmazonClient, *, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._amazon = amazon
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._tokens: dict[ValuesKey, Grant] = {}
        self._flights: dict[ValuesKey, _Flight] = {}
        self.exchanges = 0  # how many exchanges this broker started (for tests and metrics)

    def __repr__(self) -> str:
        return f"TokenBroker(cached={len(self._tokens)})"

    def cached(self, key: ValuesKey) -> Grant | None:
        """The cached token for ``key`` when it has more than REFRESH_MARGIN left, else None."""
        grant = self._tokens.get(key)
        if grant is not None and grant.expires_at_mono - self._clock() > REFRESH_MARGIN:
            return grant
        return None

    def token_for(self, key: ValuesKey, name: str, load: Callable[[], Credentials]) -> Grant | TokenFailure:
        """The access token for the connection whose stored values ``key`` names (``name`` for messages);
        ``load`` decrypts its credentials, called only by the one request that makes the exchange."""
        grant = self.cached(key)
        if grant is not None:
            return grant
        with self._lock:
            grant = self.cached(key)
            if grant is not None:
                return grant
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = _Flight()
                self.exchanges += 1
        if not leader:
            if not flight.done.wait(WAIT_FOR_LEADER) or flight.result is None:
                return _unavailable(name, Verdict(VerdictKind.timeout))
            return flight.result
        result: Grant | TokenFailure | None = None
        try:
            result = self._exchange(key, name, load)
        finally:
            if result is None:  # ``load`` or the client raised: followers must not wait for nothing
                result = _unavailable(name, Verdict(VerdictKind.unexpected))
            with self._lock:
                if isinstance(result, Grant):
                    for stale in [k for k in self._tokens if k.connection_id == key.connection_id and k != key]:
                        del self._tokens[stale]
                    self._tokens[key] = result
                self._flights.pop(key, None)
            flight.result = result
            flight.done.set()
        return result

    def _exchange(self, key: ValuesKey, name: str, load: Callable[[], Credentials]) -> Grant | TokenFailure:
        creds = load()
        started = self._clock()
        got = self._amazon.access_token(creds)
        if isinstance(got, Verdict):
            log.info("token exchange for connection %s failed: %s", key.connection_id, got.kind)
            return _refused(name, got) if got.kind in REFUSED else _unavailable(name, got)
        token, expires_in = got
        return Grant(access_token=token, expires_at=self._wall() + timedelta(seconds=expires_in),
                     expires_at_mono=started + expires_in)

    def forget(self, connection_id: int) -> None:
        with self._lock:
            for stale in [k for k in self._tokens if k.connection_id == connection_id]:
                del self._tokens[stale]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


def _refused(name: str, verdict: Verdict) -> TokenFailure:
    cause, step = explain(verdict)
    return TokenFailure(FailureKind.refused, Message("guard.api.refused", name=Strong(redact(name)), cause=cause,
                                                     next=step), verdict.kind)


def _unavailable(name: str, verdict: Verdict) -> TokenFailure:
    cause, _step = explain(verdict)
    return TokenFailure(FailureKind.unavailable, Message("guard.api.amazon_unavailable", cause=cause), verdict.kind)
