"""``./dev demo`` (``python -m demo``): see the bot work without a Slack workspace.

Starts the local fake Slack and fake Amazon (tests/fakes/, real HTTP servers on 127.0.0.1), runs the
bot as a real process (``python -m bot run``, HTTP mode) against them with a throw-away SQLite
database and key, and walks one seller connection end to end, signed exactly as Slack signs requests:
the ``/connect-amazon`` command, the checklist DM, the credentials modal, the check with Amazon, the
team-channel post, and then an expiry reminder from ``python -m bot sweep`` with the clock set 13 days
before the client secret expires. It prints what each person would have seen, as plain text, then
stops everything and removes its temporary directory.

Not part of the shipped bot: it imports the test fakes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import httpx

from bot.redaction import mask
from demo import render
from storage import repo
from tests.fakes.fake_amazon import make_credentials
from tests.fakes.fake_slack import make_user
from tests.harness import NOTIFY_CHANNEL, BotHarness, wait_until

ALICE = "U0ALICE01"
TEAM_CHANNEL = "C0GENERAL"
SHOWN = ("chat.postMessage", "chat.update", "chat.postEphemeral", "views.open", "views.update", "views.push",
         "response_url")
WIDTH = 72


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class BotProcess:
    """``python -m bot run`` against the fakes, on a port of its own; stopped with SIGTERM."""

    def __init__(self, h: BotHarness, log: Path) -> None:
        self.port = free_port()
        self.log = log
        env = h.subprocess_env(PORT=str(self.port), SWEEP_INTERVAL="24h", LOG_LEVEL="WARNING")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=h.tmp_path,
                                     stdout=log.open("ab"), stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("the bot stopped while starting:\n" + log.read_text(errors="replace")[-3000:])
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the bot did not become healthy within 60 s")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


class Transcript:
    """Prints what each person saw: every Slack call the bot made since the last look."""

    def __init__(self, h: BotHarness, out: Any) -> None:
        self.h = h
        self.out = out
        self.seen = 0
        self.modal_owner: dict[str, str] = {}
        users = {uid: str(u.get("name", uid)) for uid, u in h.slack.users.items()}
        channels = {cid: c.name for cid, c in h.slack.channels.items()}
        self.names = render.Names(users, channels)

    def say(self, text: str) -> None:
        print(f"\n▶ {text}", file=self.out)

    def block(self, heading: str, lines: list[str]) -> None:
        print(f"\n── {heading} " + "─" * max(3, WIDTH - len(heading) - 4), file=self.out)
        for line in lines:
            print(f"   {line}" if line else "", file=self.out)

    def _dm_owner(self, channel: str) -> str | None:
        for uid, dm in self.h.slack._dms.items():
            if dm == channel:
                return uid
        return channel if channel[:1] in "UW" else None

    def where(self, channel: str) -> str:
        owner = self._dm_owner(channel)
        return f"DM to {self.names.user(owner)}" if owner else f"Post in {self.names.channel(channel)}"

    def flush(self, settle: float = 0.4) -> None:
        time.sleep(settle)  # the bot's work after an ack may still be posting
        with self.h.slack._lock:
            calls = [c for c in self.h.slack.calls[self.seen:] if c.method in SHOWN and c.response.get("ok")]
            self.seen = len(self.h.slack.calls)
        for call in calls:
            p = call.params
            if call.method == "chat.postMessage":
                self.block(self.where(str(p.get("channel", ""))), render.message(p, self.names))
            elif call.method == "chat.update":
                self.block(self.where(str(p.get("channel", ""))) + " (updated in place)",
                           render.message(p, self.names))
            elif call.method == "chat.postEphemeral":
                self.block(f"Only visible to {self.names.user(str(p.get('user')))} in "
                           f"{self.names.channel(str(p.get('channel')))}", render.message(p, self.names))
            elif call.method == "response_url":
                self.block(f"Only visible to {self.names.user(ALICE)} in {self.names.channel(TEAM_CHANNEL)}",
                           render.message(p, self.names))
            else:
                v = p.get("view")
                v = json.loads(v) if isinstance(v, str) else v or {}
                view_id = str((call.response.get("view") or {}).get("id", p.get("view_id", "")))
                who = self.modal_owner.setdefault(view_id, ALICE)
                self.block(f"Modal for {self.names.user(who)}", render.view(v, self.names))


def walk(h: BotHarness, bot: BotProcess, out: Any) -> None:
    tr = Transcript(h, out)
    h.url = bot.url  # every signed request now goes to the bot process
    creds = h.amazon.register(make_credentials(), store_name="Alice's Garden Shop")

    tr.say("@alice types /connect-amazon in #general")
    ack = h.command("", user=ALICE, channel=TEAM_CHANNEL)
    answer = ack.json() if ack.content else {}
    if answer.get("text"):
        tr.block(f"Only visible to {tr.names.user(ALICE)} in #general", render.message(answer, tr.names))
    h.wait_dm(user=ALICE, timeout=20)
    tr.flush()

    tr.say("@alice picks the Seller Central path in the checklist")
    h.click("checklist_path_seller", ALICE)
    h.wait_for_slack("chat.update", timeout=20)
    tr.flush()

    tr.say("@alice clicks the button that opens the private credentials form")
    view = h.open_credentials(ALICE)
    tr.flush(0.1)

    tr.say("@alice fills in the form and presses the submit button:")
    values = h.form_values(creds, "Garden Shop US")
    shown = dict(values, client_secret=mask(creds.client_secret), refresh_token=mask(creds.refresh_token))
    for key in ("account_type", "selling_partner_id", "client_id", "client_secret", "refresh_token", "marketplace",
                "connection_name"):
        note = "  (masked here; the bot never shows it again)" if key in ("client_secret", "refresh_token") else ""
        print(f"     {key}: {shown[key]}{note}", file=out)
    response = h.submit(view, values, ALICE)
    answer = response.json() if response.content else {}
    if answer.get("view"):
        tr.block(f"Modal for {tr.names.user(ALICE)} (the instant answer, while Amazon is asked)",
                 render.view(answer["view"], tr.names))
    h.wait_view(view["id"], lambda v: v.get("callback_id") == "connect_result"
                and "Checking your credentials" not in json.dumps(v), 30)
    wait_until(lambda: any(NOTIFY_CHANNEL == c.params.get("channel") for c in h.slack.calls_for("chat.postMessage")),
               20, "no team-channel post")
    tr.flush()

    with h.db_session() as s:
        conn = repo.get_connection(s, "T0FAKETEAM", "Garden Shop US")
        if conn is None:
            raise RuntimeError("the connection was not saved")
        expires = conn.secret_expires_on
    when = datetime.combine(expires - timedelta(days=13), dtime(9, 0), tzinfo=UTC)
    tr.say(f"Time passes. The operator's scheduler runs `python -m bot sweep --now {when.isoformat()}` "
           f"(13 days before the client secret expires on {expires.isoformat()})")
    sweep = h.run_cli("sweep", "--now", when.isoformat(), timeout=120)
    if sweep.returncode != 0:
        raise RuntimeError(f"the sweep failed ({sweep.returncode}):\n{sweep.stdout}{sweep.stderr}")
    tr.flush(0.1)
    tr.block("The operator's terminal (python -m bot sweep)", sweep.stdout.strip().splitlines())


def main(argv: list[str] | None = None) -> int:
    out = sys.stdout
    print("Amazon Connect bot demo: fake Slack and fake Amazon on 127.0.0.1, the bot as a real process.", file=out)
    users = {ALICE: make_user(ALICE, "alice", "Alice Seller")}
    with tempfile.TemporaryDirectory(prefix="amazon-connect-demo-") as tmp:
        tmp_path = Path(tmp)
        print(f"Temporary files (database, key, logs): {tmp_path}", file=out)
        with BotHarness(tmp_path, users=users) as h:
            h.slack.channels[TEAM_CHANNEL].members.add(ALICE)
            bot = BotProcess(h, tmp_path / "bot.log")
            try:
                walk(h, bot, out)
            except Exception:
                print("\nThe demo stopped early. The bot's log:\n" + (tmp_path / "bot.log").read_text(errors="replace")
                      [-4000:], file=sys.stderr)
                raise
            finally:
                bot.stop()
    print("\nDone: the bot, the fake Slack and the fake Amazon are stopped, and the temporary files are gone.",
          file=out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
