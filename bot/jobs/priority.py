"""The CPU class of worker processes on the web process's machine: ``run`` starts them in Linux's SCHED_IDLE
class (they run only when nothing of normal priority wants the CPU), and they leave it for SCHED_OTHER (still
at their nice level) the moment they are asked to stop, so a drain cannot be starved by a busy machine."""

from __future__ import annotations

import logging
import os

log = logging.getLogger(__name__)


def lower_to_idle_class() -> bool:
    """Linux's SCHED_IDLE for this process (its threads started from now on inherit it): it runs only when
    nothing of normal priority wants the CPU, and a waking web process preempts it at once. What ``run``
    asks of the workers it starts on the web process's machine: measured in ``./dev bench`` (BENCHMARKS.md),
    nice 10 still let a worker take whole time slices from the web process in the middle of a burst of
    acks. Returns False (and says why) where the OS has no such class or refuses."""
    if not hasattr(os, "SCHED_IDLE"):
        log.info("this OS has no SCHED_IDLE: the worker runs at its nice level only")
        return False
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except OSError as exc:
        log.warning("could not lower the worker to SCHED_IDLE (%s): it runs at its nice level only", exc.strerror)
        return False
    return True


def leave_idle_class(pid: int = 0) -> int:
    """Every thread of process ``pid`` (0: this one) that is in SCHED_IDLE moves to SCHED_OTHER, keeping its
    nice level: a stopping worker finishes its job in hand and exits at nice 10 instead of waiting for idle
    CPU, which a machine under load may not have for longer than the pool's stop timeout. Linux keeps the
    class per thread, hence the walk over /proc/<pid>/task. Returns how many threads moved; a thread that
    ended meanwhile is skipped, and a refusal (an unprivileged process whose RLIMIT_NICE forbids it) is
    logged once and ends the walk."""
    if not hasattr(os, "SCHED_IDLE"):
        return 0
    try:
        tids = [int(name) for name in os.listdir(f"/proc/{pid or os.getpid()}/task")]
    except OSError:  # the process is gone, or no /proc here
        return 0
    moved = 0
    for tid in tids:
        try:
            if os.sched_getscheduler(tid) != os.SCHED_IDLE:
                continue
            os.sched_setscheduler(tid, os.SCHED_OTHER, os.sched_param(0))
        except ProcessLookupError:
            continue
        except PermissionError as exc:
            log.warning("could not move worker pid %d out of SCHED_IDLE to stop (%s): it drains in idle CPU time",
                        pid or os.getpid(), exc.strerror)
            break
        moved += 1
    return moved
