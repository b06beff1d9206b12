"""``python -m bench.whatif PATCH[,PATCH] -- <python -m bot arguments>``: the bot with a proposed fix applied
in memory, to measure a fix before its owner makes it. Nothing on disk changes. Used by
``python -m bench --whatif PATCH`` and reported apart from the figures of the code as it is.

Patches:
- ``sqlite-write-sessions``: every ``Database.session()`` on SQLite begins with BEGIN IMMEDIATE
  (``session(write=True)``), the remedy storage/db.py offers for read-then-write units of work; the
  onboarding flow's sessions (checklist ``remember_dm``, ``claim_submission``, ``_save``) use the
  default deferred BEGIN, whose read-to-write upgrade fails at once with "database is locked" when
  another connection wrote meanwhile (WAL's SQLITE_BUSY_SNAPSHOT: busy_timeout does not apply).
- ``switch-interval-1ms`` (any N ms): ``sys.setswitchinterval(N / 1000)`` in the bot process.
- ``bounded-work-N``: at most N threads at a time run the work after an ack (the checklist DM of
  a command, the verification and save of a submission); the others wait without holding the GIL,
  so acks compete with N threads instead of 50. (Bounds Amazon waits too: with a slow Amazon the
  results queue up; a real fix would bound CPU work only, e.g. a small worker pool.)
- ``listener-pool``: Bolt's ``process_before_response=False`` over HTTP as well (the bot's choice until
  December 7): each listener runs in Bolt's listener pool and the HTTP thread polls for its ack every 10 ms.
- ``after-ack-quiet-N`` (N ms): the web tier's held work starts after N ms without a request waiting
  (``bot.after_ack``, 5 ms as it is).
- ``amazon-timeout-15``: the Amazon client's per-request timeout is 15 s instead of 10 s, so a
  10-second answer is not cut off at the very moment it arrives.
"""

from __future__ import annotations

import sys
from typing import Any


def apply(patches: list[str]) -> None:
    for patch in patches:
        if patch == "sqlite-write-sessions":
            from storage.db import Database

            def session(self: Database, *, write: bool = False, _original: Any = Database.session) -> Any:
                return _original(self, write=True)

            Database.session = session  # type: ignore[method-assign]
        elif patch == "amazon-timeout-15":
            import bot.services
            from bot.amazon.client import AmazonClient

            class SlowerTimeout(AmazonClient):
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    kwargs.setdefault("timeout", 15.0)
                    super().__init__(*args, **kwargs)

            bot.services.AmazonClient = SlowerTimeout  # type: ignore[misc]
        elif patch == "listener-pool":
            from slack_bolt import App

            import bot.app

            class ListenerPool(App):
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    kwargs["process_before_response"] = False
                    super().__init__(*args, **kwargs)

            bot.app.App = ListenerPool  # type: ignore[misc]
        elif patch.startswith("switch-interval-"):
            # CPython hands the GIL over every 5 ms by default; a shorter interval lets a short ack
            # get in sooner between the slices of post-ack work running in other threads.
            sys.setswitchinterval(float(patch.rsplit("-", 1)[1].removesuffix("ms")) / 1000)
        elif patch.startswith("after-ack-quiet-"):
            # The web tier's held work (bot/after_ack.py) waits for N ms without a request waiting.
            from bot.after_ack import AfterAck

            quiet = float(patch.rsplit("-", 1)[1].removesuffix("ms")) / 1000
            original_init = AfterAck.__init__

            def init(self: AfterAck, *args: Any, _init: Any = original_init, _quiet: float = quiet,
                     **kwargs: Any) -> None:
                _init(self, *args, **kwargs)
                self.quiet = _quiet

            AfterAck.__init__ = init  # type: ignore[method-assign]
        elif patch.startswith("bounded-work-"):
            _bounded_work(int(patch.rsplit("-", 1)[1]))
        elif patch:
            raise SystemExit(f"unknown patch {patch!r}")


def _bounded_work(n: int) -> None:
    import functools
    import threading

    import bot.flows.onboarding as flow
    import bot.listeners.onboarding as listeners

    gate = threading.BoundedSemaphore(n)

    def bounded(fn: Any) -> Any:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with gate:
                return fn(*args, **kwargs)

        return wrapper

    flow.verify_and_save = bounded(flow.verify_and_save)
    listeners.send_checklist = bounded(listeners.send_checklist)


def main() -> int:
    argv = sys.argv[1:]
    patches = argv[0].split(",") if argv else []
    rest = argv[2:] if len(argv) > 1 and argv[1] == "--" else argv[1:]
    apply(patches)
    from bot.__main__ import main as bot_main

    return bot_main(rest)


if __name__ == "__main__":
    sys.exit(main())
