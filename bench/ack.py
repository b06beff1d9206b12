"""Ack latency: the bot against a bare Bolt app, with Amazon fast and with Amazon at 10 s.

One round, for fresh users (distinct Slack user ids, each with credentials the fake Amazon knows):
1. 50 concurrent ``/connect-amazon`` commands; the bot DMs each user the checklist.
2. 50 concurrent clicks on the DM's ``open_credentials`` button; the bot opens the credential modal.
3. 50 concurrent submissions of that modal (the view the bot really opened, with its id and hash)
   with valid credentials; the bot acks with "verifying", verifies against the fake Amazon after the
   ack, saves, announces, and replaces the view with the result (``views.update``).

The bare app receives byte-for-byte the same bodies (re-signed: each request carries its own
timestamp) in the same burst shape. Within a round the two targets take turns (bare first in even
rounds, bot first in odd ones) and the bot is idle whenever the bare app is measured. Two more servers
take their turns between the two: the control, a second copy of the bare app (its ratio to the bare app is
what the machine's noise alone makes of a p99 ratio in the same run), and the same-mode app, the bare app
in the bot's own Bolt mode (``bench.bare_bolt --process-before-response``: the bot over it is what the
bot's own code costs).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bench.fakes_host import FakesClient
from bench.load import Result, burst, summary
from bench.procs import SIGNING_SECRET, Server, children, cpu_seconds
from bot.i18n import t
from tests.fakes.fake_amazon import credential_fields, make_credentials
from tests.fakes.slack_signing import (
    block_actions_body,
    block_actions_payload,
    new_trigger_id,
    slash_command_body,
    view_submission_body,
)

KINDS = ("command", "click", "submission")


@dataclass
class User:
    user_id: str
    name: str
    fields: dict[str, str]
    dm: dict[str, Any] | None = None
    trigger_id: str = ""
    view: dict[str, Any] | None = None


@dataclass
class RoundResult:
    """Results by target ("bot", "bare") and kind, plus the bot's time-to-DM and time-to-result."""

    results: dict[tuple[str, str], list[Result]] = field(default_factory=dict)
    dm_seconds: list[float] = field(default_factory=list)
    result_seconds: list[float] = field(default_factory=list)
    outcomes: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    rejected: int = 0
    rounds: list[dict[tuple[str, str], list[Result]]] = field(default_factory=list)
    # CPU seconds used during the bursts, by (target, kind): "web" is the server under test itself,
    # "workers" its children (the bot's worker processes), while the burst was being answered.
    cpu: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def add(self, target: str, kind: str, results: list[Result]) -> None:
        self.results.setdefault((target, kind), []).extend(results)

    def add_cpu(self, target: str, kind: str, part: str, seconds: float) -> None:
        self.cpu[(target, kind, part)] = self.cpu.get((target, kind, part), 0.0) + seconds

    def merge(self, other: RoundResult) -> None:
        self.rounds.append(other.results)
        for (target, kind), results in other.results.items():
            self.add(target, kind, results)
        self.dm_seconds += other.dm_seconds
        self.result_seconds += other.result_seconds
        for key, n in other.outcomes.items():
            self.outcomes[key] = self.outcomes.get(key, 0) + n
        for key, n in other.missing.items():
            self.missing[key] = self.missing.get(key, 0) + n
        self.rejected += other.rejected
        for key, seconds in other.cpu.items():
            self.cpu[key] = self.cpu.get(key, 0.0) + seconds


def result_markers() -> tuple[list[str], dict[str, str]]:
    """Texts that tell the "verifying" view from a result view, and which result it is."""
    pending = [t("onboarding.verifying.text")]
    labels = {
        t("onboarding.modal.title_done"): "connected",
        t("onboarding.modal.title_failed"): "failed",
        t("onboarding.modal.title_confirm"): "confirm",
    }
    return pending, labels


