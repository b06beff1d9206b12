"""The sweep at scale: N connections of which a fixed number are due, on SQLite and PostgreSQL.

Seeding writes real rows through the storage model (``sa.insert(Connection)`` in bulk): every row
has its own client secret and refresh token, encrypted with AES-GCM bound to its row id and field
(the AAD forbids reusing one ciphertext across rows), and keyed fingerprints, as the bot writes them.

Who is due (``now`` = the pass's clock):
- reminders: ``reminders_due`` rows whose secret expires in exactly 30, 14, 7, 3, 1 or 0 days (the
  last ones get the "expired" alert), this reminder not sent yet, the less urgent ones already in
  the ledger (as a bot that has been running finds them);
- health checks: ``health_due`` rows whose ``next_health_check_at`` passed up to 15 minutes ago,
  with credentials the fake Amazon accepts;
- everybody else: next health check spread over the coming day, every 50th row disconnected
  (secrets erased), every row with its "connected" audit entry, and the secret's expiry either
  - "outside": 31-180 days away, outside the 30-day reminder window (the best case), or
  - "steady": 1-180 days away, as when secrets were created evenly over the last 180 days, so that
    1/6 of the rows sit inside the reminder window with the reminders their days-left called for
    already in the ledger (what a bot that has been running for months holds).

The pass itself runs in a fresh process, ``python -m bench.sweep pass --now ISO``, like
``python -m bot sweep --now``: build the services, then time one ``run_sweep`` call (and a second
one, which finds nothing due).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.procs import REPO, bot_env, loadavg, pin, read_memory
from bot.amazon.client import Credentials
from storage.crypto import Crypto, parse_keys
from storage.db import Database
from storage.models import AuditEntry, Connection, ReminderLedger
from storage.names import name_key

TEAM_ID = "T0FAKETEAM"
LEAD_TIMES = (30, 14, 7, 3, 1, 0)  # 0: already expired -> the one "expired" alert
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
CHUNK = 5000


def _client_id(rng: bytes) -> str:
    return "amzn1.application-oa2-client." + rng[:16].hex()


def _secret(rng: bytes) -> str:
    return "amzn1.oa2-cs.v1." + rng[16:48].hex()


def _refresh_token(rng: bytes) -> str:
    return "Atzr|IwEB" + base64.urlsafe_b64encode(rng[48:273]).decode()  # 300 characters


class Seeder:
    """Writes the population in steps (10k, then up to 50k, then 100k) with the same due rows.

    ``insert(upto)`` adds the not-due rows up to id ``upto``; ``refresh_due()`` deletes and
    re-inserts the due rows (ids 1..reminders_due+health_due, fresh secrets, nothing sent yet) so
    that every pass starts with the same due work whatever the previous pass did.
    """

    def __init__(self, db: Database, crypto: Crypto, *, reminders_due: int, health_due: int,
                 now: datetime, steady: bool) -> None:
        self.db = db
        self.steady = steady
        self.crypto = crypto
        self.reminders_due = reminders_due
        self.health_due = health_due
        self.now = now
        self.count = reminders_due + health_due  # ids 1..count are the due rows
        self.seconds = 0.0

    @property
    def due(self) -> int:
        return self.reminders_due + self.health_due

    def _rows(self, i: int, health_creds: list[Credentials], out: dict[str, list[dict[str, Any]]]) -> None:
        now, today = self.now, self.now.date()
        rng = os.urandom(273)
        client_id, secret, token = _client_id(rng), _secret(rng), _refresh_token(rng)
        sp_id = f"A{i:013X}"
        status = "connected"
        next_check = now + timedelta(seconds=60 + (i * 7919) % 86_340)
        sent: list[str] = []
        if i <= self.reminders_due:
            # Due today for lead time L (0: the expired alert); the less urgent reminders went out earlier.
            lead = LEAD_TIMES[i % len(LEAD_TIMES)]
            expires = today + timedelta(days=lead)
            sent = [f"expiry:{longer}" for longer in LEAD_TIMES if longer > lead]
        elif i <= self.due:
            expires = today + timedelta(days=31 + i % 150)
            next_check = now - timedelta(seconds=1 + (i * 31) % 900)
            health_creds.append(Credentials("seller", sp_id, client_id, secret, token, "ATVPDKIKX0DER"))
        else:
            if self.steady:
                # Secrets created evenly over the last 180 days: 1/6 expire within the 30-day window,
                # and those already had the reminders their days-left called for.
                days_left = 1 + (i * 7) % 180
                sent = [f"expiry:{lead}" for lead in LEAD_TIMES if lead and days_left <= lead]
            else:
                days_left = 31 + i % 150
            expires = today + timedelta(days=days_left)
            if i % 50 == 0:
                status, sent = "disconnected", []
        live = status != "disconnected"
        enc = self.crypto.encrypt
        name = f"Store {i:06d}"
        owner = f"U0OWNER{i % 97:03d}"
        out["connections"].append({
            "id": i, "team_id": TEAM_ID, "name": name, "name_key": name_key(name), "account_type": "seller",
            "selling_partner_id": sp_id, "region": "NA", "marketplace_id": "ATVPDKIKX0DER",
            "client_id": client_id, "store_name": f"Store {sp_id}",
            "client_secret_enc": enc(secret, table="connections", row_id=i, field="client_secret") if live else None,
            "refresh_token_enc": enc(token, table="connections", row_id=i, field="refresh_token") if live else None,
            "client_secret_fp": self.crypto.fingerprint(secret) if live else None,
            "refresh_token_fp": self.crypto.fingerprint(token) if live else None,
            "secret_created_on": expires - timedelta(days=180), "secret_expires_on": expires,
            "secret_generation": 1, "status": status, "last_verified_at": now - timedelta(days=1),
            "last_error": None, "transient_failures": 0, "next_health_check_at": next_check if live else None,
            "created_by": owner, "created_at": now - timedelta(days=200),
            "updated_at": now - timedelta(days=1),
        })
        # Every connection has its history in the audit log: at least the day it was connected.
        out["audit_log"].append({
            "team_id": TEAM_ID, "connection_id": i, "connection_name": name, "actor": owner,
            "action": "connected", "detail": f"seller {sp_id} in NA (ATVPDKIKX0DER)",
            "created_at": now - timedelta(days=200),
        })
        if not live:
            out["audit_log"].append({
                "team_id": TEAM_ID, "connection_id": i, "connection_name": name, "actor": owner,
                "action": "disconnected", "detail": None, "created_at": now - timedelta(days=20),
            })
        for kind in sent:
            out["reminder_ledger"].append({
                "connection_id": i, "generation": 1, "kind": kind, "claimed_by": "bench-history",
                "claimed_at": now - timedelta(days=1), "sent_at": now - timedelta(days=1),
            })

    def _insert(self, ids: range) -> list[Credentials]:
        started = time.perf_counter()
        creds: list[Credentials] = []
        for lo in range(ids.start, ids.stop, CHUNK):
            out: dict[str, list[dict[str, Any]]] = {"connections": [], "audit_log": [], "reminder_ledger": []}
            for i in range(lo, min(lo + CHUNK, ids.stop)):
                self._rows(i, creds, out)
            with self.db.engine.begin() as conn:
                for model in (Connection, AuditEntry, ReminderLedger):
                    rows = out[model.__tablename__]
                    if rows:
                        conn.execute(sa.insert(model.__table__), rows)
        with self.db.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            if self.db.dialect == "postgresql":
                for table in ("connections", "audit_log", "reminder_ledger"):
                    conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                         f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)")
                # A production database has planner statistics (autovacuum's ANALYZE); a freshly
                # bulk-loaded one has none until autovacuum wakes up: gather them now, not racing it.
                conn.exec_driver_sql("ANALYZE")
        self.seconds += time.perf_counter() - started
        return creds

    def insert(self, upto: int) -> None:
        """Add not-due rows so that the table holds ``upto`` connections."""
        if upto > self.count:
            self._insert(range(max(self.count, self.due) + 1, upto + 1))
            self.count = upto

    def refresh_due(self) -> list[Credentials]:
        """(Re)create the due rows; returns the credentials the fake Amazon must accept."""
        with self.db.engine.begin() as conn:
            # The ledger goes with its connections (ON DELETE CASCADE); the audit rows of earlier passes too.
            for table, column in ((AuditEntry.__table__, "connection_id"),
                                  (ReminderLedger.__table__, "connection_id"), (Connection.__table__, "id")):
                conn.execute(sa.delete(table).where(table.c[column] <= self.due))
        return self._insert(range(1, self.due + 1))


# ----------------------------------------------------------------------------- PostgreSQL


def postgres_available() -> str | None:
    """None when PostgreSQL answers at PG_ADMIN_URL, else the reason it does not."""
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip PostgreSQL"
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}: {str(exc)[:200]}"


def postgres_version() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN_URL, connect_timeout=3) as conn:
            row = conn.execute("SHOW server_version").fetchone()
        return str(row[0]) if row else None
    except Exception:  # noqa: BLE001 - informational only
        return None


def create_pg_database(name: str) -> str:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', 'postgresql+psycopg://', 1)}/{name}"


def drop_pg_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ----------------------------------------------------------------------------- the timed pass


def run_pass_process(env: dict[str, str], now: datetime, cwd: Path, timeout: float = 240,
                     profile: str | None = None, cpus: set[int] | None = None) -> dict[str, Any]:
    """Run ``python -m bench.sweep pass`` with ``env`` (on ``cpus``); its JSON answer."""
    argv = [sys.executable, "-m", "bench.sweep", "pass", "--now", now.isoformat()]
    if profile:
        argv += ["--profile", profile]
    proc = subprocess.Popen(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pin(proc.pid, cpus)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        stdout, stderr = proc.communicate()
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"sweep pass failed (exit {proc.returncode}):\n{stdout[-2000:]}\n{stderr[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def _pass_main(now: datetime, profile: str | None) -> int:
    from bot.app import build_web_client
    from bot.flows.sweep import run_sweep
    from bot.logs import setup_logging
    from bot.outbox import SlackOutbox
    from bot.services import build_services
    from bot.settings import load_settings

    settings = load_settings()
    setup_logging("WARNING")
    services = build_services(settings)
    try:
        outbox = SlackOutbox(build_web_client(settings), settings.notify_channel)
        profiler = None
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.001)
            profiler.start()
        started, cpu_started = time.perf_counter(), time.process_time()
        report = run_sweep(services, outbox, now=now)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        if profiler is not None:
            profiler.stop()
            Path(profile).write_text(profiler.output_text(unicode=False, color=False, show_all=False))
        started = time.perf_counter()
        again = run_sweep(services, outbox, now=now + timedelta(seconds=1))
        second = time.perf_counter() - started
        print(json.dumps({"seconds": first, "cpu_seconds": first_cpu, "summary": report.summary(), "ok": report.ok,
                          "idle_seconds": second,
                          "idle_summary": again.summary(),
                          "peak_rss_mb": read_memory(os.getpid()).get("VmHWM")}))
        return 0
    finally:
        services.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sweep")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pass", help="time one sweep pass (environment as for python -m bot sweep)")
    p.add_argument("--now", required=True)
    p.add_argument("--profile", help="write a pyinstrument profile of the first pass to this file")
    args = parser.parse_args(argv)
    now = datetime.fromisoformat(args.now)
    return _pass_main(now if now.tzinfo else now.replace(tzinfo=UTC), args.profile)


def sweep_env(fakes_info: dict[str, str], database_url: str, keys: str) -> dict[str, str]:
    return bot_env(slack_api_url=fakes_info["slack_api_url"], bot_token=fakes_info["bot_token"],
                   token_url=fakes_info["token_url"], sp_api_url=fakes_info["sp_api_url"],
                   database_url=database_url, encryption_keys=keys, PYTHONPATH=str(REPO))


def crypto_for(keys: str) -> Crypto:
    return Crypto(parse_keys(keys))


WHATIF_SQL = {
    # count_audit_actions (bot/flows/sweep/health.py _alerts_due, once per batch of health checks) filters
    # audit_log by team_id, connection_id and action; only team_id is indexed, and one workspace's
    # rows are all of them.
    "audit-index": "CREATE INDEX ix_bench_audit_log_connection_id_action ON audit_log (connection_id, action)",
}


def bench_database(fakes: Any, workdir: Path, dialect: str, *, sizes: tuple[int, ...], reminders_due: int,
                   health_due: int, steady: bool, keys: str, profile_dir: Path | None = None,
                   log: Any = print, cpus: set[int] | None = None,
                   whatif: tuple[str, ...] = (), repeat: int = 3) -> list[dict[str, Any]]:
    """Seed one database up through ``sizes`` (same due rows each time) and time ``repeat`` passes at each
    size (the due rows re-created before each); the median pass is the figure."""
    pg_name = f"bench_sweep_{os.getpid()}_{'steady' if steady else 'outside'}"
    if dialect == "postgresql":
        url = create_pg_database(pg_name)
    else:
        path = workdir / f"sweep-{'steady' if steady else 'outside'}.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    db = Database(url)
    results: list[dict[str, Any]] = []
    try:
        db.migrate()
        with db.engine.begin() as conn:
            for name in whatif:
                conn.exec_driver_sql(WHATIF_SQL[name])
        now = datetime.now(UTC).replace(microsecond=0)
        seeder = Seeder(db, crypto_for(keys), reminders_due=reminders_due, health_due=health_due, now=now,
                        steady=steady)
        env = sweep_env(fakes.info, url, keys)
        for size in sizes:
            seeder.insert(size)
            passes: list[dict[str, Any]] = []
            for attempt in range(repeat):
                creds = seeder.refresh_due()
                fakes.call("register", creds)
                fakes.call("reset")
                profile = None
                if profile_dir is not None and attempt == 0:
                    profile = str(profile_dir / f"sweep-{dialect}-{'steady' if steady else 'outside'}-{size}.txt")
                load_start = loadavg()
                answer = run_pass_process(env, now + timedelta(seconds=1), workdir, profile=profile, cpus=cpus)
                counts = fakes.call("counts")
                one = {
                    "seconds": round(answer["seconds"], 3), "cpu_seconds": round(answer["cpu_seconds"], 3),
                    "idle_seconds": round(answer["idle_seconds"], 3),
                    "slack_posts": counts["slack"].get("chat.postMessage", 0),
                    "slack_errors": counts["slack_errors"],
                    "lwa_calls": counts["amazon"].get("/auth/o2/token", 0),
                    "summary": answer["summary"], "loadavg": {"start": load_start, "end": loadavg()},
                    "peak_rss_mb": answer.get("peak_rss_mb"),
                }
                # A pass that stopped early or skipped due work is not a figure: say so instead of timing it.
                one["complete"] = (answer.get("ok", True) and one["slack_posts"] == reminders_due
                                   and one["lwa_calls"] == health_due)
                if not one["complete"]:
                    log(f"  sweep INCOMPLETE: expected {reminders_due} posts and {health_due} LWA calls:\n"
                        f"{answer['summary']}")
                passes.append(one)
            times = sorted(p["seconds"] for p in passes)
            row = {
                "database": dialect, "population": "steady" if steady else "outside", "connections": size,
                "whatif": ",".join(whatif) or None, "due": seeder.due,
                "seconds": times[len(times) // 2],  # the median pass
                "all_seconds": [p["seconds"] for p in passes],
                "all_cpu_seconds": [p["cpu_seconds"] for p in passes],
                "idle_seconds": sorted(p["idle_seconds"] for p in passes)[len(passes) // 2],
                "slack_posts": passes[-1]["slack_posts"], "lwa_calls": passes[-1]["lwa_calls"],
                "slack_errors": passes[-1]["slack_errors"], "summary": passes[-1]["summary"],
                "complete": all(p["complete"] for p in passes),
                "seed_seconds_total": round(seeder.seconds, 1),
                "loadavg": {"start": passes[0]["loadavg"]["start"], "end": passes[-1]["loadavg"]["end"]},
                "peak_rss_mb": max((p["peak_rss_mb"] or 0) for p in passes) or None,
            }
            log(f"  sweep {dialect:10} {row['population']:7} {size:>7,} connections, {seeder.due} due: "
                f"median {row['seconds']:.2f} s of {row['all_seconds']} (process CPU {row['all_cpu_seconds']} s, "
                f"idle pass {row['idle_seconds']:.2f} s, "
                f"posts {row['slack_posts']}, LWA calls {row['lwa_calls']})")
            results.append(row)
    finally:
        db.dispose()
        if dialect == "postgresql":
            drop_pg_database(pg_name)
    return results


if __name__ == "__main__":
    sys.exit(main())
