"""bot.memory: the malloc arena cap that run and worker set before their threads start."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from bot.memory import limit_malloc_arenas
from tests.harness import REPO


def test_an_operators_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_on_glibc_the_cap_takes_effect_in_a_fresh_process() -> None:
    code = "from bot.memory import limit_malloc_arenas; print(limit_malloc_arenas())"
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "True"