class AckBench:
    def __init__(self, fakes: FakesClient, bot: Server, bare: Server | None, *, users: int,
                 log: Callable[[str], None] = print, control: Server | None = None,
                 same_mode: Server | None = None) -> None:
        self.fakes = fakes
        self.bot = bot
        self.bare = bare
        self.control = control  # a second bare app: the baseline against itself (the noise floor)
        self.same_mode = same_mode  # the bare app in the bot's Bolt mode (process_before_response=True)
        self.n = users
        self.log = log
        self.response_url = fakes.info["response_url"]
        self._round = 0

    # ------------------------------------------------------------------ set-up

    def new_users(self, n: int) -> list[User]:
        r = self._round
        self._round += 1
        users: list[User] = []
        creds = []
        for i in range(n):
            c = make_credentials()
            creds.append(c)
            fields = credential_fields(c, f"Bench {r:02d}-{i:03d}")
            fields["secret_created_on"] = date.today().isoformat()
            users.append(User(f"U0BR{r:02d}{i:03d}", f"bench{r:02d}{i:03d}", fields))
        self.fakes.call("add_users", [u.user_id for u in users])
        self.fakes.call("register", creds)
        return users

    # ------------------------------------------------------------------ bodies

    def command_bodies(self, users: list[User]) -> list[str]:
        return [slash_command_body("/connect-amazon", "", u.user_id, response_url=self.response_url,
                                   user_name=u.name) for u in users]

    def click_bodies(self, users: list[User]) -> list[str]:
        bodies = []
        for u in users:
            assert u.dm is not None
            message = u.dm["message"]
            block_id, value = _find_button(message.get("blocks") or [], "open_credentials")
            u.trigger_id = new_trigger_id()
            payload = block_actions_payload("open_credentials", u.user_id, value=value, block_id=block_id,
                                            channel_id=u.dm["channel"], message=message,
                                            trigger_id=u.trigger_id, user_name=u.name)
            bodies.append(block_actions_body(payload))
        return bodies

    def submission_bodies(self, users: list[User]) -> list[str]:
        bodies = []
        for u in users:
            assert u.view is not None
            bodies.append(view_submission_body(u.view, u.fields, u.user_id, user_name=u.name))
        return bodies

    # ------------------------------------------------------------------ one round

    def _pair(self, kind: str, bodies: list[str], bot_first: bool, out: RoundResult,
              wait_bot: Callable[[], None]) -> float:
        """Burst ``bodies`` at both targets; the bot's idle (``wait_bot``) before the bare app's turn.
        Returns the epoch time the bot's burst was sent."""
        sent = 0.0
        others = {"bare": self.bare, "control": self.control, "same_mode": self.same_mode}
        # Between the two (first and last alternate between bot and bare): the control next to the bot, the
        # same-mode app next to the bare app.
        middle = [name for name in ("control", "same_mode") if others[name] is not None and self.bare is not None]
        order = ["bot", *middle, "bare"] if bot_first else ["bare", *reversed(middle), "bot"]
        for target in order:
            if target != "bot":
                server = others[target]
                if server is None:
                    continue
                with cpu_used(server.pid, out, target, kind):
                    out.add(target, kind, burst(server.url, bodies, SIGNING_SECRET))
            else:
                sent = time.time()
                with cpu_used(self.bot.pid, out, "bot", kind):
                    out.add("bot", kind, burst(self.bot.url, bodies, SIGNING_SECRET))
                if bot_first:
                    wait_bot()
        if not bot_first:
            wait_bot()
        return sent

    def run_round(self, users: list[User], *, bot_first: bool, result_timeout: float = 60,
                  compare: bool = True, while_verifying: Callable[[], None] | None = None) -> RoundResult:
        """One round for ``users``; ``while_verifying`` runs right after the bot's submission burst,
        while the bot is still verifying (e.g. more load against a slow Amazon)."""
        out = RoundResult()
        ids = [u.user_id for u in users]
        saved_bare = self.bare
        if not compare:
            self.bare = None
        try:
            # 1. commands -> DM
            def wait_dms() -> None:
                dms = self.fakes.call("dm_messages", ids, 60)
                for u in users:
                    u.dm = dms.get(u.user_id)

            self._pair("command", self.command_bodies(users), bot_first, out, wait_dms)
            sent_by_user = {u.user_id: r.sent_at for u, r in zip(users, out.results[("bot", "command")],
                                                                   strict=True)}
            out.dm_seconds = [u.dm["at"] - sent_by_user[u.user_id] for u in users if u.dm]
            out.missing["dm"] = sum(1 for u in users if not u.dm)
            users = [u for u in users if u.dm]

            # 2. clicks -> modal
            def wait_views() -> None:
                views = self.fakes.call("opened_views", [u.trigger_id for u in users], 60)
                for u in users:
                    u.view = views.get(u.trigger_id)

            self._pair("click", self.click_bodies(users), bot_first, out, wait_views)
            out.missing["modal"] = sum(1 for u in users if not u.view)
            users = [u for u in users if u.view]

            # 3. submissions -> verifying -> result
            pending, labels = result_markers()
            by_view = {u.view["id"]: u for u in users if u.view}
            updates: dict[str, dict[str, Any]] = {}

            def wait_results() -> None:
                if while_verifying is not None:
                    while_verifying()
                updates.update(self.fakes.call("view_updates", list(by_view), start, result_timeout,
                                               pending, labels))

            start = time.time() - 1
            self._pair("submission", self.submission_bodies(users), bot_first, out, wait_results)
            sent_by_view = {u.view["id"]: r.sent_at for u, r in zip(users, out.results[("bot", "submission")],
                                                                    strict=True) if u.view}
            for r in out.results[("bot", "submission")]:
                answer = r.json() or {}
                if r.status == 200 and answer.get("response_action") != "update":
                    out.rejected += 1
            for vid, update in updates.items():
                out.result_seconds.append(update["at"] - sent_by_view[vid])
                out.outcomes[update["label"]] = out.outcomes.get(update["label"], 0) + 1
            out.missing["result"] = len(by_view) - len(updates)
        finally:
            self.bare = saved_bare
        return out


def _find_button(blocks: list[dict[str, Any]], action_id: str) -> tuple[str, str | None]:
    for block in blocks:
        elements = list(block.get("elements") or [])
        if isinstance(block.get("accessory"), dict):
            elements.append(block["accessory"])
        for element in elements:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return str(block.get("block_id") or "actions"), element.get("value")
    raise LookupError(f"no {action_id} button in the DM")


