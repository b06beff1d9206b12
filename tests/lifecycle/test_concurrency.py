"""Two `python -m bot sweep` processes at once against PostgreSQL post every message at most once."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, datetime, timedelta

from tests.lifecycle.conftest import World

NOW = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
ROUNDS = 10  # each round is two real `python -m bot sweep` processes (~3 s on 2 cores)


def run_two_sweeps_at_once(world: World, now: datetime) -> None:
    procs = [subprocess.Popen(world.sweep_command(now), cwd=world.tmp_path, env=world.process_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out


def test_two_sweeps_at_once_post_no_duplicates(pg_world: World) -> None:
    world = pg_world
    today = NOW.date()
    for r in range(ROUNDS):
        # Fresh due work each round: three expiry reminders and one revoked refresh token.
        for days_left in (30, 7, 0):
            world.seed(f"R{r} D{days_left}", created_on=today + timedelta(days=days_left - 180),
                       now=NOW - timedelta(days=3))
        _cid, creds = world.seed(f"R{r} revoked", created_on=today - timedelta(days=10), now=NOW - timedelta(days=3))
        world.amazon.revoke_refresh_token(creds.refresh_token)
        # Previous rounds' connections must stay quiet: their next checks are a day away.

        run_two_sweeps_at_once(world, NOW)

        texts = [str(p["text"]) for p in world.channel_posts()]
        dms = [str(p["text"]) for p in world.dm_posts()]
        duplicates = {t: n for t, n in Counter(texts + dms).items() if n > 1}
        assert not duplicates, f"round {r}: posted twice: {duplicates}"
        assert len(texts) == 4 * (r + 1), f"round {r}: {len(texts)} channel posts"
        assert len(dms) == r + 1
        assert sum(f"R{r} D30" in t and "in 30 day" in t for t in texts) == 1
        assert sum(f"R{r} D7" in t and "in 7 day" in t for t in texts) == 1
        assert sum(f"R{r} D0" in t and "expired on" in t for t in texts) == 1
        assert sum(f"R{r} revoked" in t and "stopped working" in t for t in texts) == 1
