"""The bot as a real process: HTTP mode against the local fake Slack, Socket Mode, SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from storage.crypto import format_keys, generate_key
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import FORM, post_signed, slash_command_body, slash_command_payload

REPO = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "8f742231b10e8888abcd99aaa0c85a50"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(fake: FakeSlack, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_", "LWA_"))}
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN=fake.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.api_url,
        NOTIFY_CHANNEL="C0NOTIFY01",
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        ENCRYPTION_KEYS=format_keys([generate_key("test")]),
        LWA_TOKEN_URL="http://127.0.0.1:9/auth/o2/token",
        SP_API_ENDPOINT="http://127.0.0.1:9",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


class BotProcess:
    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.log = cwd / "bot.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=cwd,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def wait_healthy(url: str, proc: BotProcess, timeout: float = 30) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.proc.poll() is not None:
            raise AssertionError(f"bot exited early:\n{proc.output()}")
        try:
            response = httpx.get(url, timeout=1)
            if response.status_code == 200:
                return response
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"bot never became healthy:\n{proc.output()}")


def test_http_mode_serves_health_verifies_signatures_and_stops_on_sigterm(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    port = free_port()
    bot = BotProcess(bot_env(fake_slack, tmp_path, PORT=str(port)), tmp_path)
    try:
        base = f"http://127.0.0.1:{port}"
        health = wait_healthy(f"{base}/healthz", bot)
        assert health.json()["ok"] is True

        body = slash_command_body("/connect-amazon", "help", "U0MEMBER")
        unsigned = httpx.post(f"{base}/slack/events", content=body, headers={"Content-Type": FORM}, timeout=5)
        assert unsigned.status_code == 401

        stale = post_signed(f"{base}/slack/events", body, SIGNING_SECRET, timestamp=int(time.time()) - 10 * 60)
        assert stale.status_code == 401

        wrong = post_signed(f"{base}/slack/events", body, "0" * 32)
        assert wrong.status_code == 401

        signed = post_signed(f"{base}/slack/events", body, SIGNING_SECRET)
        assert signed.status_code == 200

        assert httpx.get(f"{base}/nothing-here", timeout=5).status_code == 404

        # The tools' API is served by the same server (issue 15); the web process stays small.
        for _ in range(20):
            assert httpx.get(f"{base}/v1/openapi.json", timeout=5).status_code == 200
            assert httpx.get(f"{base}/v1/connections", timeout=5,
                             headers={"Authorization": "Bearer amzc_" + "Q" * 43}).status_code == 401
        peak_kb = _peak_rss_kb(bot.proc.pid)
        print(f"peak RSS of the web process: {peak_kb / 1024:.1f} MB")
        assert peak_kb < 120 * 1024
        started = time.monotonic()
    finally:
        code = bot.stop()
    assert code == 0, bot.output()
    assert time.monotonic() - started < 10
    assert "Traceback" not in bot.output()


def _peak_rss_kb(pid: int) -> int:
    """VmHWM (the peak resident set) of a process, in kB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def test_healthz_reports_a_database_that_does_not_answer(fake_slack: FakeSlack, tmp_path: Path) -> None:
    from bot.server import BotWSGI

    wsgi = BotWSGI.__new__(BotWSGI)
    wsgi.ping = lambda: False
    wsgi.max_body = 1024
    captured: dict[str, str] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        captured["status"] = status

    body = b"".join(wsgi({"PATH_INFO": "/healthz", "REQUEST_METHOD": "GET"}, start_response))
    assert captured["status"].startswith("503")
    assert b'"ok": false' in body


def test_socket_mode_connects_and_acknowledges_an_envelope(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = bot_env(fake_slack, tmp_path, SLACK_APP_TOKEN=fake_slack.app_token, PORT=str(port))
    del env["SLACK_SIGNING_SECRET"]
    bot = BotProcess(env, tmp_path)
    try:
        assert fake_slack.socket_connected.wait(30), bot.output()
        # Socket Mode listens on PORT too: /healthz and the tools' API, but not /slack/events (issue 15).
        base = f"http://127.0.0.1:{port}"
        assert wait_healthy(f"{base}/healthz", bot).json()["ok"] is True
        assert httpx.get(f"{base}/v1/openapi.json", timeout=5).json()["openapi"].startswith("3.")
        refused = httpx.post(f"{base}/v1/connections/Main/access-token", timeout=5)
        assert refused.status_code == 401 and refused.json()["error"] == "unauthorized"
        assert httpx.post(f"{base}/slack/events", content=b"x=1", timeout=5).status_code == 404
        assert fake_slack.calls_for("apps.connections.open")
        payload = slash_command_payload("/connect-amazon", "help", "U0MEMBER")
        envelope_id = fake_slack.socket_send_envelope("slash_commands", payload)
        ack = fake_slack.wait_for_ack(envelope_id, timeout=10)
        assert ack["envelope_id"] == envelope_id
    finally:
        code = bot.stop()
    assert code == 0, bot.output()
    assert "Traceback" not in bot.output()
