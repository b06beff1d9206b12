"""python -m bench.api_tokens: the tools' API under load (issue 15).

p99 latency of cached access-token requests (``POST /v1/connections/{name}/access-token`` with a valid key,
the token already in the bot's cache) at 50 concurrent clients, against a bare endpoint of the same
framework and server (FastAPI through a2wsgi in waitress, the same thread count and settings) that returns a
pre-built body of the same size. Target: bot p99 <= 1.5 x bare p99.

- The bot is ``python -m bot run`` (HTTP mode, SQLite, WORKERS=0, API_RATE_LIMIT high enough not to trip), in
  its own process; the bare server is ``python -m bench.api_tokens --bare PORT SIZE`` in another; the fake
  Slack and fake Amazon (needed only at start and for the one exchange) and the load generator run here.
- Warm-up, then ROUNDS rounds that alternate bot and bare so that the machine's noise falls on both alike;
  every request goes over a keep-alive connection of its client thread.
- The bot's peak RSS (VmHWM) is read at the end.

Writes bench/results/api_tokens.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCY = 50
ROUNDS = 6
PER_ROUND = 3000
TARGET = 1.5
THREADS = 16


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- the bare endpoint


def serve_bare(port: int, size: int) -> None:
    """FastAPI + a2wsgi + waitress, one route answering a fixed JSON body of ``size`` bytes."""
    from a2wsgi import ASGIMiddleware
    from fastapi import FastAPI
    from fastapi.responses import Response
    from waitress.server import create_server

    filler = "x" * max(0, size - len('{"access_token":""}'))
    body = json.dumps({"access_token": filler}, separators=(",", ":")).encode()
    app = FastAPI()

    @app.post("/v1/connections/{name}/access-token")
    def token(name: str) -> Response:
        return Response(body, media_type="application/json")

    server = create_server(ASGIMiddleware(app), host="127.0.0.1", port=port, threads=THREADS, ident="",  # type: ignore[arg-type]
                           max_request_body_size=1024 * 1024, connection_limit=1000, channel_timeout=30)
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    server.run()


# --------------------------------------------------------------------------- load


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"a server exited early ({proc.returncode})")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise SystemExit(f"{url} never answered")


def load(url: str, headers: dict[str, str], total: int) -> list[float]:
    """``total`` POSTs to ``url`` from CONCURRENCY threads at once; each latency in ms."""
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = total // CONCURRENCY
    start = threading.Barrier(CONCURRENCY)
    failures: list[int] = []

    def client() -> None:
        mine: list[float] = []
        with httpx.Client(headers=headers, timeout=30) as http:
            start.wait()
            for _ in range(per_thread):
                t0 = time.perf_counter()
                r = http.post(url)
                mine.append((time.perf_counter() - t0) * 1000)
                if r.status_code != 200:
                    failures.append(r.status_code)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(CONCURRENCY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failures:
        raise SystemExit(f"{len(failures)} requests failed, e.g. HTTP {failures[0]}")
    return latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(tmp: Path, env: dict[str, str], amazon: Any) -> str:
    """A connection registered with the fake Amazon and a key for it, in the bot's database; the key."""
    from bot.flows import authz
    from bot.flows.tool_keys import KeysCommand, Verb, create_key
    from bot.services import build_services
    from bot.settings import load_settings
    from tests.fakes.fake_amazon import make_credentials
    from tests.fakes.slack_signing import TEAM_ID
    from tests.harness import seed_connection

    services = build_services(load_settings(env, env_file=tmp / "none.env"))
    try:
        creds = amazon.register(make_credentials(), store_name="Bench Store")
        seed_connection(services, creds, name="Main", created_on=date(2026, 11, 1), owner="U0MEMBER",
                        now=datetime.now(UTC), store_name="Bench Store", team_id=TEAM_ID)
        answer = create_key(services, team_id=TEAM_ID, actor=authz.Actor("U0ADMIN", is_workspace_admin=True),
                            command=KeysCommand(Verb.create, tool="bench", connections=("Main",)))
        assert answer.created is not None
        return answer.created.text
    finally:
        services.close()


