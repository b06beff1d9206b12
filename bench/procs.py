"""Process helpers: free ports, the bot's environment, starting servers and reading their peak RSS."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "8f742231b10e8888abcd99aaa0c85a50"
NOTIFY_CHANNEL = "C0NOTIFY01"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bot_env(*, slack_api_url: str, bot_token: str, token_url: str, sp_api_url: str, database_url: str,
            encryption_keys: str, **extra: str) -> dict[str, str]:
    """The environment ``python -m bot`` runs with against the fakes (like tests/test_runtime.py's bot_env)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_", "LWA_", "SP_API", "DATABASE_", "PORT"))}
    env.update(
        PYTHONPATH=str(REPO),
        SLACK_BOT_TOKEN=bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        NOTIFY_CHANNEL=NOTIFY_CHANNEL,
        DATABASE_URL=database_url,
        ENCRYPTION_KEYS=encryption_keys,
        LWA_TOKEN_URL=token_url,
        SP_API_ENDPOINT=sp_api_url,
        LOG_LEVEL="INFO",
        # The in-process sweeper must not run during the load (its first pass is one interval away).
        SWEEP_INTERVAL="24h",
    )
    env.update(extra)
    return env


class Server:
    """A child process serving HTTP on ``port``; its output goes to ``log``."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, log: Path,
                 cpus: set[int] | None = None) -> None:
        self.name = name
        self.port = port
        self.log = log
        self.proc = subprocess.Popen([sys.executable, *argv], env=env, cwd=log.parent,
                                     stdout=log.open("wb"), stderr=subprocess.STDOUT)
        pin(self.proc.pid, cpus)
        (log.parent / f"{name}.pid").write_text(str(self.proc.pid))  # for py-spy and friends

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.output()[-4000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} never became healthy:\n{self.output()[-4000:]}")

    def memory(self) -> dict[str, float]:
        """Peak (VmHWM) and current (VmRSS) resident set size in MB, from /proc/PID/status."""
        return read_memory(self.pid)

    def worker_memory(self) -> dict[str, dict[str, float]]:
        """The same for each child process (the workers of ``bot run``), by pid."""
        return {str(child): read_memory(child) for child in children(self.pid)}

    def stop(self, timeout: float = 15) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


def placement() -> tuple[set[int] | None, set[int] | None]:
    """(CPUs for the server under test, CPUs for the load generator and the fakes), or (None, None)
    when there are fewer than two CPUs to split. With two or more, the bot (or the bare app, or the
    sweep) gets CPU 0 to itself and everything that plays Slack, Amazon or the users runs on the
    others, so the fakes' work for the bot does not compete with the bot for a core, as it would not
    in production, where Slack and Amazon are other people's machines."""
    try:
        available = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None
    if len(available) < 2:
        return None, None
    return {available[0]}, set(available[1:])


def pin(pid: int, cpus: set[int] | None) -> None:
    if cpus:
        try:
            os.sched_setaffinity(pid, cpus)
        except (AttributeError, OSError):
            pass


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc), 0.0 when unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def read_memory(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)  # kB -> MB
    return values


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc), e.g. the worker processes ``bot run`` started."""
    out: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            try:
                out += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
    except OSError:
        return []
    return sorted(set(out))


def loadavg() -> list[float]:
    """The 1-, 5- and 15-minute load averages from /proc/loadavg (other work on the machine)."""
    try:
        return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]
    except (OSError, ValueError):
        return [round(x, 2) for x in os.getloadavg()]
