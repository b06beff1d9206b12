"""python -m bench: every benchmark of issue 8 in one run (see BENCHMARKS.md).

1. Ack latency: the bot (``python -m bot run``, HTTP mode, SQLite) and a bare Bolt app
   (``python -m bench.bare_bolt``) take turns under the same bursts of signed requests; the fake
   Slack and fake Amazon run in a third process. Figures per kind and the bot/bare ratio.
2. Slow Amazon: the same load with the fake Amazon answering after 10 s; plus a burst of commands
   while those verifications wait.
3. Peak RSS of the bot (VmHWM) over both.
4. The sweep at 10k and 100k connections with 1,000 due, on SQLite and PostgreSQL.

Writes bench/results/latest.json (and latest.md, the tables) and prints the tables.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"

TARGETS = {
    "p99_ratio": 1.3,
    "slow_amazon_ack_s": 3.0,
    "sweep_100k_sqlite_s": 2.0,
    "rss_mb": 150.0,
}


def log(message: str) -> None:
    print(message, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gb = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=Path(__file__).resolve().parents[1]).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "bot", "storage"],
                           capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]).stdout.split("\n")
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_gb": mem_gb, "python": platform.python_version(),
            "platform": platform.platform(), "commit": commit or None,
            "uncommitted_changes_in": sorted(line[3:] for line in dirty if line.strip())}


# ----------------------------------------------------------------------------- ack latency


def run_ack(fakes: Any, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.ack import AckBench, RoundResult, report
    from bench.load import burst, summary
    from bench.procs import SIGNING_SECRET, Server, bot_env, free_port, placement
    from storage.crypto import format_keys, generate_key

    info = fakes.info
    env = bot_env(slack_api_url=info["slack_api_url"], bot_token=info["bot_token"], token_url=info["token_url"],
                  sp_api_url=info["sp_api_url"], database_url=f"sqlite:///{work / 'bot.db'}",
                  encryption_keys=format_keys([generate_key("bench")]))
    bot_port, bare_port = free_port(), free_port()
    argv = ["-m", "bench.whatif", args.whatif, "--", "run"] if args.whatif else ["-m", "bot", "run"]
    server_cpus = placement()[0] if args.pin else None
    bot = Server("bot", argv, {**env, "PORT": str(bot_port)}, bot_port, work / "bot.log", server_cpus)
    bare = Server("bare", ["-m", "bench.bare_bolt"], {**env, "PORT": str(bare_port)}, bare_port,
                  work / "bare.log", server_cpus)
    figures: dict[str, Any] = {}
    try:
        bot.wait_healthy()
        bare.wait_healthy()
        bench = AckBench(fakes, bot, bare, users=args.users, log=log)

        log(f"ack: warm-up round ({args.warmup} users)")
        bench.run_round(bench.new_users(args.warmup), bot_first=True)
        total = RoundResult()
        for r in range(args.rounds):
            started = time.monotonic()
            one = bench.run_round(bench.new_users(args.users), bot_first=r % 2 == 1)
            total.merge(one)
            fig = report(one)
            log(f"ack: round {r + 1}/{args.rounds}: bot p99 {fig['targets']['bot']['all']['p99_ms']} ms, "
                f"bare p99 {fig['targets']['bare']['all']['p99_ms']} ms, outcomes {one.outcomes} "
                f"({time.monotonic() - started:.1f} s)")
        figures["fast"] = report(total)
        figures["rss_after_fast"] = bot.memory()

        # The same command one at a time (nothing else running): what the ack path itself costs,
        # apart from competing with the work that follows other acks.
        lone = bench.new_users(args.isolated)
        isolated: dict[str, list[Any]] = {"bot": [], "bare": []}
        for body in bench.command_bodies(lone):
            for name, server in (("bare", bare), ("bot", bot)):
                isolated[name] += burst(server.url, [body], SIGNING_SECRET)
                time.sleep(0.25)
        figures["isolated_commands"] = {name: summary(res) for name, res in isolated.items()}
        log(f"ack: {args.isolated} commands one at a time: bot p50 {figures['isolated_commands']['bot']['p50_ms']} ms, "
            f"bare p50 {figures['isolated_commands']['bare']['p50_ms']} ms")

        log(f"ack: slow Amazon (every answer after {args.amazon_latency:g} s), {args.users} users")
        fakes.call("amazon_latency", args.amazon_latency)
        extra: dict[str, Any] = {}
        probe_users = bench.new_users(args.users)

        def commands_while_verifying() -> None:
            time.sleep(0.5)
            extra["results"] = burst(bot.url, bench.command_bodies(probe_users), SIGNING_SECRET)

        try:
            slow = bench.run_round(bench.new_users(args.users), bot_first=True, compare=False,
                                   result_timeout=args.slow_result_timeout, while_verifying=commands_while_verifying)
        finally:
            fakes.call("amazon_latency", 0)
        figures["slow"] = report(slow)
        figures["slow"]["commands_while_verifying"] = summary(extra.get("results", []))
        figures["rss"] = bot.memory()
        figures["bare_rss"] = bare.memory()
        # Let the probe users' DMs and anything else still running finish before stopping.
        fakes.call("dm_messages", [u.user_id for u in probe_users], 30)
        figures["fakes_counts"] = fakes.call("counts")
    finally:
        code = bot.stop()
        bare.stop()
    output = bot.output()
    figures["bot_exit_code"] = code
    figures["bot_log_tracebacks"] = output.count("Traceback")
    figures["bot_log_errors"] = sum(1 for line in output.splitlines() if " ERROR " in line)
    return figures


# ----------------------------------------------------------------------------- sweep


def run_sweeps(fakes: Any, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.procs import placement
    from bench.sweep import bench_database, postgres_available, postgres_version
    from storage.crypto import format_keys, generate_key

    keys = format_keys([generate_key("bench")])
    sizes = tuple(int(s) for s in args.sizes.split(","))
    import sqlite3

    out: dict[str, Any] = {"runs": [], "skipped": [], "sqlite_version": sqlite3.sqlite_version}
    dialects = ["sqlite"]
    if args.postgres:
        reason = postgres_available()
        if reason is None:
            dialects.append("postgresql")
            out["postgres_version"] = postgres_version()
        else:
            out["skipped"].append(reason)
            log(f"sweep: skipping PostgreSQL: {reason}")
    profile_dir = RESULTS / "profiles" if args.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    for dialect in dialects:
        for population in args.populations.split(","):
            if population == "outside" and dialect != "sqlite" and not args.all_populations:
                continue
            out["runs"] += bench_database(fakes, work, dialect, sizes=sizes, reminders_due=args.due // 2,
                                          health_due=args.due - args.due // 2, steady=population == "steady",
                                          keys=keys, profile_dir=profile_dir, log=log,
                                          cpus=placement()[0] if args.pin else None,
                                          whatif=tuple(w for w in args.whatif_sweep.split(",") if w),
                                          repeat=args.repeat)
    return out


# ----------------------------------------------------------------------------- tables


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def tables(results: dict[str, Any]) -> str:
    lines: list[str] = []
    ack = results.get("ack")
    if ack:
        fast = ack["fast"]
        lines += ["### Ack latency (ms), Amazon fast", "",
                  "| target | kind | n | p50 | p95 | p99 | max | errors |", "|---|---|---|---|---|---|---|---|"]
        for target, kinds in fast["targets"].items():
            for kind, f in kinds.items():
                lines.append(f"| {target} | {kind} | {f['n']} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} | "
                             f"{f['max_ms']} | {f['errors']} |")
        lines += ["", "| ratio bot/bare | p50 | p95 | p99 | max |", "|---|---|---|---|---|"]
        for kind, r in fast["ratio"].items():
            lines.append(f"| {kind} | {r.get('p50')} | {r.get('p95')} | {r.get('p99')} | {r.get('max')} |")
        lines += ["", f"p99 ratio of each round (all kinds): {fast.get('p99_ratio_per_round')}", "",
                  f"Time until the DM is posted (s): {fast['time_to_dm']}",
                  f"Time until the result replaces \"verifying\" (s): {fast['time_to_result']}; "
                  f"outcomes {fast['outcomes']}; missing {fast['missing']}", ""]
        iso = ack.get("isolated_commands")
        if iso:
            lines += ["One command at a time, nothing else running (ms):", "",
                      "| target | n | p50 | p95 | max |", "|---|---|---|---|---|"]
            for target, f in iso.items():
                lines.append(f"| {target} | {f['n']} | {f['p50_ms']} | {f['p95_ms']} | {f['max_ms']} |")
            lines.append("")
        slow = ack["slow"]
        lines += ["### Amazon answering after 10 s (bot only, ms)", "",
                  "| kind | n | p50 | p95 | p99 | max | errors | acks >= 3 s |", "|---|---|---|---|---|---|---|---|"]
        for kind, f in slow["targets"]["bot"].items():
            lines.append(f"| {kind} | {f['n']} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} | {f['max_ms']} | "
                         f"{f['errors']} | {f['over_3s']} |")
        f = slow["commands_while_verifying"]
        if f.get("n"):
            lines.append(f"| commands while 50 verifications wait | {f['n']} | {f['p50_ms']} | {f['p95_ms']} | "
                         f"{f['p99_ms']} | {f['max_ms']} | {f['errors']} | {f['over_3s']} |")
        lines += ["", f"Time until the user sees the result (s): {slow['time_to_result']}; outcomes "
                  f"{slow['outcomes']}; missing {slow['missing']}", "",
                  f"Bot peak RSS (VmHWM): {ack['rss'].get('VmHWM')} MB (after the fast rounds "
                  f"{ack['rss_after_fast'].get('VmHWM')} MB; bare Bolt app {ack['bare_rss'].get('VmHWM')} MB); "
                  f"bot log: {ack['bot_log_tracebacks']} tracebacks, {ack['bot_log_errors']} ERROR lines", ""]
    sweep = results.get("sweep")
    if sweep:
        lines += ["### Sweep pass, 1,000 due (500 expiry reminders, 500 health checks); median of the passes", "",
                  "| database | population | connections | pass (s) | passes (s) | idle pass (s) | Slack posts | "
                  "LWA calls |", "|---|---|---|---|---|---|---|---|"]
        for r in sweep["runs"]:
            seconds = r["seconds"] if r.get("complete", True) else f"{r['seconds']} (INCOMPLETE pass)"
            each = ", ".join(str(x) for x in r.get("all_seconds", [r["seconds"]]))
            lines.append(f"| {r['database']} | {r['population']} | {r['connections']:,} | {seconds} | {each} | "
                         f"{r['idle_seconds']} | {r['slack_posts']} | {r['lwa_calls']} |")
        for s in sweep["skipped"]:
            lines.append(f"\nSkipped: {s}")
        lines.append("")
    lines += ["### Targets", "", "| target | figure | verdict |", "|---|---|---|"]
    for name, (figure, ok) in results["targets"].items():
        lines.append(f"| {name} | {figure} | {verdict(ok)} |")
    return "\n".join(lines) + "\n"


def judge(results: dict[str, Any]) -> dict[str, tuple[str, bool | None]]:
    out: dict[str, tuple[str, bool | None]] = {}
    ack = results.get("ack")
    if ack:
        ratio = ack["fast"]["ratio"].get("all", {}).get("p99")
        out["p99 ack <= 1.3 x bare Bolt"] = (f"{ratio}x", None if ratio is None else ratio <= TARGETS["p99_ratio"])
        slow = ack["slow"]["targets"]["bot"]["all"]
        out["every ack < 3 s with Amazon at 10 s"] = (
            f"max {slow['max_ms']} ms, {slow['over_3s']} of {slow['n']} >= 3 s, {slow['errors']} errors",
            slow["over_3s"] == 0 and slow["errors"] == 0)
        rss = ack["rss"].get("VmHWM")
        out["bot peak RSS < 150 MB"] = (f"{rss} MB", None if rss is None else rss < TARGETS["rss_mb"])
    sweep = results.get("sweep")
    if sweep:
        for population in ("outside", "steady"):
            runs = [r for r in sweep["runs"] if r["database"] == "sqlite" and r["population"] == population
                    and r.get("complete", True)]
            if not runs:
                continue
            big = max(runs, key=lambda r: r["connections"])
            small = min(runs, key=lambda r: r["connections"])
            growth = round(big["seconds"] / small["seconds"], 2) if small["seconds"] else None
            out[f"sweep {big['connections']:,} ({population}), 1k due, SQLite < 2 s"] = (
                f"{big['seconds']} s", big["seconds"] < TARGETS["sweep_100k_sqlite_s"])
            out[f"sweep nearly flat {small['connections']:,} -> {big['connections']:,} ({population}, SQLite)"] = (
                f"x{growth}", None if growth is None else growth <= 1.25)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="concurrent users per burst (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="measured rounds with Amazon fast (default 3)")
    parser.add_argument("--warmup", type=int, default=10, help="users in the unmeasured warm-up round")
    parser.add_argument("--isolated", type=int, default=20, help="commands sent one at a time (default 20)")
    parser.add_argument("--amazon-latency", type=float, default=10.0, help="slow Amazon's delay in seconds")
    parser.add_argument("--slow-result-timeout", type=float, default=120.0)
    parser.add_argument("--sizes", default="10000,100000", help="sweep populations (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=3, help="sweep passes per size; the median counts (default 3)")
    parser.add_argument("--due", type=int, default=1000, help="due connections per sweep pass (default 1000)")
    parser.add_argument("--populations", default="steady,outside",
                        help="steady (realistic spread) and/or outside (best case); outside runs on SQLite only "
                             "unless --all-populations")
    parser.add_argument("--all-populations", action="store_true")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--skip-ack", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--profile", action="store_true",
                        help="write pyinstrument profiles of the sweep passes to bench/results/profiles/")
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--whatif", default="",
                        help="run the bot with proposed fixes applied in memory (see bench/whatif.py), "
                             "e.g. sqlite-write-sessions,amazon-timeout-15")
    parser.add_argument("--whatif-sweep", default="",
                        help="apply proposed schema fixes to the sweep databases (see bench/sweep.py WHATIF_SQL), "
                             "e.g. audit-index")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="do not split the CPUs (default: the bot/bare app/sweep on CPU 0, the load "
                             "generator and the fakes on the others)")
    parser.add_argument("--workdir", type=Path, help="keep the databases and the bot's log here (default: a temp dir)")
    args = parser.parse_args(argv)

    from bench.fakes_host import FakesClient
    from bench.procs import pin, placement

    server_cpus, other_cpus = placement() if args.pin else (None, None)
    pin(os.getpid(), other_cpus)  # the load generator, and (inherited) the fakes host

    started = time.monotonic()
    load_start = os.getloadavg()
    results: dict[str, Any] = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(),
                               "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
                               "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}}
    results["cpu_placement"] = ({"server_under_test": sorted(server_cpus), "load_and_fakes": sorted(other_cpus)}
                                if server_cpus and other_cpus else "not pinned")
    log(f"machine: {results['machine']}; CPU placement: {results['cpu_placement']}")
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, FakesClient() as fakes:
        work = Path(tmp)
        if args.workdir:
            work = args.workdir.resolve()
            work.mkdir(parents=True, exist_ok=True)
            for stale in work.glob("*.db*"):
                stale.unlink()
        if not args.skip_ack:
            results["ack"] = run_ack(fakes, work, args)
        if not args.skip_sweep:
            results["sweep"] = run_sweeps(fakes, work, args)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["loadavg_start_end"] = [load_start, os.getloadavg()]
    results["targets"] = judge(results)
    text = tables(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    args.out.with_suffix(".md").write_text(text)
    print()
    print(text)
    log(f"load average at start {load_start}, at end {os.getloadavg()} (other work on the machine skews every figure)")
    log(f"wrote {args.out} and {args.out.with_suffix('.md')} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
