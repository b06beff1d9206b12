"""The fake Slack and the fake Amazon in a process of their own, driven over a pipe.

The benchmark client, the bot and the fakes each get a process (and so a GIL) of their own: the
fakes' work for the bot's outbound calls does not slow the client that times the acks.
``FakesClient`` calls ``Host`` methods by name in the child; answers are plain picklable values.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from multiprocessing.connection import Connection as Pipe
from typing import Any

from bot.amazon.client import Credentials


class Host:
    """Runs in the child process; every public method is callable from ``FakesClient``."""

    def __init__(self) -> None:
        from bench.procs import NOTIFY_CHANNEL
        from tests.fakes.fake_amazon import FakeAmazon
        from tests.fakes.fake_slack import FakeSlack

        self.slack = FakeSlack().start()
        self.amazon = FakeAmazon().start()
        # tests/fakes/http_server.py tunes both fakes' servers (backlog, TCP_NODELAY, quiet hang-ups).
        self.notify = self.slack.add_channel(NOTIFY_CHANNEL, "amazon-connections-bench")

    def info(self) -> dict[str, str]:
        return {
            "slack_api_url": self.slack.api_url,
            "bot_token": self.slack.bot_token,
            "token_url": self.amazon.token_url,
            "sp_api_url": self.amazon.sp_api_url,
            "response_url": self.slack.response_url("bench"),
        }

    def close(self) -> None:
        self.slack.stop()
        self.amazon.stop()

    # ------------------------------------------------------------------ set-up

    def add_users(self, user_ids: list[str]) -> None:
        for uid in user_ids:
            self.slack.add_user(uid, uid.lower())
            self.notify.members.add(uid)

    def register(self, creds: list[Credentials]) -> None:
        for c in creds:
            self.amazon.register(c, store_name=f"Store {c.selling_partner_id}")

    def amazon_latency(self, seconds: float) -> None:
        self.amazon.set_latency(seconds)

    def reset(self) -> None:
        """Forget recorded calls (keeps users, channels, registered credentials)."""
        self.slack.reset()
        with self.amazon._lock:
            self.amazon._log.clear()

    # ------------------------------------------------------------------ observation

    def counts(self) -> dict[str, Any]:
        slack: dict[str, int] = {}
        errors: dict[str, int] = {}
        with self.slack._lock:
            for c in self.slack.calls:
                slack[c.method] = slack.get(c.method, 0) + 1
                if not c.response.get("ok"):
                    key = f"{c.method}:{c.response.get('error')}"
                    errors[key] = errors.get(key, 0) + 1
        return {"slack": slack, "slack_errors": errors, "amazon": self.amazon.counts()}

    def dm_messages(self, user_ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
        """The first DM message the bot posted to each user, with its channel and time (waits)."""
        deadline = time.monotonic() + timeout
        found: dict[str, dict[str, Any]] = {}
        while True:
            for uid in user_ids:
                if uid in found:
                    continue
                dm = self.slack._dm_for(uid)
                with self.slack._lock:
                    call = next((c for c in self.slack.calls if c.method == "chat.postMessage"
                                 and c.response.get("ok") and c.response.get("channel") == dm), None)
                if call is not None:
                    found[uid] = {"channel": dm, "message": call.response["message"], "at": call.at}
            if len(found) == len(user_ids) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def opened_views(self, trigger_ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
        """trigger_id -> the modal the bot opened with it (waits)."""
        wanted = set(trigger_ids)
        deadline = time.monotonic() + timeout
        while True:
            with self.slack._lock:
                found = {c.params.get("trigger_id"): c.response["view"] for c in self.slack.calls
                         if c.method == "views.open" and c.response.get("ok")
                         and c.params.get("trigger_id") in wanted}
            if len(found) == len(wanted) or time.monotonic() > deadline:
                return found
            time.sleep(0.05)

    def view_updates(self, view_ids: list[str], after: float, timeout: float, pending: list[str],
                     labels: dict[str, str]) -> dict[str, dict[str, Any]]:
        """view_id -> the first ``views.update`` of that view after ``after`` (epoch seconds) whose body
        contains none of the ``pending`` texts (the "verifying" view): the result the user sees.
        ``label`` names the first of ``labels`` (text -> label) the body contains (waits)."""
        wanted = set(view_ids)
        deadline = time.monotonic() + timeout
        while True:
            found: dict[str, dict[str, Any]] = {}
            with self.slack._lock:
                for c in self.slack.calls:
                    if c.method != "views.update" or c.at < after or not c.response.get("ok"):
                        continue
                    vid = c.response["view"]["id"]
                    if vid not in wanted or vid in found:
                        continue
                    text = json.dumps(c.params.get("view"), ensure_ascii=False)
                    if any(p in text for p in pending):
                        continue
                    label = next((lab for marker, lab in labels.items() if marker in text), "other")
                    found[vid] = {"at": c.at, "label": label}
            if len(found) == len(wanted) or time.monotonic() > deadline:
                return found
            time.sleep(0.1)

    def channel_posts(self, channel: str) -> int:
        return len(self.slack.channel_messages(channel))




def _serve(pipe: Pipe) -> None:
    host = Host()
    pipe.send(("ok", host.info()))
    while True:
        name, args, kwargs = pipe.recv()
        if name == "close":
            host.close()
            pipe.send(("ok", None))
            return
        try:
            pipe.send(("ok", getattr(host, name)(*args, **kwargs)))
        except Exception as exc:  # noqa: BLE001 - reported to the caller
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))


class FakesClient:
    """Starts the host process; ``client.call("name", ...)`` runs ``Host.name(...)`` there."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self._pipe, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), name="bench-fakes", daemon=True)
        self.process.start()
        status, info = self._receive("start", 60)
        if status != "ok":
            raise RuntimeError(info)
        self.info: dict[str, str] = info

    def _receive(self, name: str, timeout: float) -> tuple[str, Any]:
        deadline = time.monotonic() + timeout
        while not self._pipe.poll(0.2):
            if not self.process.is_alive():
                raise RuntimeError(f"fakes host died during {name} (exit code {self.process.exitcode})")
            if time.monotonic() > deadline:
                raise TimeoutError(f"fakes host did not answer {name} within {timeout:.0f} s")
        answer: tuple[str, Any] = self._pipe.recv()
        return answer

    def call(self, name: str, *args: Any, timeout: float = 300, **kwargs: Any) -> Any:
        self._pipe.send((name, args, kwargs))
        status, value = self._receive(name, timeout)
        if status != "ok":
            raise RuntimeError(f"fakes host: {name}: {value}")
        return value

    @property
    def pid(self) -> int:
        return int(self.process.pid or 0)

    def close(self) -> None:
        try:
            self.call("close")
        finally:
            self.process.join(timeout=10)
            if self.process.is_alive():
                self.process.terminate()

    def __enter__(self) -> FakesClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
