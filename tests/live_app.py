"""The ``live_app`` fixture (shared through tests/conftest.py).

``live_app`` runs the real Bolt app behind the real ``BotWSGI`` + waitress server on 127.0.0.1,
against the local fake Slack, with a SQLite database in ``tmp_path``. The end-to-end guard tests
use the shared ``tests/harness.py`` instead; this lighter fixture serves the HTTP-hardening tests,
which need the server and nothing of Amazon.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import build_app
from bot.logs import setup_logging
from bot.server import BotWSGI, make_server
from bot.services import Services, build_services
from bot.settings import load_settings
from storage.crypto import format_keys, generate_key
from tests.fakes.fake_slack import FakeSlack

SIGNING_SECRET = "3c1d9e0f7a2b4c6d8e0f1a2b3c4d5e6f"


@dataclass
class LiveApp:
    fake: FakeSlack
    services: Services
    wsgi: BotWSGI
    url: str
    log: io.StringIO
    signing_secret: str = SIGNING_SECRET

    def log_text(self) -> str:
        return self.log.getvalue()


def _serve(server: Any) -> None:
    try:
        server.run()
    except OSError:  # the loop's select() racing close() at shutdown
        pass


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    tmp_path: Path = tmp_path_factory.mktemp("live_app")
    log = io.StringIO()
    handler = setup_logging("DEBUG", log)
    with FakeSlack() as fake:
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": fake.bot_token,
                "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                "SLACK_API_URL": fake.api_url,
                "NOTIFY_CHANNEL": "C0NOTIFY01",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
                "ENCRYPTION_KEYS": format_keys([generate_key("guard")]),
                "LWA_TOKEN_URL": "http://127.0.0.1:9/auth/o2/token",
                "SP_API_ENDPOINT": "http://127.0.0.1:9",
            },
            env_file=tmp_path / "no.env",
        )
        services = build_services(settings)
        app = build_app(services)
        wsgi = BotWSGI(app, services.db.ping)
        server: Any = make_server(wsgi, "127.0.0.1", 0, 4)
        thread = threading.Thread(target=_serve, args=(server,), daemon=True)
        thread.start()
        try:
            yield LiveApp(fake, services, wsgi, f"http://127.0.0.1:{server.effective_port}/slack/events", log)
        finally:
            server.close()
            thread.join(5)
            services.close()
            import logging

            logging.getLogger().removeHandler(handler)
