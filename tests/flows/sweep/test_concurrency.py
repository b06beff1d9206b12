"""Two `python -m bot sweep` processes at once against PostgreSQL post every message at most once."""

from __future__ import annotations

import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from bot.app import build_web_client
from bot.flows.sweep import run_sweep
from bot.outbox import SlackOutbox
from bot.services import Services, build_services
from tests.catalog import all_say
from tests.harness import BotHarness

NOW = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
PROCESS_ROUNDS = 5  # each round is two real `python -m bot sweep` processes (~3-6 s on 2 cores)
THREAD_ROUNDS = 30  # cheaper rounds: two sweepers with their own connection pools, in threads


def run_two_sweeps_at_once(world: BotHarness, now: datetime) -> None:
    procs = [subprocess.Popen(world.sweep_command(now), cwd=world.tmp_path, env=world.subprocess_env(),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, out


def seed_round(world: BotHarness, r: int) -> None:
    """Fresh due work: three expiry reminders and one revoked refresh token. Earlier rounds'
    connections stay quiet (their reminders went out, their next checks are a day away)."""
    today = NOW.date()
    for days_left in (30, 7, 0):
        world.seed(f"R{r} D{days_left}", created_on=today + timedelta(days=days_left - 180),
                   now=NOW - timedelta(days=3))
    _cid, creds = world.seed(f"R{r} revoked", created_on=today - timedelta(days=10), now=NOW - timedelta(days=3))
    world.amazon.revoke_refresh_token(creds.refresh_token)


def check_round(world: BotHarness, r: int) -> None:
    texts = [str(p["text"]) for p in world.channel_post_calls()]
    dms = [str(p["text"]) for p in world.dm_post_calls()]
    duplicates = {t: n for t, n in Counter(texts + dms).items() if n > 1}
    assert not duplicates, f"round {r}: posted twice: {duplicates}"
    assert len(texts) == 4 * (r + 1), f"round {r}: {len(texts)} channel posts"
    assert len(dms) == r + 1
    assert len(all_say(texts, "lifecycle.reminder.text", name=f"R{r} D30", days=30)) == 1
    assert len(all_say(texts, "lifecycle.reminder.text", name=f"R{r} D7", days=7)) == 1
    assert len(all_say(texts, "lifecycle.expired.text", name=f"R{r} D0")) == 1
    assert len(all_say(texts, "lifecycle.health.failing.text", name=f"R{r} revoked")) == 1


def test_two_sweep_processes_at_once_post_no_duplicates(pg_world: BotHarness) -> None:
    world = pg_world
    for r in range(PROCESS_ROUNDS):
        seed_round(world, r)
        run_two_sweeps_at_once(world, NOW)
        check_round(world, r)


def test_two_sweepers_racing_many_times_post_no_duplicates(pg_world: BotHarness) -> None:
    """The same race, many more times: two sweepers, each with its own Services (own engine, pool and
    Amazon client), start together on a barrier in two threads."""
    world = pg_world
    other = build_services(world.settings)
    try:
        sweepers = [world.services, other]
        for r in range(THREAD_ROUNDS):
            seed_round(world, r)
            barrier = threading.Barrier(2)
            errors: list[BaseException] = []

            def one(services: Services, barrier: threading.Barrier = barrier,
                    errors: list[BaseException] = errors) -> None:
                try:
                    barrier.wait(5)
                    outbox = SlackOutbox(build_web_client(world.settings), world.settings.notify_channel)
                    report = run_sweep(services, outbox, NOW)
                    assert report.ok, report.summary()
                except BaseException as exc:  # noqa: BLE001 - reported below
                    errors.append(exc)

            threads = [threading.Thread(target=one, args=(s,)) for s in sweepers]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert not errors, errors
            check_round(world, r)
    finally:
        other.close()

