"""python -m bench: every benchmark of issue 14 in one run (see BENCHMARKS.md).

1. Ack latency: the bot (``python -m bot run``, HTTP mode, SQLite, its WORKERS worker processes) and a
   bare Bolt app (``python -m bench.bare_bolt``) take turns under the same bursts of 50 signed
   commands, clicks and submissions; the fake Slack and fake Amazon run in a third process. Figures
   per kind, the bot/bare p99 ratio per kind (all rounds pooled: the verdict; each round's and their
   median beside it), command -> DM and submission -> result times. A control (a second bare app in the
   same bursts) shows what the machine's noise alone makes of the same ratios, and the same-mode app (the
   bare app in the bot's Bolt mode, ``--process-before-response``) what the bot's own code costs.
2. Sustained: 20 commands/s for 60 s, open loop (bot only).
3. Slow Amazon: the same bursts with the fake Amazon answering after 10 s, plus commands while those
   verifications wait.
4. Peak RSS (VmHWM) of the web process and of each worker.
5. The sweep at 10k and 100k connections with 1,000 due, on SQLite and PostgreSQL.
6. The tools' API (issue 15, ``bench/api_tokens.py``): p99 of cached access-token requests at 50
   concurrent against a bare FastAPI endpoint in the same server stack returning a body of the same size.

The load average is recorded at the start and end of each measurement. Writes
bench/results/latest.json (and latest.md, the tables) and prints the tables.
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

TARGETS = {  # issue 14
    "p99_ratio": 1.3,
    "dm_p50_s": 1.0,
    "result_p50_s": 2.0,
    "slow_amazon_ack_s": 3.0,
    "sustained_p99_ms": 500.0,
    "sweep_s": 2.0,
    "rss_mb": 120.0,
}


def _affinity(pid: int) -> list[int] | None:
    """The CPUs ``pid`` may run on as the OS has it (what the pinning really did), None where unknown."""
    try:
        return sorted(os.sched_getaffinity(pid))
    except (AttributeError, OSError):
        return None


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
    from bench.ack import AckBench, RoundResult, command_users, report, seconds_summary
    from bench.load import burst, paced, summary
    from bench.procs import SIGNING_SECRET, Server, bot_env, free_port, loadavg
    from storage.crypto import format_keys, generate_key

    info = fakes.info
    env = bot_env(slack_api_url=info["slack_api_url"], bot_token=info["bot_token"], token_url=info["token_url"],
                  sp_api_url=info["sp_api_url"], database_url=f"sqlite:///{work / 'bot.db'}",
                  encryption_keys=format_keys([generate_key("bench")]), WORKERS=str(args.workers))
    bot_port = free_port()
    argv = ["-m", "bench.whatif", args.whatif, "--", "run"] if args.whatif else ["-m", "bot", "run"]
    server_cpus = args.server_cpus
    # The bot's worker processes are its children: they inherit its CPU (the bot as a whole gets what
    # the bare app gets), and `run` starts them at nice 10.
    bot = Server("bot", argv, {**env, "PORT": str(bot_port)}, bot_port, work / "bot.log", server_cpus)

    def bare_app(name: str, *flags: str) -> Server:
        """A ``bench.bare_bolt`` server with the bot's environment, on a port of its own."""
        port = free_port()
        return Server(name, ["-m", "bench.bare_bolt", *flags], {**env, "PORT": str(port)}, port,
                      work / f"{name}.log", server_cpus)

    bare = bare_app("bare")
    control = bare_app("control") if args.control else None
    same_mode = bare_app("same_mode", "--process-before-response") if args.same_mode else None
    extras = [server for server in (control, same_mode) if server is not None]
    figures: dict[str, Any] = {"workers": args.workers, "loadavg": {},
                               "cpus": {"bot": _affinity(bot.proc.pid), "bare": _affinity(bare.proc.pid),
                                        "load_and_fakes": _affinity(os.getpid())}}
    log(f"ack: CPUs the bot may use {figures['cpus']['bot']}, the bare app {figures['cpus']['bare']}, "
        f"the load generator and the fakes {figures['cpus']['load_and_fakes']}")

    def load_mark(name: str, started: list[float]) -> None:
        figures["loadavg"][name] = {"start": started, "end": loadavg()}

    try:
        bot.wait_healthy()
        bare.wait_healthy()
        for extra in extras:
            extra.wait_healthy()
        time.sleep(1.0)  # the worker(s) start after the web process answers
        figures["rss_at_start"] = bot.memory()
        figures["worker_rss_at_start"] = bot.worker_memory()
        bench = AckBench(fakes, bot, bare, users=args.users, log=log, control=control, same_mode=same_mode)

        log(f"ack: warm-up round ({args.warmup} users)")
        bench.run_round(bench.new_users(args.warmup), bot_first=True)
        figures["worker_pids"] = [int(p) for p in bot.worker_memory()]
        total = RoundResult()
        for r in range(args.rounds):
            started, la = time.monotonic(), loadavg()
            one = bench.run_round(bench.new_users(args.users), bot_first=r % 2 == 1)
            load_mark(f"fast round {r + 1}", la)
            total.merge(one)
            fig = report(one)
            log(f"ack: round {r + 1}/{args.rounds}: p99 bot/bare command "
                f"{fig['ratio'].get('command', {}).get('p99')}, click {fig['ratio'].get('click', {}).get('p99')}, "
                f"submission {fig['ratio'].get('submission', {}).get('p99')}"
                + (f" (control/bare submission {fig.get('control_ratio', {}).get('submission')})" if control else "")
                + (f" (bot/same-mode: {fig.get('same_mode_ratio')})" if same_mode else "")
                + f"; outcomes {one.outcomes} "
                f"({time.monotonic() - started:.1f} s, load {loadavg()[0]})")
        figures["fast"] = report(total)
        figures["rss_after_fast"] = bot.memory()
        figures["worker_rss_after_fast"] = bot.worker_memory()

        # The same command one at a time (nothing else running): what the ack path itself costs,
        # apart from competing with the work that follows other acks.
        lone = bench.new_users(args.isolated)
        isolated: dict[str, list[Any]] = {"bot": [], "bare": []}
        la = loadavg()
        for body in bench.command_bodies(lone):
            for name, server in (("bare", bare), ("bot", bot)):
                isolated[name] += burst(server.url, [body], SIGNING_SECRET)
                time.sleep(0.25)
        load_mark("one at a time", la)
        figures["isolated_commands"] = {name: summary(res) for name, res in isolated.items()}
        log(f"ack: {args.isolated} commands one at a time: bot p50 {figures['isolated_commands']['bot']['p50_ms']} ms, "
            f"bare p50 {figures['isolated_commands']['bare']['p50_ms']} ms")

        # Sustained: commands from fresh users at a steady rate (open loop), bot only.
        n = int(args.rate * args.sustain)
        users = command_users(fakes, n)
        log(f"ack: {args.rate:g} commands/s for {args.sustain:g} s ({n} users)")
        la = loadavg()
        sent, seconds = paced(bot.url, bench.command_bodies(users), SIGNING_SECRET, rate=args.rate)
        dms = fakes.call("dm_messages", [u.user_id for u in users], 60)
        load_mark("sustained", la)
        sustained = summary(sent)
        sustained.update(rate=args.rate, seconds=round(seconds, 1), achieved_rate=round((n - 1) / seconds, 2)
                         if seconds else None, dms=len(dms),
                         time_to_dm=seconds_summary([dms[u.user_id]["at"] - r.sent_at for u, r in zip(users, sent,
                                                     strict=True) if u.user_id in dms]))
        figures["sustained"] = sustained
        log(f"ack: sustained: p50 {sustained['p50_ms']} ms, p99 {sustained['p99_ms']} ms, "
            f"max {sustained['max_ms']} ms, {sustained['errors']} errors, {len(dms)}/{n} DMs")

        log(f"ack: slow Amazon (every answer after {args.amazon_latency:g} s), {args.users} users")
        fakes.call("amazon_latency", args.amazon_latency)
        extra: dict[str, Any] = {}
        probe_users = bench.new_users(args.users)

        def commands_while_verifying() -> None:
            time.sleep(0.5)
            extra["results"] = burst(bot.url, bench.command_bodies(probe_users), SIGNING_SECRET)

        la = loadavg()
        try:
            slow = bench.run_round(bench.new_users(args.users), bot_first=True, compare=False,
                                   result_timeout=args.slow_result_timeout, while_verifying=commands_while_verifying)
        finally:
            fakes.call("amazon_latency", 0)
        load_mark("slow Amazon", la)
        figures["slow"] = report(slow)
        figures["slow"]["commands_while_verifying"] = summary(extra.get("results", []))
        # Let the probe users' DMs and anything else still running finish before reading the peaks.
        fakes.call("dm_messages", [u.user_id for u in probe_users], 30)
        figures["rss"] = bot.memory()
        figures["worker_rss"] = bot.worker_memory()
        figures["bare_rss"] = bare.memory()
        figures["fakes_counts"] = fakes.call("counts")
    finally:
        code = bot.stop()
        bare.stop()
        for extra in extras:
            extra.stop()
    output = bot.output()
    figures["bot_exit_code"] = code
    figures["bot_log_tracebacks"] = output.count("Traceback")
    figures["bot_log_errors"] = sum(1 for line in output.splitlines() if " ERROR " in line)
    return figures


