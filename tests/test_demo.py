"""``./dev demo`` (``python -m demo``) as a newcomer runs it: a real subprocess, bounded in time. It must
show the key moments as plain text (no Block Kit JSON), never a secret, and leave nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.redaction import contains_secret_shape

REPO = Path(__file__).resolve().parents[1]


def processes_in(directory: Path) -> list[int]:
    """Live processes whose working directory is ``directory`` (or below it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd").removesuffix(" (deleted)")
        except OSError:
            continue
        if cwd == str(directory) or cwd.startswith(f"{directory}/"):
            found.append(int(entry.name))
    return found


@pytest.mark.timeout(240)
def test_demo_walks_one_connection_end_to_end_as_plain_text() -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_", "LWA_", "SP_API_", "DATABASE_URL"))}
    proc = subprocess.run([sys.executable, "-m", "demo"], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=200, check=False)
    out = proc.stdout
    assert proc.returncode == 0, out[-3000:] + proc.stderr[-3000:]
    moments = [
        "@alice types /connect-amazon",
        "── Only visible to @alice in #general",
        "── DM to @alice ",
        "[button: Seller Central]",
        "── DM to @alice (updated in place)",
        "[button: Enter credentials (primary)]",
        "┌ Connect Amazon ┐",
        "LWA client secret: [text: amzn1.oa2-cs.v1.…]",
        "[button: Verify and save (primary)]",
        "Checking your credentials with Amazon",
        "┌ Amazon connected ┐",
        "*Garden Shop US* is connected and verified with Amazon.",
        "── Post in #amazon-news",
        "was connected by @alice",
        "13 day(s)",
        "[button: Rotate now (primary)]",
        "expiry reminders sent: 1",
        "Done: the bot, the fake Slack and the fake Amazon are stopped",
    ]
    positions = []
    for moment in moments:
        assert moment in out, f"{moment!r} missing from the demo output:\n{out[-4000:]}"
        positions.append(out.index(moment))
    assert positions.index(max(positions)) == len(moments) - 1  # the walk ends with the clean-up line
    # Plain text, not JSON; no secret and no raw mrkdwn reference.
    assert '"type"' not in out and '{"' not in out and "<@U" not in out and "<#C" not in out
    assert not contains_secret_shape(out + proc.stderr)
    # Everything stopped and removed.
    tmp = Path(re.search(r"Temporary files \(database, key, logs\): (\S+)", out).group(1))  # type: ignore[union-attr]
    assert not tmp.exists()
    assert processes_in(tmp) == []
