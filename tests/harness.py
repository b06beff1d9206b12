"""A whole bot on 127.0.0.1 for tests: fake Slack + fake Amazon + the real Bolt app behind waitress.

Usage (or the ``bot`` / ``bot_any_db`` fixtures from tests/conftest.py, or ``world`` / ``pg_world`` /
``any_world`` from tests/conftest.py: the same harness with retries that do not sleep)::

    with BotHarness(tmp_path) as h:
        creds = h.amazon.register(make_credentials(), store_name="Acme US")
        h.command("")                                   # /connect-amazon, signed like Slack
        h.wait_dm(lambda m: says(m, "onboarding.checklist.title"))  # the checklist DM arrived
        h.click("checklist_path_seller")                # a button in the newest DM
        view = h.open_credentials()                      # clicks open_credentials, returns the modal
        r = h.submit(view, h.form_values(creds, "US Main Store"))
        final = h.wait_view(view["id"], lambda v: says(v, "onboarding.result.connected"))

(``says`` is tests/catalog.py: tests name sentences by catalog key.)

What is real: every request to the bot is an HTTP POST signed with the signing secret exactly as
Slack signs it (tests/fakes/slack_signing.py, slack_sdk's SignatureVerifier); with ``serve=False`` no
server runs and :meth:`dispatch` hands the signed request to ``app.dispatch`` in process. The bot calls
the fake Slack Web API (tests/fakes/fake_slack.py) and the fake Amazon (tests/fakes/fake_amazon.py)
over HTTP. Like Slack,
the harness applies a ``response_action: update`` answer to the stored view, so later
``views.update`` calls by view id find it.

Lifecycle helpers: :meth:`seed` stores a connection for real-shaped credentials registered with the
fake Amazon (no Slack round trip), :meth:`sweep` runs ``python -m bot sweep --now NOW`` as a process,
:meth:`sweep_here` runs one pass in this process through the real Slack outbox, and
:meth:`channel_post_calls` / :meth:`dm_post_calls` are the ``chat.postMessage`` calls Slack accepted.

Users (one set for every test): :data:`OWNER` (= :data:`DEFAULT_USER`) is a plain member who connects or
connected the store, :data:`STRANGER` another plain member, :data:`ADMIN` a workspace admin; the fake
Slack also knows ``U0OWNER``, the primary owner (tests/fakes/fake_slack.py ``default_users``).

Attributes: ``slack`` (FakeSlack), ``amazon`` (FakeAmazon), ``settings``, ``services``, ``app``,
``url`` (the bot's /slack/events),
``base_url`` (the same server: ``/healthz``, the tools' API ``/v1/…``), ``env`` (the environment that
reproduces this bot, e.g. for
``python -m bot sweep`` in a subprocess: see :meth:`run_cli`), ``log_text()`` (everything the bot
logged, as its own redacting handler wrote it), ``records`` (every log record's message).

Secret scans: :meth:`everything_sent_and_logged` is every Slack call body, every log line and the
raw bytes of the SQLite database files (or a text dump of every PostgreSQL table).
"""

from __future__ import annotations

import io
import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from slack_bolt import BoltRequest, BoltResponse
from sqlmodel import Session

from bot.after_ack import AfterAck
from bot.amazon.client import AmazonClient, Credentials
from bot.app import build_app, build_outbox, build_web_client
from bot.jobs import JobKind
from bot.jobs.worker import Worker
from bot.locales import Locales
from bot.logs import setup_logging
from bot.server import BotWSGI, make_server
from bot.services import Services, build_services
from bot.settings import Settings, load_settings
from storage import repo
from storage.crypto import format_keys, generate_key
from storage.models import Connection
from tests.db_fixtures import drop_postgres_url, postgres_url_or_skip, sqlite_url
from tests.fakes.fake_amazon import FakeAmazon, make_credentials
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.slack_signing import (
    FORM,
    JSON,
    TEAM_ID,
    block_actions_body,
    block_actions_payload,
    event_callback_body,
    post_signed,
    sign,
    slash_command_body,
    view_submission_body,
)
from tests.repo_helpers import reminders

