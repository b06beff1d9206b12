"""First run without ENCRYPTION_KEYS: a key file is made (0600) and the log says production should not rely on it."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from bot.services import build_services
from bot.settings import load_settings


def test_first_run_without_keys_generates_a_key_file_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", "DATA_DIR": str(tmp_path / "data")}
    settings = load_settings(env, need_slack=False, env_file="/nonexistent/.env")
    with caplog.at_level(logging.WARNING):
        services = build_services(settings)
    try:
        key_file = tmp_path / "data" / "encryption.key"
        assert key_file.is_file()
        assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any("ENCRYPTION_KEYS" in w and "secret store" in w for w in warnings)
        assert key_file.read_text().strip() not in caplog.text
        blob = services.crypto.encrypt("x", table="connections", row_id=1, field="client_secret")
    finally:
        services.close()

    caplog.clear()
    with caplog.at_level(logging.WARNING):
        again = build_services(settings)  # the second start reuses the key silently
    try:
        assert again.crypto.decrypt(blob, table="connections", row_id=1, field="client_secret") == "x"
        assert not [r for r in caplog.records if "ENCRYPTION_KEYS" in r.getMessage()]
    finally:
        again.close()


def test_no_repr_or_log_line_shows_the_database_password(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A real PostgreSQL (trust auth ignores the password, so the URL with one still connects)."""
    from sqlalchemy.engine import make_url

    from bot.logs import setup_logging
    from tests.db_fixtures import drop_postgres_url, postgres_url_or_skip

    password = "Pw-9f3kQz/x"  # an unencoded "/" too
    url = make_url(postgres_url_or_skip())
    with_password = url.render_as_string(hide_password=False).replace(
        f"{url.username}@", f"{url.username}:{password}@", 1)
    env = {"DATABASE_URL": with_password, "DATA_DIR": str(tmp_path / "data")}
    settings = load_settings(env, need_slack=False, env_file="/nonexistent/.env")
    assert settings.database_url.count(password) == 1
    services = build_services(settings)
    try:
        assert services.db.ping()
        for shown in (repr(settings), str(settings), repr(services), str(services), repr(services.db)):
            assert password not in shown and "Pw-9f3" not in shown, shown
            assert "***" in shown and url.host in shown
        import io
        import logging as logging_
        stream = io.StringIO()
        handler = setup_logging("DEBUG", stream=stream)
        try:
            logging_.getLogger("bot.test").warning("settings are %s, url %s", settings, settings.database_url)
        finally:
            logging_.getLogger().removeHandler(handler)
        assert "Pw-9f3" not in stream.getvalue() and "***" in stream.getvalue()
    finally:
        services.close()
        drop_postgres_url(with_password)


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql+psycopg://bot:s3cret@db.example:5432/bot", "postgresql+psycopg://bot:***@db.example:5432/bot"),
    ("postgresql+psycopg://bot@db.example/bot?password=s3cret&sslmode=require",
     "postgresql+psycopg://bot@db.example/bot?password=***&sslmode=require"),
    ("postgresql+psycopg://:s3cret@db.example/bot", "postgresql+psycopg://:***@db.example/bot"),
    ("sqlite:////var/lib/bot/bot.db", "sqlite:////var/lib/bot/bot.db"),
])
def test_settings_repr_masks_every_database_password_shape(url: str, shown: str) -> None:
    settings = load_settings({"DATABASE_URL": url}, need_slack=False, env_file="/nonexistent/.env")
    assert f"database_url={shown!r}" in repr(settings)
    assert "s3cret" not in repr(settings)
