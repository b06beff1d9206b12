"""``python -m bot token NAME`` as a process against the harness's database and fake Amazon (issue 15)."""

from __future__ import annotations

from datetime import UTC, datetime

from storage import repo
from storage.models import Connection
from tests.api.helpers import CREATED_ON
from tests.fakes.fake_amazon import TOKEN_PATH
from tests.harness import BotHarness


def test_prints_a_fresh_token_and_nothing_else(bot: BotHarness) -> None:
    _, creds = bot.seed("Main US", created_on=CREATED_ON)
    done = bot.run_cli("token", "main us")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Atza|") and done.stdout.count("\n") == 1
    assert bot.amazon.calls(TOKEN_PATH) == 1
    assert creds.client_secret not in done.stdout + done.stderr and creds.refresh_token not in done.stderr


def test_says_why_not_in_one_sentence(bot: BotHarness) -> None:
    conn_id, creds = bot.seed("Main", created_on=CREATED_ON)
    missing = bot.run_cli("token", "Nope")
    assert missing.returncode == 1 and missing.stdout == "" and "no connection" in missing.stderr
    bot.amazon.revoke_refresh_token(creds.refresh_token)
    refused = bot.run_cli("token", "Main")
    assert refused.returncode == 1 and refused.stdout == "" and "Amazon did not accept" in refused.stderr
    with bot.db_session() as s:
        assert repo.erase_secrets(s, s.get(Connection, conn_id), "U0ADMIN", datetime.now(UTC))
        s.commit()
    gone = bot.run_cli("token", "Main")
    assert gone.returncode == 1 and "disconnected" in gone.stderr
    assert "Traceback" not in missing.stderr + refused.stderr + gone.stderr
