"""What a long-running process (``run``, ``worker``) builds before it takes work, so the first requests
after a start do not pay for it under load.

- The confusables table behind a connection name's look-alike key (``storage.names.prototypes``), read
  from its file. It used to be built from the package's data on the first submission (0.2 s of CPU, and
  18 MB the process kept), once per thread when a burst of first submissions came at once (seen in
  ``./dev bench`` with yappi: ten threads, 2 s of CPU in the warm-up round).
- ``gc.freeze()``: what start-up created (modules, the ORM's and Bolt's tables, the catalogs) moves out of
  the cyclic garbage collector's sight, so the collections the requests trigger walk only what the requests
  made (a full collection of a started web process walked some 126,000 objects, about 40 ms).
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger(__name__)


def warm_up() -> None:
    from storage.names import prototypes

    prototypes()
    gc.collect()
    gc.freeze()
    log.debug("warmed up: %d objects frozen", gc.get_freeze_count())
