"""`python -m bot rotate-key` as an operator runs it: a real process against a real SQLite file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage import repo
from storage.crypto import Crypto, format_keys, generate_key
from storage.db import Database, migrate
from tests.repo_helpers import seed_sellers
from tests.storage.conftest import NOW, SECRET_A, TOKEN_A

REPO = Path(__file__).resolve().parents[1]


def rotate(url: str, keys: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=url, ENCRYPTION_KEYS=keys)
    return subprocess.run(
        [sys.executable, "-m", "bot", "rotate-key", "--batch-size", "2"],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60,
    )


def seed(db: Database, crypto: Crypto, names: list[str]) -> None:
    with db.session() as s:
        seed_sellers(s, crypto, names, client_secret=SECRET_A, refresh_token=TOKEN_A, created_by="U1", now=NOW)


def test_rotate_key_reencrypts_everything_under_the_new_key(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    old, new = generate_key("old"), generate_key("new")
    db = Database(url)
    migrate(db.engine)
    seed(db, Crypto([old]), ["A", "B", "C", "D", "E"])

    result = rotate(url, format_keys([new, old]), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "5 connection(s) re-encrypted under key 'new'" in result.stdout
    assert "Traceback" not in result.stderr

    only_new = Crypto([new])
    with db.session() as s:
        for conn in repo.list_connections(s, "T1"):
            secrets = repo.load_secrets(s, only_new, conn)
            assert secrets.client_secret == SECRET_A and secrets.refresh_token == TOKEN_A

    again = rotate(url, format_keys([new, old]), tmp_path)
    assert again.returncode == 0 and "Done: 0 connection(s)" in again.stdout
    db.dispose()


def test_rotate_key_names_the_connection_it_cannot_decrypt(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    lost, kept, new = generate_key("lost"), generate_key("kept"), generate_key("new")
    db = Database(url)
    migrate(db.engine)
    seed(db, Crypto([lost]), ["Orphan store"])
    seed(db, Crypto([kept]), ["Good store"])

    result = rotate(url, format_keys([new, kept]), tmp_path)
    assert result.returncode == 1
    assert "Orphan store" in result.stderr and "'lost'" in result.stderr
    assert "Traceback" not in result.stderr
    assert SECRET_A not in result.stderr + result.stdout
    with db.session() as s:
        good = repo.get_connection(s, "T1", "Good store")
        assert good is not None
        assert repo.load_secrets(s, Crypto([new]), good).client_secret == SECRET_A
    db.dispose()