# ----------------------------------------------------------------------------- sweep


def run_sweeps(fakes: Any, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    from bench.sweep import bench_database, postgres_available, postgres_version
    from storage.crypto import format_keys, generate_key

    keys = format_keys([generate_key("bench")])
    sizes = tuple(int(s) for s in args.sizes.split(","))
    import sqlite3

    out: dict[str, Any] = {"runs": [], "skipped": [], "sqlite_version": sqlite3.sqlite_version}
    dialects = [d for d in ("sqlite",) if d in args.databases.split(",")]
    if args.postgres and "postgresql" in args.databases.split(","):
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
                                          cpus=args.server_cpus,
                                          whatif=tuple(w for w in args.whatif_sweep.split(",") if w),
                                          repeat=args.repeat)
    return out


# ----------------------------------------------------------------------------- tables


def verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "MISSED")


def _load(mark: dict[str, Any] | None) -> str:
    if not mark:
        return ""
    return f"{mark['start'][0]:.2f} -> {mark['end'][0]:.2f}"


def tables(results: dict[str, Any]) -> str:
    lines: list[str] = []
    ack = results.get("ack")
    if ack:
        fast = ack["fast"]
        lines += [f"### Ack latency (ms), Amazon fast, {fast['rounds']} rounds x 50 concurrent per kind", "",
                  "| target | kind | n | p50 | p95 | p99 | max | errors |", "|---|---|---|---|---|---|---|---|"]
        for target, kinds in fast["targets"].items():
            for kind, f in kinds.items():
                lines.append(f"| {target} | {kind} | {f['n']} | {f['p50_ms']} | {f['p95_ms']} | {f['p99_ms']} | "
                             f"{f['max_ms']} | {f['errors']} |")
        lines += ["", "| ratio bot/bare | p50 | p95 | p99 | max |", "|---|---|---|---|---|"]
        for kind, r in fast["ratio"].items():
            lines.append(f"| {kind} | {r.get('p50')} | {r.get('p95')} | {r.get('p99')} | {r.get('max')} |")
        cpu = fast.get("cpu_ms_per_request") or {}
        if cpu:
            lines += ["", "CPU per request while a burst is answered (ms; web = the server under test, workers ="
                      " the bot's worker processes during the same burst):", "",
                      "| target | kind | web | workers |", "|---|---|---|---|"]
            for target, values in cpu.items():
                for kind in ("command", "click", "submission"):
                    if f"{kind}_web_ms" in values:
                        lines.append(f"| {target} | {kind} | {values[f'{kind}_web_ms']} | "
                                     f"{values.get(f'{kind}_workers_ms', 0.0)} |")
        for key, intro, more, more_key in (
                ("control_ratio", "Control, the noise floor: a second copy of the bare app in the same bursts, between "
                 "the bot's and the bare app's turns; its p99 over the bare app's: ", "per round (all kinds)",
                 "control_p99_ratio_per_round"),
                ("same_mode_ratio", "The bot's own code: the bot's p99 over the same-mode app's (the bare app in the "
                 "bot's Bolt mode, process_before_response=True): ", "median of rounds",
                 "same_mode_p99_ratio_median_round")):
            ratios = fast.get(key)
            if ratios:
                lines += ["", intro + ", ".join(f"{kind} {value}" for kind, value in ratios.items())
                          + f"; {more} {fast.get(more_key)}"]
        lines += ["", f"p99 ratio of each round (all kinds): {fast.get('p99_ratio_per_round')}", "",
                  f"Time from the command to the DM at the fake Slack (s): {fast['time_to_dm']}",
                  f"Time from the submission to the result's views.update at the fake Slack (s): "
                  f"{fast['time_to_result']}; outcomes {fast['outcomes']}; missing {fast['missing']}", ""]
        iso = ack.get("isolated_commands")
        if iso:
            lines += ["One command at a time, nothing else running (ms):", "",
                      "| target | n | p50 | p95 | max |", "|---|---|---|---|---|"]
            for target, f in iso.items():
                lines.append(f"| {target} | {f['n']} | {f['p50_ms']} | {f['p95_ms']} | {f['max_ms']} |")
            lines.append("")
        sus = ack.get("sustained")
        if sus:
            lines += [f"### Sustained: {sus['rate']:g} commands/s (bot only, open loop, ms)", "",
                      "| commands | seconds | achieved /s | p50 | p95 | p99 | max | errors | DMs | DM p50 / max (s) |",
                      "|---|---|---|---|---|---|---|---|---|---|",
                      f"| {sus['n']} | {sus['seconds']} | {sus['achieved_rate']} | {sus['p50_ms']} | {sus['p95_ms']} | "
                      f"{sus['p99_ms']} | {sus['max_ms']} | {sus['errors']} | {sus['dms']} | "
                      f"{sus['time_to_dm'].get('p50_s')} / {sus['time_to_dm'].get('max_s')} |", ""]
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
        workers = ", ".join(f"{m.get('VmHWM')} MB" for m in ack.get("worker_rss", {}).values()) or "none seen"
        idle_workers = ", ".join(f"{m.get('VmHWM')} MB" for m in ack.get("worker_rss_at_start", {}).values()) or "none"
        lines += ["", f"Time until the user sees the result (s): {slow['time_to_result']}; outcomes "
                  f"{slow['outcomes']}; missing {slow['missing']}", "",
                  f"Peak RSS (VmHWM): web process {ack['rss'].get('VmHWM')} MB (after the fast rounds "
                  f"{ack['rss_after_fast'].get('VmHWM')} MB, idle after start "
                  f"{ack.get('rss_at_start', {}).get('VmHWM')} MB), worker(s) {workers} (idle after start: "
                  f"{idle_workers}); bare Bolt app "
                  f"{ack['bare_rss'].get('VmHWM')} MB. Bot log: {ack['bot_log_tracebacks']} tracebacks, "
                  f"{ack['bot_log_errors']} ERROR lines", "",
                  "Load average (1 min) at the start and end of each measurement: "
                  + "; ".join(f"{name} {_load(mark)}" for name, mark in ack.get("loadavg", {}).items()), ""]
    api = results.get("api_tokens")
    if api:
        lines += [f"### Tools' API: cached access-token requests, {api['concurrency']} concurrent, "
                  f"{api['requests_each']} each (bodies {api['body_bytes']['bot']} / {api['body_bytes']['bare']} "
                  "bytes, ms)", "", "| server | p50 | p90 | p99 |", "|---|---|---|---|"]
        for name in ("bot", "bare"):
            ms = api[f"{name}_ms"]
            lines.append(f"| {name} | {ms['p50']:.1f} | {ms['p90']:.1f} | {ms['p99']:.1f} |")
        lines += ["", f"p99 ratio {api['p99_ratio']}, p50 ratio {api['p50_ratio']}; LWA exchanges during the run: "
                  f"{api['lwa_exchanges']}; bot peak RSS {api['bot_peak_rss_mb']} MB", ""]
    sweep = results.get("sweep")
    if sweep:
        lines += ["### Sweep pass, 1,000 due (500 expiry reminders, 500 health checks); median of the passes", "",
                  "| database | population | connections | pass (s) | passes (s) | idle pass (s) | Slack posts | "
                  "LWA calls | peak RSS (MB) | load avg |", "|---|---|---|---|---|---|---|---|---|---|"]
        for r in sweep["runs"]:
            seconds = r["seconds"] if r.get("complete", True) else f"{r['seconds']} (INCOMPLETE pass)"
            each = ", ".join(str(x) for x in r.get("all_seconds", [r["seconds"]]))
            lines.append(f"| {r['database']} | {r['population']} | {r['connections']:,} | {seconds} | {each} | "
                         f"{r['idle_seconds']} | {r['slack_posts']} | {r['lwa_calls']} | {r.get('peak_rss_mb')} | "
                         f"{_load(r.get('loadavg'))} |")
        for s in sweep["skipped"]:
            lines.append(f"\nSkipped: {s}")
        lines.append("")
    lines += ["### Targets (issue 14)", "", "| target | figure | verdict |", "|---|---|---|"]
    for name, (figure, ok) in results["targets"].items():
        lines.append(f"| {name} | {figure} | {verdict(ok)} |")
    return "\n".join(lines) + "\n"


