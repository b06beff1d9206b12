"""Fewer glibc malloc arenas for the long-running processes (``run``, ``worker``).

glibc gives each thread that allocates while another holds the main arena an arena of its own (up to 8 per
core), and keeps what each arena once held. The web process answers Slack on HTTP_THREADS threads and acks
on LISTENER_THREADS more, so a burst of requests leaves dozens of arenas behind: measured in ``./dev bench``
(BENCHMARKS.md), the web process peaked 15-20 MB higher than with two arenas, for no speed gained.
``MALLOC_ARENA_MAX=2`` in the environment does the same, but only if set before the interpreter starts;
``mallopt(M_ARENA_MAX)`` works from inside, for every thread started afterwards. An operator's own
MALLOC_ARENA_MAX wins. Nothing happens off glibc (musl, macOS).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # glibc's malloc.h
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc arenas at ``arenas`` (call before starting threads). True when it took effect."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_ARENA_MAX, arenas))
