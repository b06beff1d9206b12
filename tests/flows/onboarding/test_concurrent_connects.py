"""Many people connecting at once on SQLite: every save lands, none fails with "database is locked".

Regression: a session that read (e.g. looked for an existing connection) and then wrote could fail at
once on SQLite when another thread had committed in between; such sessions now take the write lock
when they begin.
"""

from __future__ import annotations

import secrets
import threading
from pathlib import Path

from storage import repo
from tests.catalog import says
from tests.fakes.fake_amazon import make_credentials
from tests.flows.onboarding.test_onboarding_http import final
from tests.harness import BotHarness

PEOPLE = 16


def test_concurrent_connections_all_land(tmp_path: Path) -> None:
    with BotHarness(tmp_path) as h:
        users = []
        for _ in range(PEOPLE):
            user_id = "U" + secrets.token_hex(4).upper()
            h.slack.add_user(user_id, f"member{user_id.lower()}")
            users.append(user_id)
        forms = []
        for i, user_id in enumerate(users):
            creds = h.amazon.register(make_credentials())
            assert h.command("", user=user_id).status_code == 200
            h.wait_dm(user=user_id)
            forms.append((user_id, h.open_credentials(user_id), h.form_values(creds, f"Store {i}")))
        h.amazon.set_latency(0.2)  # let the saves bunch up after Amazon answers
        threads = [threading.Thread(target=h.submit, args=(view, values, user_id)) for user_id, view, values in forms]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for _, view, _ in forms:
            assert says(final(h, view["id"], timeout=30), "onboarding.result.connected")
        with h.db_session() as session:
            names = {c.name for c in repo.list_connections(session, "T0FAKETEAM")}
        assert names == {f"Store {i}" for i in range(PEOPLE)}
        assert "database is locked" not in h.log_text()
