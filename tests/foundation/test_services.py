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
