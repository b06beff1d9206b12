"""Settings: every missing or malformed value is one sentence naming the variable, exit code 2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import DEFAULT_DATABASE_URL, SettingsError, load_settings

REPO = Path(__file__).resolve().parents[1]
GOOD = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-abcdefghijklmnop",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "NOTIFY_CHANNEL": "C0NOTIFY01",
}


def problems(env: dict[str, str], **kwargs: object) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load_settings(env, env_file="/nonexistent/.env", **kwargs)  # type: ignore[arg-type]
    return info.value.problems


def test_defaults() -> None:
    s = load_settings(GOOD, env_file="/nonexistent/.env")
    assert s.slack_api_url == "https://slack.com/api/"
    assert s.port == 3000
    assert s.database_url == DEFAULT_DATABASE_URL
    assert s.lwa_token_url == "https://api.amazon.com/auth/o2/token"
    assert s.sp_api_endpoint is None
    assert s.log_level == "INFO"
    assert s.reminder_days == (30, 14, 7, 3, 1)
    assert s.team_language == "en"
    assert not s.socket_mode


@pytest.mark.parametrize(("value", "expected"), [("en", "en"), ("EN", "en"), ("zh-CN", "zh-CN"), ("zh-cn", "zh-CN"),
                                                  (" zh-CN ", "zh-CN")])
def test_team_language_names_a_catalog(value: str, expected: str) -> None:
    assert load_settings({**GOOD, "TEAM_LANGUAGE": value}, env_file="/nonexistent/.env").team_language == expected


def test_a_wrong_team_language_lists_the_choices() -> None:
    (found,) = problems({**GOOD, "TEAM_LANGUAGE": "Klingon"})
    assert found.startswith("TEAM_LANGUAGE must be one of en, zh-CN") and "NOTIFY_CHANNEL" in found


def test_repr_hides_tokens() -> None:
    s = load_settings({**GOOD, "SLACK_APP_TOKEN": "xapp-1-A111-222-abcdef"}, env_file="/nonexistent/.env")
    assert "xoxb-" not in repr(s) and "xapp-" not in repr(s) and GOOD["SLACK_SIGNING_SECRET"] not in repr(s)
    assert s.socket_mode


@pytest.mark.parametrize(
    ("missing", "expect"),
    [
        ("SLACK_BOT_TOKEN", ["SLACK_BOT_TOKEN", "OAuth & Permissions", "xoxb-"]),
        ("SLACK_SIGNING_SECRET", ["SLACK_SIGNING_SECRET", "Basic Information", "Signing Secret"]),
        ("NOTIFY_CHANNEL", ["NOTIFY_CHANNEL", "Channel ID"]),
    ],
)
def test_each_missing_setting_has_its_sentence(missing: str, expect: list[str]) -> None:
    env = {k: v for k, v in GOOD.items() if k != missing}
    found = problems(env)
    assert len(found) == 1
    for word in expect:
        assert word in found[0]


@pytest.mark.parametrize(
    ("name", "value", "word"),
    [
        ("SLACK_BOT_TOKEN", "xoxp-user-token-123456", "xoxb-"),
        ("SLACK_APP_TOKEN", "not-an-app-token", "xapp-"),
        ("SLACK_SIGNING_SECRET", "short", "32 hexadecimal"),
        ("PORT", "http", "PORT"),
        ("PORT", "70000", "PORT"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("LWA_TOKEN_URL", "ftp://x", "LWA_TOKEN_URL"),
        ("SP_API_ENDPOINT", "not a url", "SP_API_ENDPOINT"),
        ("LOG_LEVEL", "LOUD", "LOG_LEVEL"),
        ("SLACK_API_URL", "slack", "SLACK_API_URL"),
        ("NOTIFY_CHANNEL", "general channel", "NOTIFY_CHANNEL"),
        ("ENCRYPTION_KEYS", "k1:notbase64!!", "ENCRYPTION_KEYS"),
        ("REMINDER_DAYS", "30,x", "REMINDER_DAYS"),
        ("SWEEP_INTERVAL", "soon", "SWEEP_INTERVAL"),
        ("CONNECT_ALLOWED", "some people", "CONNECT_ALLOWED"),
        ("TEAM_LANGUAGE", "fr", "zh-CN"),
        ("TEAM_LANGUAGE", "zh", "zh-CN"),
    ],
)
def test_malformed_setting_names_the_variable(name: str, value: str, word: str) -> None:
    found = problems({**GOOD, name: value})
    assert len(found) == 1, found
    assert name in found[0] and word in found[0]
    if name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "ENCRYPTION_KEYS"):
        assert value not in found[0]


def test_every_problem_reported_at_once() -> None:
    found = problems({})
    assert {p.split(" ")[0] for p in found} == {"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "NOTIFY_CHANNEL"}


def test_without_either_slack_mode_token_both_ways_are_offered() -> None:
    env = {k: v for k, v in GOOD.items() if k != "SLACK_SIGNING_SECRET"}
    (found,) = problems(env)
    assert "SLACK_APP_TOKEN" in found and "Socket Mode" in found and "connections:write" in found
    assert "SLACK_SIGNING_SECRET" in found and "HTTP mode" in found


@pytest.mark.parametrize("name", ["#amazon-news", "#general"])
def test_a_channel_name_is_refused_with_how_to_find_the_id(name: str) -> None:
    (found,) = problems({**GOOD, "NOTIFY_CHANNEL": name})
    assert "NOTIFY_CHANNEL" in found and name in found and "channel name" in found
    assert "Channel ID" in found and "starts with C or G" in found


def test_a_channel_id_is_accepted() -> None:
    for channel in ("C0NOTIFY01", "G0PRIVATE1"):
        settings = load_settings({**GOOD, "NOTIFY_CHANNEL": channel}, env_file="/nonexistent/.env")
        assert settings.notify_channel == channel


def test_socket_mode_does_not_need_signing_secret() -> None:
    env = {k: v for k, v in GOOD.items() if k != "SLACK_SIGNING_SECRET"}
    s = load_settings({**env, "SLACK_APP_TOKEN": "xapp-1-A111-222-abcdef"}, env_file="/nonexistent/.env")
    assert s.socket_mode


def test_env_file_is_read_and_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("PORT=4000\nLOG_LEVEL=debug\n" + "".join(f"{k}={v}\n" for k, v in GOOD.items()))
    s = load_settings({"PORT": "5000"}, env_file=env_file)
    assert s.port == 5000 and s.log_level == "DEBUG" and s.notify_channel == "C0NOTIFY01"


def test_postgres_url_gets_the_psycopg_driver() -> None:
    s = load_settings({**GOOD, "DATABASE_URL": "postgres://u@h:5432/d"}, env_file="/nonexistent/.env")
    assert s.database_url == "postgresql+psycopg://u@h:5432/d"


def run_bot(env: dict[str, str], *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "NOTIFY_", "ENCRYPTION_"))}
    clean.update(env)
    clean["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=clean, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("missing", ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "NOTIFY_CHANNEL"])
def test_process_exits_2_with_one_sentence_and_no_traceback(tmp_path: Path, missing: str) -> None:
    env = {k: v for k, v in GOOD.items() if k != missing}
    result = run_bot(env, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("- ")]
    assert len(lines) == 1 and missing in lines[0]
    assert not (tmp_path / "data").exists()  # nothing was created before the settings were checked


def test_run_subcommand_is_the_default(tmp_path: Path) -> None:
    a = run_bot({}, cwd=tmp_path)
    b = run_bot({}, "run", cwd=tmp_path)
    assert a.returncode == b.returncode == 2
    assert a.stderr == b.stderr


def test_env_example_lists_every_setting() -> None:
    source = (REPO / "bot" / "settings.py").read_text()
    read = (set(re.findall(r'(?:get|whole)\("([A-Z_]+)"', source))
            | set(re.findall(r'"([A-Z]+_THREADS)"', source)))
    assert {"SLACK_BOT_TOKEN", "HTTP_THREADS", "LISTENER_THREADS", "DATA_DIR"} <= read
    example = (REPO / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z_]+)=", example, re.MULTILINE))
    assert read <= listed, f"settings missing from .env.example: {sorted(read - listed)}"


def test_workers_defaults_to_one_and_is_checked(tmp_path: Path) -> None:
    base = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "NOTIFY_CHANNEL": "C0123456"}
    no_env = tmp_path / "none.env"
    assert load_settings(base, env_file=no_env).workers == 1
    assert load_settings({**base, "WORKERS": "0"}, env_file=no_env).workers == 0
    assert load_settings({**base, "WORKERS": "4"}, env_file=no_env).workers == 4
    for bad in ("-1", "two", "33"):
        with pytest.raises(SettingsError) as caught:
            load_settings({**base, "WORKERS": bad}, env_file=no_env)
        assert any(p.startswith("WORKERS must be") for p in caught.value.problems)
