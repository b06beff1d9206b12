"""`pip install` gives an `amazon-connect` command that is `python -m bot`."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_pyproject_declares_the_console_script() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"amazon-connect": "bot.__main__:main"}


def test_the_console_script_is_installed_and_answers_help(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "amazon-connect"
    assert script.is_file(), f"{script} is missing: run ./dev test (it installs the project into .venv)"
    result = subprocess.run([str(script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: amazon-connect")
    for command in ("run", "sweep", "doctor", "rotate-key", "verify", "gen-key"):
        assert command in result.stdout