def judge(results: dict[str, Any]) -> dict[str, tuple[str, bool | None]]:
    """The targets of issues 14 and 15, each with its measured figure and whether it was met (None: not measured)."""
    out: dict[str, tuple[str, bool | None]] = {}
    ack = results.get("ack")
    if ack:
        fast = ack["fast"]
        for kind in ("command", "click", "submission"):
            bot = fast["targets"]["bot"].get(kind, {})
            bare = fast["targets"].get("bare", {}).get(kind, {})
            pooled = fast["ratio"].get(kind, {}).get("p99")
            # The verdict: the p99 of all rounds pooled, the bot over the bare app (Bolt's defaults). Beside it
            # each round's ratio and their median, the control's (what the machine's noise alone makes of the
            # same ratio) and the bot over the same-mode app (what the bot's own code costs; BENCHMARKS.md).
            median = fast.get("p99_ratio_median_round", {}).get(kind)
            rounds = " ".join(str(r) for r in fast.get("p99_ratio_rounds_by_kind", {}).get(kind, []))
            extra = ""
            control = fast.get("control_p99_ratio_median_round", {}).get(kind)
            if control is not None:
                extra += f"; control: pooled {(fast.get('control_ratio') or {}).get(kind)}, median {control}"
            same = fast.get("same_mode_p99_ratio_median_round", {}).get(kind)
            if same is not None:
                extra += (f"; bot over the same-mode app: pooled {(fast.get('same_mode_ratio') or {}).get(kind)}, "
                          f"median {same}")
            out[f"p99 ack <= {TARGETS['p99_ratio']} x bare Bolt: {kind}s, 50 concurrent"] = (
                f"{pooled}x ({bot.get('p99_ms')} vs {bare.get('p99_ms')} ms); rounds {rounds} (median {median})"
                f"{extra}",
                None if pooled is None else pooled <= TARGETS["p99_ratio"] and bot.get("errors") == 0)
        dm = fast["time_to_dm"]
        out[f"command -> DM p50 <= {TARGETS['dm_p50_s']:g} s"] = (
            f"{dm.get('p50_s')} s (max {dm.get('max_s')} s, {dm.get('n')} DMs, {fast['missing'].get('dm', 0)} missing)",
            None if not dm.get("n") else dm["p50_s"] <= TARGETS["dm_p50_s"] and not fast["missing"].get("dm"))
        res = fast["time_to_result"]
        out[f"submission -> result p50 <= {TARGETS['result_p50_s']:g} s"] = (
            f"{res.get('p50_s')} s (max {res.get('max_s')} s; outcomes {fast['outcomes']})",
            None if not res.get("n") else res["p50_s"] <= TARGETS["result_p50_s"] and not fast["missing"].get("result"))
        slow = ack["slow"]["targets"]["bot"]["all"]
        probe = ack["slow"].get("commands_while_verifying") or {}
        worst = max(slow["max_ms"], probe.get("max_ms", 0))
        out["every ack < 3 s with Amazon at 10 s"] = (
            f"max {worst} ms; {slow['over_3s'] + probe.get('over_3s', 0)} of {slow['n'] + probe.get('n', 0)} >= 3 s, "
            f"{slow['errors'] + probe.get('errors', 0)} errors",
            slow["over_3s"] + slow["errors"] + probe.get("over_3s", 0) + probe.get("errors", 0) == 0)
        sus = ack.get("sustained")
        if sus:
            full = sus["seconds"] >= 0.98 * (sus["n"] - 1) / sus["rate"] and sus["n"] >= 0.98 * sus["rate"] * 60
            out[f"{sus['rate']:g} commands/s for 60 s, p99 ack < {TARGETS['sustained_p99_ms']:g} ms"] = (
                f"p99 {sus['p99_ms']} ms, max {sus['max_ms']} ms, {sus['errors']} errors; {sus['n']} commands in "
                f"{sus['seconds']} s" + ("" if full else " (shorter than the target's 60 s: not judged)"),
                (sus["p99_ms"] < TARGETS["sustained_p99_ms"] and sus["errors"] == 0) if full else None)
        rss = ack["rss"].get("VmHWM")
        out[f"web process peak RSS < {TARGETS['rss_mb']:g} MB"] = (
            f"{rss} MB", None if rss is None else rss < TARGETS["rss_mb"])
        workers = [m.get("VmHWM") for m in ack.get("worker_rss", {}).values() if m.get("VmHWM")]
        out[f"worker peak RSS < {TARGETS['rss_mb']:g} MB"] = (
            ", ".join(f"{w} MB" for w in workers) or "no worker seen",
            None if not workers else max(workers) < TARGETS["rss_mb"])
    sweep = results.get("sweep")
    if sweep:
        for dialect in ("sqlite", "postgresql"):
            runs = [r for r in sweep["runs"] if r["database"] == dialect and r["population"] == "steady"]
            if not runs:
                continue
            big = max(runs, key=lambda r: r["connections"])
            name = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[dialect]
            out[f"sweep pass, 1,000 due among {big['connections']:,} (steady), {name} < "
                f"{TARGETS['sweep_s']:g} s"] = (
                f"{big['seconds']} s (passes {', '.join(str(x) for x in big['all_seconds'])})"
                + ("" if big.get("complete", True) else " INCOMPLETE"),
                big["seconds"] < TARGETS["sweep_s"] and big.get("complete", True))
    api = results.get("api_tokens")
    if api:
        out["tools' API: p99 of cached access-token requests <= 1.5 x bare FastAPI (issue 15)"] = (
            f"{api['p99_ratio']} x ({api['bot_ms']['p99']:.1f} / {api['bare_ms']['p99']:.1f} ms)",
            bool(api["target_met"]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50, help="concurrent users per burst (default 50)")
    parser.add_argument("--rounds", type=int, default=6, help="measured rounds with Amazon fast (default 6)")
    parser.add_argument("--warmup", type=int, default=10, help="users in the unmeasured warm-up round")
    parser.add_argument("--isolated", type=int, default=20, help="commands sent one at a time (default 20)")
    parser.add_argument("--workers", type=int, default=1, help="WORKERS for the bot (default 1, as `bot run`)")
    parser.add_argument("--rate", type=float, default=20.0, help="sustained commands per second (default 20)")
    parser.add_argument("--sustain", type=float, default=60.0, help="seconds of sustained commands (default 60)")
    parser.add_argument("--amazon-latency", type=float, default=10.0, help="slow Amazon's delay in seconds")
    parser.add_argument("--slow-result-timeout", type=float, default=45.0,
                        help="how long to wait for the results with Amazon slow (default 45 s: two 10 s calls "
                             "and room to spare; results later than this count as missing)")
    parser.add_argument("--sizes", default="10000,100000", help="sweep populations (default 10000,100000)")
    parser.add_argument("--repeat", type=int, default=3, help="sweep passes per size; the median counts (default 3)")
    parser.add_argument("--due", type=int, default=1000, help="due connections per sweep pass (default 1000)")
    parser.add_argument("--populations", default="steady",
                        help="steady (realistic spread) and/or outside (best case); outside runs on SQLite only "
                             "unless --all-populations")
    parser.add_argument("--all-populations", action="store_true")
    parser.add_argument("--no-postgres", dest="postgres", action="store_false")
    parser.add_argument("--databases", default="sqlite,postgresql",
                        help="the sweep's databases (default sqlite,postgresql)")
    parser.add_argument("--no-control", dest="control", action="store_false",
                        help="leave out the control (a second bare app measured against the first)")
    parser.add_argument("--no-same-mode", dest="same_mode", action="store_false",
                        help="leave out the same-mode app (the bare app in the bot's Bolt mode)")
    parser.add_argument("--skip-ack", action="store_true")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--skip-api", action="store_true", help="leave out the tools' API benchmark")
    parser.add_argument("--api-rounds", type=int, default=6, help="API benchmark rounds, bot and bare alternating")
    parser.add_argument("--api-per-round", type=int, default=3000, help="API requests per round and server")
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
    # Decided once, here: after the next line this process may run on the other CPUs only, and a
    # placement() asked later would see one CPU and pin nothing (the servers under test then inherited
    # this process's CPUs and shared them with the load generator and the fakes, until December 3).
    args.server_cpus = server_cpus
    pin(os.getpid(), other_cpus)  # the load generator, and (inherited) the fakes host

    started = time.monotonic()
    from bench.procs import loadavg

    load_start = loadavg()
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
    if not args.skip_api:
        from bench import api_tokens

        log(f"tools' API: {args.api_rounds} rounds x {args.api_per_round} cached access-token requests, "
            f"{api_tokens.CONCURRENCY} concurrent, bot and bare FastAPI alternating")
        results["api_tokens"] = api_tokens.run(args.api_rounds, args.api_per_round, cpus=args.server_cpus)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["loadavg_start_end"] = [load_start, loadavg()]
    results["targets"] = judge(results)
    text = tables(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    args.out.with_suffix(".md").write_text(text)
    print()
    print(text)
    log(f"load average at start {load_start}, at end {loadavg()} (other work on the machine skews every figure)")
    log(f"wrote {args.out} and {args.out.with_suffix('.md')} in {results['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