REPO = Path(__file__).resolve().parents[1]
NOTIFY_CHANNEL = "C0NOTIFY01"
OWNER = "U0MEMBER"  # a plain member who connects (or connected) the store
DEFAULT_USER = OWNER
STRANGER = "U0OTHER1"  # another plain member
ADMIN = "U0ADMIN"  # a workspace admin (users.info is_admin)
COMMAND = "/connect-amazon"


class _Records(logging.Handler):
    """Keeps every record's final message (and traceback text) that reached the root logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self._lock2 = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + logging.Formatter().formatException(record.exc_info)
        with self._lock2:
            self.lines.append(f"{record.levelname} {record.name}: {text}")


# The job kinds the listeners queue, run by the harness's worker threads (HARNESS_WORKERS of them, or
# WORKERS when the test's env sets it: WORKERS=0 starts none, and ``start_workers`` starts some later).
LISTENER_JOB_KINDS = (JobKind.VERIFY_SUBMISSION, JobKind.SLACK_WORK, JobKind.ROTATE_CLIENT_SECRET,
                      JobKind.ANNOUNCE_AUTOROTATION)
HARNESS_WORKERS = 4


class _ThreadWorker(Worker):
    def _upkeep(self) -> None:  # heartbeats, purges and reaping belong to the tests of the queue
        pass


class BotHarness:
    def __init__(
        self,
        tmp_path: Path,
        *,
        database: str = "sqlite",
        env: dict[str, str] | None = None,
        amazon_timeout: float = 5.0,
        amazon_deadline: float = 8.0,
        users: dict[str, dict[str, Any]] | None = None,
        amazon_sleep: Callable[[float], None] = time.sleep,
        serve: bool = True,
        workers: int | None = None,
        after_ack: AfterAck | None = None,
    ) -> None:
        self.tmp_path = Path(tmp_path)
        self.database = database
        self.extra_env = dict(env or {})
        self.amazon_timeout = amazon_timeout
        self.amazon_deadline = amazon_deadline
        self.amazon_sleep = amazon_sleep
        self.serve = serve
        self.workers = workers  # job worker threads here (None: HARNESS_WORKERS, or WORKERS from ``env``)
        # The web tier's work after an ack: run at once (the default, as in Socket Mode and the workers), or
        # held while other acks wait, as ``run`` has it over HTTP (``AfterAck()``; Bolt's process_before_response).
        self.after_ack = after_ack
        self.signing_secret = secrets.token_hex(16)
        self.slack = FakeSlack(users=users)
        if users is None:
            self.slack.add_user(STRANGER, "sam", "Sam Stranger")
            self.slack.channels["C0TEAM"].members.add(STRANGER)
        self.amazon = FakeAmazon()
        self.records = _Records()
        self._log_stream = io.StringIO()
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._workers: list[tuple[Worker, threading.Thread]] = []
        self.env: dict[str, str] = {}
        self.sweep_outputs: list[str] = []
        self.settings: Settings
        self.services: Services
        self.database_url = ""

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> BotHarness:
        self.slack.start()
        self.amazon.start()
        members = set(self.slack.users)
        self.slack.add_channel(NOTIFY_CHANNEL, "amazon-news", members=members)
        if self.database == "sqlite":
            self.database_url = sqlite_url(self.tmp_path)
        elif self.database == "postgresql":
            self.database_url = postgres_url_or_skip()
        else:
            self.database_url = self.database
        self.env = {
            "SLACK_BOT_TOKEN": self.slack.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": self.slack.api_url,
            "NOTIFY_CHANNEL": NOTIFY_CHANNEL,
            "DATABASE_URL": self.database_url,
            "ENCRYPTION_KEYS": format_keys([generate_key("test1")]),
            "LWA_TOKEN_URL": self.amazon.token_url,
            "SP_API_ENDPOINT": self.amazon.regional_sp_api_url,  # one fake, three regional hosts
            "LOG_LEVEL": "DEBUG",
            "DATA_DIR": str(self.tmp_path / "data"),
            **self.extra_env,
        }
        self.settings = load_settings(self.env, env_file=self.tmp_path / "no-such.env")
        setup_logging("DEBUG", stream=self._log_stream)
        logging.getLogger().addHandler(self.records)
        self.services = build_services(self.settings)
        if self.after_ack is not None:
            self.services.after_ack = self.after_ack
        self.services.amazon.close()
        self.services.amazon = AmazonClient(
            self.settings.lwa_token_url,
            self.settings.sp_api_endpoint,
            timeout=self.amazon_timeout,
            deadline=self.amazon_deadline,
            sleep=self.amazon_sleep,
        )
        client = build_web_client(self.settings)
        locales = Locales(self.services.db, client)
        self.outbox = build_outbox(self.services, client, locales)
        self.app = build_app(self.services, client=client, outbox=self.outbox, locales=locales)
        if self.workers is None:
            self.workers = self.settings.workers if "WORKERS" in self.extra_env else HARNESS_WORKERS
        self.start_workers(self.workers)
        self.rotation_queue = None
        if self.settings.rotation_queue_url:  # as run_worker does: Amazon's rotation notifications (short polls)
            from bot.jobs.rotation_queue import RotationQueueConsumer

            self.rotation_queue = RotationQueueConsumer(self.services, self.outbox, self.settings.rotation_queue_url,
                                                        wait_seconds=1, error_pause=0.2).start()
        if not self.serve:  # in-process only: requests go through :meth:`dispatch`
            self.url = self.base_url = ""
            return self
        from bot.api.app import wsgi_api

        self._server = make_server(BotWSGI(self.app, self.services.db.ping, api=wsgi_api(self.services),
                                          after_ack=self.services.after_ack), "127.0.0.1", 0, threads=8)
        self.url = f"http://127.0.0.1:{self._server.effective_port}/slack/events"
        self.base_url = f"http://127.0.0.1:{self._server.effective_port}"
        self._thread = threading.Thread(target=self._serve, name="bot-http", daemon=True)
        self._thread.start()
        return self

    def start_workers(self, count: int = 1, kinds: Iterable[str] = LISTENER_JOB_KINDS) -> list[Worker]:
        """``count`` job workers on threads in this process, as ``run`` starts worker processes (only the
        kinds the listeners queue, or ``kinds``; no upkeep, so tests of the queue itself keep their jobs to
        themselves)."""
        started = []
        for n in range(count):
            worker = _ThreadWorker(self.services, self.outbox, kinds=set(kinds),
                                   worker_id=f"harness-{len(self._workers)}-{n}")
            thread = threading.Thread(target=worker.run, name=f"harness-worker-{n}", daemon=True)
            thread.start()
            self._workers.append((worker, thread))
            started.append(worker)
        return started

    def stop_workers(self) -> None:
        for worker, _ in self._workers:
            worker.stop()
        for _, thread in self._workers:
            thread.join(timeout=30)
        self._workers = []

    def _serve(self) -> None:
        try:
            self._server.run()
        except Exception:  # noqa: BLE001 - closing the sockets under run() ends it this way
            pass

    def close(self) -> None:
        if self._server is not None:
            try:
                self._server.task_dispatcher.shutdown(timeout=2)
            except Exception:  # noqa: BLE001
                pass
            self._server.close()
        if self._thread is not None:
            self._thread.join(timeout=3)
        if getattr(self, "rotation_queue", None) is not None:
            self.rotation_queue.stop(join=10)
        self.stop_workers()
        executor = getattr(self.app, "_listener_runner", None)
        executor = getattr(executor, "listener_executor", None)
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)
        self.services.close()
        logging.getLogger().removeHandler(self.records)
        self.slack.stop()
        self.amazon.stop()
        if self.database == "postgresql":
            drop_postgres_url(self.database_url)

    def __enter__(self) -> BotHarness:
        try:
            return self.start()
        except BaseException:
            self.slack.stop()
            self.amazon.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ requests, signed like Slack

    def post(self, body: str, content_type: str) -> httpx.Response:
        return post_signed(self.url, body, self.signing_secret, content_type)

    def dispatch(self, body: str, content_type: str = FORM, *, signing_secret: str | None = None,
                 timestamp: int | None = None) -> BoltResponse:
        """Hand ``body`` to the Bolt app in this process (``app.dispatch``, as bolt-python tests itself),
        signed like Slack; no HTTP to the bot. Listeners still call the fake Slack over HTTP, and a lazy
        listener's work runs after this returns the ack."""
        signed = sign(signing_secret or self.signing_secret, body, timestamp)
        headers = {"content-type": [content_type], **{name.lower(): [value] for name, value in signed.items()}}
        return self.app.dispatch(BoltRequest(body=body, headers=headers))

    def command(self, text: str = "", user: str = DEFAULT_USER, channel: str = "C0TEAM") -> httpx.Response:
        """POST ``/connect-amazon <text>``; ``response.elapsed`` is the ack time."""
        body = slash_command_body(
            COMMAND,
            text,
            user,
            channel_id=channel,
            trigger_id=self.slack.new_trigger_id(user_id=user),
            response_url=self.slack.response_url(),
        )
        return self.post(body, "application/x-www-form-urlencoded")

    def action(self, action_id: str, user: str = DEFAULT_USER, **kwargs: Any) -> httpx.Response:
        """POST a block_actions payload (kwargs as ``slack_signing.block_actions_payload``; extra
        ``selected_options=[...]`` for checkboxes)."""
        selected = kwargs.pop("selected_options", None)
        kwargs.setdefault("trigger_id", self.slack.new_trigger_id(user_id=user))
        payload = block_actions_payload(action_id, user, **kwargs)
        if selected is not None:
            payload["actions"][0]["selected_options"] = selected
        return self.post(block_actions_body(payload), "application/x-www-form-urlencoded")

    def event(self, event: dict[str, Any]) -> httpx.Response:
        return self.post(event_callback_body(event), JSON)

    def open_home(self, user: str = DEFAULT_USER) -> httpx.Response:
        return self.event({"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                           "event_ts": f"{time.time():.6f}"})

    # ------------------------------------------------------------------ DMs and views

    def dm_channel(self, user: str = DEFAULT_USER) -> str:
        return self.slack._dm_for(user)

    def dm_messages(self, user: str = DEFAULT_USER) -> list[dict[str, Any]]:
        return self.slack.channel_messages(self.dm_channel(user))

    def last_dm(self, user: str = DEFAULT_USER) -> dict[str, Any]:
        messages = self.dm_messages(user)
        if not messages:
            raise AssertionError(f"no DM to {user} yet")
        return messages[-1]

    def wait_dm(self, predicate: Callable[[dict[str, Any]], bool] = lambda m: True, user: str = DEFAULT_USER,
                timeout: float = 10.0) -> dict[str, Any]:
        """The newest DM to ``user`` that matches (messages are updated in place by chat.update)."""
        return wait_until(lambda: next((m for m in reversed(self.dm_messages(user)) if predicate(m)), None),
                          timeout, f"no DM to {user} matched")

    def _find_element(self, blocks: list[dict[str, Any]], action_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
        for block in blocks:
            for element in [block.get("accessory"), block.get("element"), *(block.get("elements") or [])]:
                if isinstance(element, dict) and element.get("action_id") == action_id:
                    return block, element
        raise AssertionError(f"no element with action_id {action_id!r}")

    def click(self, action_id: str, user: str = DEFAULT_USER, *, view: dict[str, Any] | None = None,
              message: dict[str, Any] | None = None) -> httpx.Response:
        """Click the button ``action_id`` in ``view`` (a modal or home view), or else in ``message``
        (default: the newest DM to ``user``)."""
        if view is not None:
            block, element = self._find_element(view.get("blocks", []), action_id)
            return self.action(action_id, user, value=element.get("value"), block_id=block.get("block_id", "b"),
                               view=view)
        message = message or self.last_dm(user)
        block, element = self._find_element(message.get("blocks", []), action_id)
        return self.action(action_id, user, value=element.get("value"), block_id=block.get("block_id", "b"),
                           channel_id=self.dm_channel(user), message=message)

    def tick(self, step_id: str, done: bool = True, user: str = DEFAULT_USER) -> httpx.Response:
        """Tick (or untick) a checklist step's checkbox in the newest DM."""
        message = self.last_dm(user)
        block = next((b for b in message.get("blocks", []) if b.get("block_id") == f"step_{step_id}"), None)
        if block is None:
            raise AssertionError(f"no step {step_id!r} in the DM")
        option = block["accessory"]["options"][0]
        return self.action("checklist_step", user, block_id=f"step_{step_id}", action_type="checkboxes",
                           channel_id=self.dm_channel(user), message=message,
                           selected_options=[option] if done else [])

    def view(self, view_id: str) -> dict[str, Any]:
        with self.slack._lock:
            return json.loads(json.dumps(self.slack.views[view_id]))

    def wait_view(self, view_id: str, predicate: Callable[[dict[str, Any]], bool], timeout: float = 15.0
                  ) -> dict[str, Any]:
        def probe() -> dict[str, Any] | None:
            with self.slack._lock:
                current = self.slack.views.get(view_id)
                current = json.loads(json.dumps(current)) if current else None
            return current if current is not None and predicate(current) else None

        return wait_until(probe, timeout, f"view {view_id} never matched")

    def open_credentials(self, user: str = DEFAULT_USER, *, view: dict[str, Any] | None = None) -> dict[str, Any]:
        """Click ``open_credentials`` (in the newest DM, or in ``view``) and return the opened modal."""
        before = len(self.slack.calls_for("views.open"))
        response = self.click("open_credentials", user, view=view)
        assert response.status_code == 200, response.text
        call = wait_until(lambda: self.slack.calls_for("views.open")[before:] or None, 10, "no views.open")[0]
        assert call.response.get("ok"), call.response
        return self.view(call.response["view"]["id"])

    def submit(self, view: dict[str, Any], values: dict[str, Any], user: str = DEFAULT_USER) -> httpx.Response:
        """Submit ``view`` with ``values`` = {action_id: value}. Inputs not given keep their initial
        value (as in Slack). A ``response_action: update`` answer is applied to the stored view."""
        merged = initial_values(view)
        merged.update(values)
        body = view_submission_body(view, merged, user, trigger_id=self.slack.new_trigger_id(user_id=user))
        with self.slack._lock:
            hash_before = self.slack.views[view["id"]]["hash"]
        response = self.post(body, "application/x-www-form-urlencoded")
        if response.status_code == 200 and response.content:
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            # Slack applies the answer before any later views.update; here the bot may be quicker than
            # this client, so the answer never overwrites a views.update that already landed.
            with self.slack._lock:
                existing = self.slack.views[view["id"]]
                if answer.get("response_action") == "update" and existing["hash"] == hash_before:
                    self.slack._store_view(answer["view"], view_id=view["id"],
                                           root_view_id=existing.get("root_view_id"),
                                           previous_view_id=existing.get("previous_view_id"))
        return response

    @staticmethod
    def form_values(creds: Credentials, name: str = "US Main Store", **overrides: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "account_type": creds.account_type,
            "selling_partner_id": creds.selling_partner_id,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "refresh_token": creds.refresh_token,
            "marketplace": creds.marketplace_id,
            "connection_name": name,
        }
        values.update(overrides)
        return values

    def wait_for_slack(self, method: str, predicate: Callable[[Any], bool] | None = None, timeout: float = 10.0
                       ) -> Any:
        return self.slack.wait_for(method, predicate, timeout)

    def channel_posts(self) -> list[dict[str, Any]]:
        """The messages in the team channel as they stand now (after any chat.update)."""
        return self.slack.channel_messages(NOTIFY_CHANNEL)

    def channel_post_calls(self) -> list[dict[str, Any]]:
        """The parameters of every ``chat.postMessage`` to the team channel that Slack accepted."""
        return [c.params for c in self.slack.calls_for("chat.postMessage")
                if c.params.get("channel") == NOTIFY_CHANNEL and c.response.get("ok")]

    def dm_post_calls(self) -> list[dict[str, Any]]:
        """The parameters of every ``chat.postMessage`` to a direct message that Slack accepted."""
        return [c.params for c in self.slack.calls_for("chat.postMessage")
                if str(c.params.get("channel", "")).startswith("D") and c.response.get("ok")]

    # ------------------------------------------------------------------ connections without Slack

    def seed(self, name: str = "Main US", *, created_on: date, owner: str = OWNER,
             creds: Credentials | None = None, now: datetime | None = None,
             store_name: str = "Example Store") -> tuple[int, Credentials]:
        """Register real-shaped credentials with the fake Amazon and store a connection for them (``now``:
        when it was connected, midnight of ``created_on`` by default)."""
        creds = creds or make_credentials()
        self.amazon.register(creds, store_name=store_name)
        stamp = now or datetime.combine(created_on, datetime.min.time(), tzinfo=UTC)
        return seed_connection(self.services, creds, name=name, created_on=created_on, owner=owner,
                               now=stamp, store_name=store_name), creds

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
        """(generation, kind, sent) of every reminder row of the connection."""
        with self.services.db.session() as s:
            return [(r.generation, r.kind, r.sent_at is not None) for r in reminders(s, connection_id)]

    def make_due(self, connection_id: int, when: datetime) -> None:
        """Make the connection's next health check due at ``when``."""
        with self.services.db.session() as s:
            repo.reschedule_health_checks(s, [connection_id], when)

    # ------------------------------------------------------------------ the sweep

    def sweep_command(self, now: datetime) -> list[str]:
        return [sys.executable, "-m", "bot", "sweep", "--now", now.isoformat()]

    def sweep(self, now: datetime) -> str:
        """Run ``python -m bot sweep --now NOW`` and return its output; fails the test on a non-zero exit."""
        proc = subprocess.run(self.sweep_command(now), cwd=self.tmp_path, env=self.subprocess_env(),
                              capture_output=True, text=True, timeout=60, check=False)
        output = proc.stdout + proc.stderr
        self.sweep_outputs.append(output)
        assert proc.returncode == 0, output
        return proc.stdout

    def sweep_here(self, now: datetime) -> str:
        """One pass in this process, through the bot's real Slack outbox (HTTP to the fake Slack)."""
        from bot.app import build_outbox, build_web_client
        from bot.flows.sweep import run_sweep
        from bot.locales import Locales

        client = build_web_client(self.settings)  # as the bot's own: TEAM_LANGUAGE, each DM's reader's language
        report = run_sweep(self.services, build_outbox(self.services, client, Locales(self.services.db, client)), now)
        assert report.ok, report.summary()
        return report.summary()

    # ------------------------------------------------------------------ database, logs, scans

    @contextmanager
    def db_session(self) -> Iterator[Session]:
        with self.services.db.session() as session:
            yield session

    def log_text(self) -> str:
        return self._log_stream.getvalue()

    def database_text(self) -> str:
        """SQLite: the raw bytes of the database file and its -wal/-shm/-journal, as latin-1 text.
        PostgreSQL: every row of every table as text."""
        if self.database_url.startswith("sqlite"):
            path = Path(self.database_url.split("///", 1)[1])
            parts = []
            for suffix in ("", "-wal", "-shm", "-journal"):
                f = Path(str(path) + suffix)
                if f.exists():
                    parts.append(f.read_bytes().decode("latin-1"))
            return "\n".join(parts)
        engine = self.services.db.engine
        parts = []
        with engine.connect() as conn:
            for table in sa.inspect(engine).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    parts.append(repr(tuple(row)))
        return "\n".join(parts)

    def everything_sent_and_logged(self) -> str:
        return "\n".join([self.slack.all_text(), self.log_text(), "\n".join(self.records.lines),
                          self.database_text()])

    # ------------------------------------------------------------------ the same bot as a process

    def subprocess_env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_", "LWA_", "SP_API_", "DATABASE_URL"))}
        env.update(self.env, PYTHONPATH=str(REPO), **extra)
        return env

    def run_cli(self, *args: str, timeout: float = 60.0, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run ``python -m bot <args>`` against the same fakes and database; returns the finished process."""
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            env=self.subprocess_env(**extra_env),
            cwd=self.tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def seed_connection(services: Services, creds: Credentials, *, name: str, created_on: date, owner: str,
                    now: datetime, store_name: str, team_id: str = TEAM_ID) -> int:
    """Store a connection for ``creds`` as the connect flow would, without Slack; returns its id."""
    with services.db.session() as s:
        conn = repo.create_or_update_connection(
            s, services.crypto,
            repo.ConnectionValues(
                team_id=team_id, name=name, account_type=creds.account_type,
                selling_partner_id=creds.selling_partner_id, region="NA", marketplace_id=creds.marketplace_id,
                client_id=creds.client_id, client_secret=creds.client_secret, refresh_token=creds.refresh_token,
                secret_created_on=created_on, store_name=store_name,
            ),
            created_by=owner, now=now,
        )
        s.commit()
        assert conn.id is not None
        return conn.id


def initial_values(view: dict[str, Any]) -> dict[str, Any]:
    """{action_id: value} that Slack would submit for an untouched view (initial values)."""
    values: dict[str, Any] = {}
    for block in view.get("blocks", []):
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        action_id = element.get("action_id")
        if "initial_value" in element:
            values[action_id] = element["initial_value"]
        elif "initial_option" in element:
            values[action_id] = element["initial_option"]["value"]
        elif "initial_date" in element:
            values[action_id] = element["initial_date"]
    return values


def wait_until(probe: Callable[[], Any], timeout: float, message: str) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} within {timeout}s")
        time.sleep(0.05)


@contextmanager
def socket_mode_bot(tmp_path: Path) -> Iterator[tuple[FakeSlack, io.StringIO]]:
    """The bot in Socket Mode, connected to the fake Slack's websocket (Amazon unreachable): (fake, log)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    log = io.StringIO()
    handler = setup_logging("DEBUG", log)
    with FakeSlack() as fake:
        settings = load_settings(
            {"SLACK_BOT_TOKEN": fake.bot_token, "SLACK_APP_TOKEN": fake.app_token, "SLACK_API_URL": fake.api_url,
             "NOTIFY_CHANNEL": "C0NOTIFY01", "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
             "ENCRYPTION_KEYS": format_keys([generate_key("s1")]),
             "LWA_TOKEN_URL": "http://127.0.0.1:9/auth/o2/token", "SP_API_ENDPOINT": "http://127.0.0.1:9"},
            env_file=tmp_path / "none.env",
        )
        services = build_services(settings)
        app = build_app(services)
        worker = _ThreadWorker(services, build_outbox(services, app.client, Locales(services.db, app.client)),
                               kinds=set(LISTENER_JOB_KINDS), worker_id="socket-mode-worker")
        thread = threading.Thread(target=worker.run, name="socket-mode-worker", daemon=True)
        thread.start()  # the listeners' work after the ack
        socket = SocketModeHandler(app, settings.slack_app_token)
        socket.connect()
        assert fake.socket_connected.wait(10)
        try:
            yield fake, log
        finally:
            socket.close()
            worker.stop()
            thread.join(timeout=30)
            services.close()
            logging.getLogger().removeHandler(handler)
