"""python -m bot [run | worker | sweep | doctor | rotate-key | verify | gen-key | token] (or ``amazon-connect``)"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.i18n import t
from bot.logs import setup_logging
from bot.settings import SettingsError, load_settings


def _parse_now(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--now must be an ISO 8601 time such as 2026-05-01T09:00:00Z, not {text[:40]!r}"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    # The console script (pyproject's [project.scripts]) is `amazon-connect`; otherwise `python -m bot`.
    prog = "amazon-connect" if Path(sys.argv[0]).name == "amazon-connect" else "python -m bot"
    parser = argparse.ArgumentParser(prog=prog, description="Amazon SP-API connections for Slack.")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="start the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP mode on PORT)")
    worker = sub.add_parser("worker", help="run a worker alone: the jobs queued by `run` (WORKERS=0) and the sweep")
    worker.add_argument("--nice", type=int, default=0, help=argparse.SUPPRESS)
    worker.add_argument("--idle", action="store_true", help=argparse.SUPPRESS)  # SCHED_IDLE (what run asks)
    worker.add_argument("--parent", type=int, default=None, help=argparse.SUPPRESS)
    sweep = sub.add_parser("sweep", help="run one pass of reminders, health checks and nudges, then exit")
    sweep.add_argument("--now", type=_parse_now, help="act as if the clock read this ISO 8601 time")
    rot = sub.add_parser("rotate-key", help="re-encrypt every stored secret under the newest ENCRYPTION_KEYS key")
    rot.add_argument("--batch-size", type=int, default=200)
    sub.add_parser("verify", help="verify Amazon credentials without Slack (see --help)", add_help=False)
    sub.add_parser("doctor", help="check the settings, database, keys, Slack and Amazon before `run`")
    tok = sub.add_parser("token", help="print a fresh access token for connection NAME, and nothing else")
    tok.add_argument("name", help="the connection's name")
    tok.add_argument("--team", default=None, help="the workspace (T…) when several have a connection of that name")
    gen = sub.add_parser("gen-key", help="print a new ENCRYPTION_KEYS entry")
    gen.add_argument("--kid", default=None, help="key id (default: today's date)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "verify":
        from bot.cli_verify import main as verify_main

        return verify_main(argv[1:], os.environ)
    args = build_parser().parse_args(argv)
    command = args.command or "run"
    if command == "doctor":
        from bot.doctor import run_doctor

        return run_doctor()
    if command == "gen-key":
        from storage.crypto import format_keys, generate_key

        print(format_keys([generate_key(args.kid)]))
        return 0
    try:
        settings = load_settings(need_slack=command not in ("rotate-key", "token"))
    except SettingsError as exc:
        print(t("general.startup.cannot_start"), file=sys.stderr)
        for problem in exc.problems:
            print(f"- {problem}", file=sys.stderr)
        return 2
    setup_logging(settings.log_level)
    from bot import runtime
    from bot.preflight import StartupError

    if command in ("run", "worker"):
        from bot.memory import limit_malloc_arenas

        limit_malloc_arenas()  # before any thread: see bot/memory.py
    try:
        if command == "run":
            return runtime.run_bot(settings)
        if command == "worker":
            from bot.jobs.worker import run_worker

            return run_worker(settings, nice=args.nice, idle=args.idle, parent_pid=args.parent)
        if command == "sweep":
            return runtime.run_sweep_once(settings, args.now)
        if command == "token":
            from bot.cli_token import print_token

            return print_token(settings, args.name, args.team)
        return runtime.rotate_key(settings, args.batch_size)
    except StartupError as exc:
        print(t("general.startup.cannot_start"), file=sys.stderr)
        print(f"- {exc.sentence}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
