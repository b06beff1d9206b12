"""A burst of concurrent, signed Slack requests, and percentiles of their ack latency.

Every request has its own thread and its own connection, opened before the burst starts; a barrier
releases them together, so the server sees all of them at once, as when 50 people act in the same
second. A request's latency runs from just before its bytes are written until its response is read.
"""

from __future__ import annotations

import http.client
import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from tests.fakes.slack_signing import FORM, sign

ACK_DEADLINE = 3.0  # Slack's limit for every command, click and submission


@dataclass
class Result:
    latency: float  # seconds
    status: int  # HTTP status, 0 when the request failed without one
    body: str
    sent_at: float  # epoch seconds (time.time()) when the request was sent
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status == 200 and self.latency < ACK_DEADLINE

    def json(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.body) if self.body else None
        except ValueError:
            return None
        return value if isinstance(value, dict) else None


def _exchange(conn: http.client.HTTPConnection, path: str, data: bytes, headers: dict[str, str], start: float,
              sent_at: float, connect_error: str | None = None) -> Result:
    """One POST on ``conn`` (closed after), timed from ``start``; every failure is a measured error."""
    try:
        if connect_error is not None:
            raise ConnectionError(connect_error)
        conn.request("POST", path, body=data, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", errors="replace")
        return Result(time.perf_counter() - start, response.status, text, sent_at)
    except Exception as exc:  # noqa: BLE001 - every failure is a measured error
        return Result(time.perf_counter() - start, 0, "", sent_at, f"{type(exc).__name__}: {exc}")
    finally:
        conn.close()


def burst(url: str, bodies: list[str], signing_secret: str, *, content_type: str = FORM,
          timeout: float = 30.0) -> list[Result]:
    """POST every body at once (one thread + connection each); results in the order of ``bodies``."""
    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    results: list[Result | None] = [None] * len(bodies)
    barrier = threading.Barrier(len(bodies) + 1)

    def one(i: int, body: str) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        data = body.encode()
        headers = {"Content-Type": content_type, "Content-Length": str(len(data)),
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **sign(signing_secret, body)}
        connect_error: str | None = None
        try:
            conn.connect()
        except OSError as exc:
            connect_error = f"{type(exc).__name__}: {exc}"
        barrier.wait()
        sent_at = time.time()
        start = time.perf_counter()
        results[i] = _exchange(conn, path, data, headers, start, sent_at, connect_error)

    threads = [threading.Thread(target=one, args=(i, b), daemon=True) for i, b in enumerate(bodies)]
    for t in threads:
        t.start()
    barrier.wait()
    for t in threads:
        t.join(timeout + 5)
    return [r if r is not None else Result(timeout, 0, "", 0.0, "no result") for r in results]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def summary(results: list[Result]) -> dict[str, Any]:
    """p50/p95/p99/max in milliseconds, counts of requests and errors (an error: no 200, or >= 3 s)."""
    ms = [r.latency * 1000 for r in results]
    errors = [r for r in results if not r.ok]
    return {
        "n": len(results),
        "p50_ms": round(percentile(ms, 50), 1),
        "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1),
        "max_ms": round(max(ms), 1) if ms else math.nan,
        "errors": len(errors),
        "error_samples": sorted({r.error or f"HTTP {r.status}" if r.error or r.status != 200
                                 else f"slow ack {r.latency:.2f}s" for r in errors})[:5],
        "over_3s": sum(1 for r in results if r.latency >= ACK_DEADLINE),
    }


def paced(url: str, bodies: list[str], signing_secret: str, *, rate: float, content_type: str = FORM,
          timeout: float = 30.0, threads: int = 64) -> tuple[list[Result], float]:
    """Open-loop load: send ``bodies`` at ``rate`` requests per second (request i is due at i / rate
    seconds after the start, whatever became of the earlier ones), each on a connection of its own.

    Returns the results in the order of ``bodies`` and the seconds from the first send to the last.
    A request whose time came while every sending thread was busy goes out late, and its lateness
    counts in its latency (it is measured from when it was due), so a server that falls behind cannot
    slow the load down and hide its queue (no coordinated omission).
    """
    from concurrent.futures import ThreadPoolExecutor

    parts = urlsplit(url)
    host, port, path = parts.hostname or "127.0.0.1", parts.port or 80, parts.path or "/"
    results: list[Result | None] = [None] * len(bodies)

    def one(i: int, body: str, due: float) -> None:
        data = body.encode()
        headers = {"Content-Type": content_type, "Content-Length": str(len(data)),
                   "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)", **sign(signing_secret, body)}
        sent_at = time.time()
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
        results[i] = _exchange(conn, path, data, headers, due, sent_at)

    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="paced") as pool:
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one, i, body, due)
        last = time.perf_counter()
    return [r if r is not None else Result(timeout, 0, "", 0.0, "no result") for r in results], last - start