def run(rounds: int, per_round: int, cpus: set[int] | None = None) -> dict[str, Any]:
    """``rounds`` rounds of ``per_round`` requests to each server, bot and bare alternating; both servers run
    on ``cpus`` (the load generator and the fakes stay on this process's CPUs)."""
    from bench.procs import pin
    from storage.crypto import format_keys, generate_key
    from tests.fakes.fake_amazon import TOKEN_PATH, FakeAmazon
    from tests.fakes.fake_slack import FakeSlack

    with tempfile.TemporaryDirectory() as tmpdir, FakeSlack() as slack, FakeAmazon() as amazon:
        tmp = Path(tmpdir)
        bot_port, bare_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_", "LWA_", "SP_API", "DATABASE_", "PORT"))}
        env.update(PYTHONPATH=str(REPO), SLACK_BOT_TOKEN=slack.bot_token, SLACK_SIGNING_SECRET="0" * 32,
                   SLACK_API_URL=slack.api_url, NOTIFY_CHANNEL="C0NOTIFY01",
                   DATABASE_URL=f"sqlite:///{tmp / 'bot.db'}", ENCRYPTION_KEYS=format_keys([generate_key("bench")]),
                   LWA_TOKEN_URL=amazon.token_url, SP_API_ENDPOINT=amazon.regional_sp_api_url, LOG_LEVEL="WARNING",
                   PORT=str(bot_port), WORKERS="0", HTTP_THREADS=str(THREADS), API_RATE_LIMIT="1000000",
                   SWEEP_INTERVAL="86400", DATA_DIR=str(tmp / "data"))
        slack.add_channel("C0NOTIFY01", "bench", members=set(slack.users))
        key = prepare(tmp, env, amazon)
        bot = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp,
                               stdout=subprocess.DEVNULL, stderr=(tmp / "bot.log").open("wb"))
        pin(bot.pid, cpus)
        try:
            wait_up(f"http://127.0.0.1:{bot_port}/healthz", bot)
            bot_url = f"http://127.0.0.1:{bot_port}/v1/connections/Main/access-token"
            headers = {"Authorization": f"Bearer {key}"}
            first = httpx.post(bot_url, headers=headers, timeout=30)
            assert first.status_code == 200, first.text
            size = len(first.content)
            bare = subprocess.Popen([sys.executable, "-m", "bench.api_tokens", "--bare", str(bare_port), str(size)],
                                    env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pin(bare.pid, cpus)
            try:
                bare_url = f"http://127.0.0.1:{bare_port}/v1/connections/Main/access-token"
                wait_up(f"http://127.0.0.1:{bare_port}/", bare)
                bare_size = len(httpx.post(bare_url, timeout=5).content)
                load(bot_url, headers, CONCURRENCY * 20)  # warm-up
                load(bare_url, headers, CONCURRENCY * 20)
                bot_ms: list[float] = []
                bare_ms: list[float] = []
                for _ in range(rounds):
                    bot_ms += load(bot_url, headers, per_round)
                    bare_ms += load(bare_url, headers, per_round)
                exchanges = amazon.calls(TOKEN_PATH)
                rss = peak_rss_mb(bot.pid)
            finally:
                bare.send_signal(signal.SIGTERM)
                bare.wait(10)
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(20)
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "concurrency": CONCURRENCY,
        "requests_each": len(bot_ms),
        "body_bytes": {"bot": size, "bare": bare_size},
        "bot_ms": {"p50": pct(bot_ms, 50), "p90": pct(bot_ms, 90), "p99": pct(bot_ms, 99)},
        "bare_ms": {"p50": pct(bare_ms, 50), "p90": pct(bare_ms, 90), "p99": pct(bare_ms, 99)},
        "lwa_exchanges": exchanges,
        "bot_peak_rss_mb": round(rss, 1),
    }
    result["p99_ratio"] = round(result["bot_ms"]["p99"] / result["bare_ms"]["p99"], 2)
    result["p50_ratio"] = round(result["bot_ms"]["p50"] / result["bare_ms"]["p50"], 2)
    result["target_met"] = result["p99_ratio"] <= TARGET
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_tokens", description=__doc__.splitlines()[0])
    parser.add_argument("--bare", nargs=2, type=int, metavar=("PORT", "SIZE"), help=argparse.SUPPRESS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--per-round", type=int, default=PER_ROUND)
    args = parser.parse_args(argv)
    if args.bare:
        serve_bare(*args.bare)
        return 0
    result = run(args.rounds, args.per_round)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "api_tokens.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"cached access-token requests, {CONCURRENCY} concurrent, {result['requests_each']} each "
          f"(bodies {result['body_bytes']['bot']} / {result['body_bytes']['bare']} bytes):")
    print("| server | p50 ms | p90 ms | p99 ms |\n|---|---|---|---|")
    for name in ("bot", "bare"):
        ms = result[f"{name}_ms"]
        print(f"| {name} | {ms['p50']:.1f} | {ms['p90']:.1f} | {ms['p99']:.1f} |")
    print(f"p99 ratio {result['p99_ratio']} (target <= {TARGET}: {'met' if result['target_met'] else 'NOT met'}), "
          f"p50 ratio {result['p50_ratio']}; LWA exchanges: {result['lwa_exchanges']}; "
          f"bot peak RSS {result['bot_peak_rss_mb']} MB")
    return 0 if result["target_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