def seconds_summary(values: list[float]) -> dict[str, Any]:
    from bench.load import percentile

    if not values:
        return {"n": 0}
    return {"n": len(values), "p50_s": round(percentile(values, 50), 2), "p95_s": round(percentile(values, 95), 2),
            "max_s": round(max(values), 2)}


@contextmanager
def cpu_used(pid: int, out: RoundResult, target: str, kind: str) -> Iterator[None]:
    """Adds the CPU time ``pid`` (and, apart, its children) used inside the block to ``out``."""
    web, workers = cpu_seconds(pid), sum(cpu_seconds(c) for c in children(pid))
    yield
    out.add_cpu(target, kind, "web", cpu_seconds(pid) - web)
    out.add_cpu(target, kind, "workers", sum(cpu_seconds(c) for c in children(pid)) - workers)


def cpu_per_request(total: RoundResult) -> dict[str, dict[str, float]]:
    """CPU milliseconds per request during the bursts, by target and kind (web process, its workers)."""
    figures: dict[str, dict[str, float]] = {}
    for (target, kind, part), seconds in sorted(total.cpu.items()):
        n = len(total.results.get((target, kind), []))
        if n:
            figures.setdefault(target, {})[f"{kind}_{part}_ms"] = round(1000 * seconds / n, 2)
    return figures


def report(total: RoundResult) -> dict[str, Any]:
    """Per target and kind: latency summary; per kind and over all kinds: bot/bare ratio per percentile."""
    figures: dict[str, Any] = {"targets": {}, "ratio": {}}
    for target in ("bot", "bare", "control", "same_mode"):
        per_kind = {kind: summary(total.results[(target, kind)]) for kind in KINDS
                    if (target, kind) in total.results}
        if per_kind:
            every = [r for kind in KINDS for r in total.results.get((target, kind), [])]
            per_kind["all"] = summary(every)
            figures["targets"][target] = per_kind
    if "bare" in figures["targets"]:
        for kind, bot_fig in figures["targets"]["bot"].items():
            bare_fig = figures["targets"]["bare"].get(kind)
            if not bare_fig:
                continue
            figures["ratio"][kind] = {p: round(bot_fig[f"{p}_ms"] / bare_fig[f"{p}_ms"], 2)
                                      for p in ("p50", "p95", "p99", "max") if bare_fig[f"{p}_ms"]}
        for key, (upper, lower) in (("control_ratio", ("control", "bare")), ("same_mode_ratio", ("bot", "same_mode"))):
            for kind, upper_fig in figures["targets"].get(upper, {}).items():
                lower_fig = figures["targets"].get(lower, {}).get(kind)
                if lower_fig and lower_fig["p99_ms"]:
                    figures.setdefault(key, {})[kind] = round(upper_fig["p99_ms"] / lower_fig["p99_ms"], 2)
    figures["time_to_dm"] = seconds_summary(total.dm_seconds)
    figures["rounds"] = len(total.rounds)
    if total.rounds and "bare" in figures["targets"]:
        from bench.load import percentile

        # Each round's p99 ratio (all kinds, and per kind) for: the bot over the bare app (the verdict's), the
        # control over the bare app (the noise floor), the bot over the same-mode app (the bot's own code).
        pairs = {"p99_ratio": ("bot", "bare"), "control_p99_ratio": ("control", "bare"),
                 "same_mode_p99_ratio": ("bot", "same_mode")}
        for prefix, (upper, lower) in pairs.items():
            per_round: list[float] = []
            by_kind: dict[str, list[float]] = {}
            for results in total.rounds:
                top = [r.latency for k, rs in results.items() if k[0] == upper for r in rs]
                base = [r.latency for k, rs in results.items() if k[0] == lower for r in rs]
                if top and base:
                    per_round.append(round(percentile(top, 99) / percentile(base, 99), 2))
                for kind in KINDS:
                    mine = [r.latency for r in results.get((upper, kind), [])]
                    theirs = [r.latency for r in results.get((lower, kind), [])]
                    if mine and theirs:
                        by_kind.setdefault(kind, []).append(round(percentile(mine, 99) / percentile(theirs, 99), 2))
            if per_round:
                figures[f"{prefix}_per_round"] = per_round
                figures[f"{prefix}_rounds_by_kind"] = by_kind
                figures[f"{prefix}_median_round"] = {kind: round(statistics.median(v), 2)
                                                     for kind, v in by_kind.items()}
    figures["time_to_result"] = seconds_summary(total.result_seconds)
    figures["outcomes"] = total.outcomes
    figures["missing"] = total.missing
    figures["submissions_not_updated"] = total.rejected
    figures["cpu_ms_per_request"] = cpu_per_request(total)
    return figures


def command_users(fakes: FakesClient, n: int, prefix: str = "U0BS") -> list[User]:
    """``n`` fresh Slack users who only send a command (no credentials at the fake Amazon)."""
    users = [User(f"{prefix}{i:05d}", f"sustain{i:05d}", {}) for i in range(n)]
    fakes.call("add_users", [u.user_id for u in users])
    return users
