"""Logging set-up: one redacting filter on every handler, Slack libraries kept quiet."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

from bot.redaction import redact

# alembic logs seven INFO lines on every start (plugins set-up, "Context impl", each upgrade step).
# boto3/botocore at DEBUG print whole SQS message bodies (a rotation notification carries a new client secret):
# the AWS libraries stay at WARNING whatever LOG_LEVEL says.
QUIET_LOGGERS = ("slack_bolt", "slack_sdk", "httpx", "httpcore", "urllib3", "waitress", "websockets", "alembic")
AWS_LOGGERS = ("boto3", "botocore", "s3transfer", "urllib3")
# waitress warns "Task queue depth is N" for every request that arrives while its threads are all busy: dozens
# of lines per burst of Slack requests, each written from the server's one loop thread, the thread that reads
# every request and sends every answer. One line per QUEUE_DIGEST_SECONDS says the same.
QUEUE_LOGGER = "waitress.queue"
QUEUE_DIGEST_SECONDS = 60.0


class RedactingFilter(logging.Filter):
    """Masks anything shaped like an Amazon or Slack secret in every record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not leak its arguments either
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class Digest(logging.Filter):
    """Lets one record through per ``every`` seconds; the next one that passes says how many were held back."""

    def __init__(self, every: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.every = every
        self.clock = clock
        self._lock = threading.Lock()
        self._next = float("-inf")
        self._held = 0

    def filter(self, record: logging.LogRecord) -> bool:
        with self._lock:
            now = self.clock()
            if now < self._next:
                self._held += 1
                return False
            held, self._held, self._next = self._held, 0, now + self.every
        if held:
            record.msg = f"{record.getMessage()} ({held} more such lines in the last {self.every:g} s not logged)"
            record.args = None
        return True


_factory_installed = False


def install_redacting_record_factory() -> None:
    """Redact every record when it is created, whichever handler (or test capture) receives it."""
    global _factory_installed
    if _factory_installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        # Tracebacks too, so that any handler (a test's capture, a third-party handler) that uses the
        # standard Formatter prints the redacted text: Formatter.format keeps an exc_text already set.
        if record.exc_info and record.exc_info[0] is not None:
            try:
                record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            except Exception:
                record.exc_text = "(traceback could not be formatted)"
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _factory_installed = True


def setup_logging(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Configure the root logger once; returns the handler (tests attach to it)."""
    install_redacting_record_factory()
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_bot_handler", False):
            root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler._bot_handler = True  # type: ignore[attr-defined]  # our marker, read back with getattr above
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric)
    quiet = max(numeric, logging.WARNING)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    for name in AWS_LOGGERS:
        logging.getLogger(name).setLevel(quiet)
    queue = logging.getLogger(QUEUE_LOGGER)
    for old_filter in [f for f in queue.filters if isinstance(f, Digest)]:
        queue.removeFilter(old_filter)
    queue.addFilter(Digest(QUEUE_DIGEST_SECONDS))
    return handler
