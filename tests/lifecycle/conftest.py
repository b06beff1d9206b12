"""A small world for lifecycle tests: fake Slack and fake Amazon over real HTTP on 127.0.0.1, a database
(SQLite file, or an isolated PostgreSQL schema), and helpers to seed connections and to run
``python -m bot sweep --now ...`` as a real subprocess against all of it.

It also serves the bot itself over HTTP (build_app + BotWSGI + waitress on port 0) for the signed-request
tests of rotation and disconnect.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.amazon.client import AmazonClient, Credentials
from bot.flows.ports import Delivery, DeliveryError, Notice
from bot.services import Services, build_services
from bot.settings import load_settings
from bot.views.notices import render
from storage import repo
from storage.crypto import format_keys, generate_key
from storage.models import Connection
from tests.db_fixtures import drop_postgres_url, postgres_url_or_skip, sqlite_url
from tests.fakes.fake_amazon import FakeAmazon, make_credentials
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import (
    FORM,
    TEAM_ID,
    block_actions_body,
    block_actions_payload,
    sign,
    slash_command_body,
    view_submission_body,
)
from tests.repo_helpers import reminders

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTIFY = "C0NOTIFY01"
OWNER = "U0OWNER1"  # a plain member who connected the store
STRANGER = "U0MEMBER"  # a plain member who did not
ADMIN = "U0ADMIN"  # a workspace admin (users.info is_admin)


class RecordingOutbox:
    """An Outbox that renders and keeps notices (the Slack outbox is exercised over HTTP elsewhere)."""

    def __init__(self) -> None:
        self.sent: list[Notice] = []
        self.fail = False

    def send(self, notice: Notice) -> Delivery:
        if self.fail:
            raise DeliveryError("Slack answered not_in_channel")
        render(notice)
        self.sent.append(notice)
        return Delivery(channel=NOTIFY, ts=f"{len(self.sent)}.000100")


class World:
    def __init__(self, tmp_path: Path, database_url: str) -> None:
        self.tmp_path = tmp_path
        self.slack = FakeSlack().start()
        self.slack.add_user(OWNER, "owen", "Owen Owner")
        self.slack.add_channel(NOTIFY, "amazon-connections", members={OWNER, STRANGER, ADMIN})
        self.amazon = FakeAmazon().start()
        self.signing_secret = secrets.token_hex(16)
        self.env: dict[str, str] = {
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": self.slack.api_url,
            "NOTIFY_CHANNEL": NOTIFY,
            "DATABASE_URL": database_url,
            "ENCRYPTION_KEYS": format_keys([generate_key("k1")]),
            "LWA_TOKEN_URL": self.amazon.token_url,
            "SP_API_ENDPOINT": self.amazon.regional_sp_api_url,  # one fake, three regional hosts
            "DATA_DIR": str(tmp_path / "data"),
            "LOG_LEVEL": "DEBUG",
        }
        self.settings = load_settings(self.env, env_file=tmp_path / "no.env")
        self.services: Services = build_services(self.settings)
        # In-process checks retry without real sleeping, so transient-error tests stay fast.
        self.services.amazon.close()
        self.services.amazon = AmazonClient(self.settings.lwa_token_url, self.settings.sp_api_endpoint,
                                            sleep=lambda _seconds: None)
        self.outbox = RecordingOutbox()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.sweep_outputs: list[str] = []

    # --- data ------------------------------------------------------------------------------------

    def seed(self, name: str = "Main US", *, created_on: date, owner: str = OWNER,
             creds: Credentials | None = None, now: datetime | None = None) -> tuple[int, Credentials]:
        """Register real-shaped credentials with fake Amazon and store a connection for them."""
        creds = creds or make_credentials()
        self.amazon.register(creds)
        stamp = now or datetime.combine(created_on, datetime.min.time(), tzinfo=UTC)
        with self.services.db.session() as s:
            conn = repo.create_or_update_connection(
                s, self.services.crypto,
                repo.ConnectionValues(team_id=TEAM_ID, name=name, account_type=creds.account_type,
                selling_partner_id=creds.selling_partner_id, region="NA", marketplace_id=creds.marketplace_id,
                client_id=creds.client_id, client_secret=creds.client_secret, refresh_token=creds.refresh_token,
                secret_created_on=created_on, store_name="Example Store"), created_by=owner, now=stamp,
            )
            s.commit()
            assert conn.id is not None
            return conn.id, creds

    def connection(self, connection_id: int) -> Connection:
        with self.services.db.session() as s:
            conn = s.get(Connection, connection_id)
            assert conn is not None
            s.expunge(conn)
            return conn

    def secrets_of(self, connection_id: int) -> repo.ConnectionSecrets:
        with self.services.db.session() as s:
            conn = s.get(Connection, connection_id)
            assert conn is not None
            return repo.load_secrets(s, self.services.crypto, conn)

    def ledger(self, connection_id: int) -> list[tuple[int, str, bool]]:
        with self.services.db.session() as s:
            return [(r.generation, r.kind, r.sent_at is not None) for r in reminders(s, connection_id)]

    def make_due(self, connection_id: int, when: datetime) -> None:
        """Make the connection's next health check due at ``when``."""
        with self.services.db.session() as s:
            repo.reschedule_health_checks(s, [connection_id], when)

    # --- the sweep as a subprocess ------------------------------------------------------------------

    def process_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LWA_", "SP_API"))}
        env.update(self.env)
        env["PYTHONPATH"] = str(REPO_ROOT)
        return env

    def sweep_command(self, now: datetime) -> list[str]:
        return [sys.executable, "-m", "bot", "sweep", "--now", now.isoformat()]

    def sweep(self, now: datetime) -> str:
        """Run ``python -m bot sweep --now NOW`` and return its output; fails the test on a non-zero exit."""
        proc = subprocess.run(self.sweep_command(now), cwd=self.tmp_path, env=self.process_env(),
                              capture_output=True, text=True, timeout=60)
        output = proc.stdout + proc.stderr
        self.sweep_outputs.append(output)
        assert proc.returncode == 0, output
        return proc.stdout

    def sweep_here(self, now: datetime) -> str:
        """One pass in this process, through the real Slack outbox (HTTP to the fake Slack)."""
        from bot.app import build_web_client
        from bot.flows.sweep import run_sweep
        from bot.outbox import SlackOutbox

        report = run_sweep(self.services, SlackOutbox(build_web_client(self.settings), NOTIFY), now)
        assert report.ok, report.summary()
        return report.summary()

    def channel_posts(self) -> list[dict[str, Any]]:
        """Messages that reached the team channel (calls Slack answered ok)."""
        return [c.params for c in self.slack.calls_for("chat.postMessage")
                if c.params.get("channel") == NOTIFY and c.response.get("ok")]

    def dm_posts(self) -> list[dict[str, Any]]:
        """Direct messages that reached someone (calls Slack answered ok)."""
        return [c.params for c in self.slack.calls_for("chat.postMessage")
                if str(c.params.get("channel", "")).startswith("D") and c.response.get("ok")]

    # --- the bot over HTTP --------------------------------------------------------------------------

    def serve(self) -> str:
        from bot.app import build_app
        from bot.server import BotWSGI, make_server

        if self._server is None:
            app = build_app(self.services)
            self._server = make_server(BotWSGI(app, self.services.db.ping), "127.0.0.1", 0, 8)
            self._thread = threading.Thread(target=self._server.run, daemon=True)
            self._thread.start()
        return f"http://127.0.0.1:{self._server.effective_port}/slack/events"

    def _post(self, body: str) -> httpx.Response:
        url = self.serve()
        headers = {"Content-Type": FORM, **sign(self.signing_secret, body)}
        return httpx.post(url, content=body, headers=headers, timeout=10)

    def command(self, text: str, user: str) -> httpx.Response:
        body = slash_command_body("/connect-amazon", text, user, response_url=self.slack.response_url(),
                                  trigger_id=self.slack.new_trigger_id(user_id=user))
        return self._post(body)

    def click(self, action_id: str, value: str, user: str, *, response_url: str | None = None) -> httpx.Response:
        payload = block_actions_payload(action_id, user, value=value, channel_id=NOTIFY,
                                        trigger_id=self.slack.new_trigger_id(user_id=user),
                                        response_url=response_url or self.slack.response_url())
        return self._post(block_actions_body(payload))

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str) -> httpx.Response:
        return self._post(view_submission_body(view, values, user))

    def wait(self, predicate: Any, timeout: float = 10.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.05)
        raise AssertionError("condition not met in time")

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.services.close()
        self.slack.stop()
        self.amazon.stop()


def _make_world(tmp_path: Path, backend: str) -> World:
    url = sqlite_url(tmp_path) if backend == "sqlite" else postgres_url_or_skip()
    return World(tmp_path, url)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    w = _make_world(tmp_path, "sqlite")
    try:
        yield w
    finally:
        w.close()


@pytest.fixture
def pg_world(tmp_path: Path) -> Iterator[World]:
    w = _make_world(tmp_path, "postgresql")
    try:
        yield w
    finally:
        w.close()
        drop_postgres_url(w.env["DATABASE_URL"])


@pytest.fixture(params=["sqlite", "postgresql"])
def any_world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    w = _make_world(tmp_path, request.param)
    try:
        yield w
    finally:
        w.close()
        drop_postgres_url(w.env["DATABASE_URL"])
