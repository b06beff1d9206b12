"""The rotation queue: Amazon's rotation notifications read from SQS, and the rotation request as a job.

``RotationQueueConsumer`` runs in the worker process (``bot.jobs.worker.run_worker`` starts it when
ROTATION_QUEUE_URL is set) on its own thread: SQS long polling (``WaitTimeSeconds``); each message is handled
by ``bot.flows.autorotate.handle_message`` and deleted only after its effect is committed (a message whose
effect could not be reached, e.g. Amazon was down while the new secret was verified, stays and comes back
after the queue's visibility timeout). Malformed messages and unknown client ids are removed with a log line
naming neither the body nor a secret. Nothing makes the consumer stop but ``stop()``: an SQS or database
error is logged (its type only) and polling resumes after a pause.

``rotate_client_secret`` (job kind ``rotate_client_secret``) asks Amazon's Application Management API to
rotate an app's secret with a connection's stored secret. A 429 (about one call a minute is allowed) queues
the same request again after the limit; an outage is retried with backoff; a refusal alerts the channel.

AWS credentials and region come from boto3's standard chain; ``AWS_ENDPOINT_URL_SQS`` (boto3's own variable)
points it at a local SQS. botocore's loggers print message bodies at DEBUG: ``bot.logs`` keeps them at WARNING.
"""

from __future__ import annotations

import logging
import re
import threading
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from bot.flows import autorotate as flow
from bot.flows.ports import Outbox
from bot.jobs import JobKind
from bot.services import Services

if TYPE_CHECKING:
    from storage.models import Connection

log = logging.getLogger(__name__)

ANNOUNCE_MAX_ATTEMPTS = 8  # Slack down for a while: the post waits (backoff up to 5 min) rather than vanish
WAIT_SECONDS = 20  # SQS long polling: the longest wait ReceiveMessage allows
ERROR_PAUSE = 5.0
_REGION_IN_URL = re.compile(r"^https?://sqs[.-]([a-z0-9-]+)\.amazonaws\.com", re.IGNORECASE)


def sqs_client(queue_url: str, config: Any = None) -> Any:
    """boto3's SQS client from its standard chain; the region, when none is configured, from the queue URL."""
    import boto3

    session = boto3.session.Session()
    region = session.region_name
    if not region:
        m = _REGION_IN_URL.match(queue_url)
        region = m.group(1) if m else "us-east-1"
    return session.client("sqs", region_name=region, config=config)


class RotationQueueConsumer:
    def __init__(self, services: Services, outbox: Outbox, queue_url: str, *, wait_seconds: int = WAIT_SECONDS,
                 error_pause: float = ERROR_PAUSE) -> None:
        self.services = services
        self.outbox = outbox
        self.queue_url = queue_url
        self.wait_seconds = max(0, min(WAIT_SECONDS, wait_seconds))
        self.error_pause = error_pause
        self.stopping = threading.Event()
        self.handled: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._sqs: Any = None

    def start(self) -> RotationQueueConsumer:
        self._thread = threading.Thread(target=self.run, name="rotation-queue", daemon=True)
        self._thread.start()
        return self

    def stop(self, join: float | None = None) -> None:
        self.stopping.set()
        if join is not None and self._thread is not None:
            self._thread.join(timeout=join)

    def run(self) -> None:
        log.info("rotation queue consumer started")
        try:
            while not self.stopping.is_set():
                try:
                    self.poll_once()
                except Exception as exc:  # noqa: BLE001 - SQS or the database failed: pause, poll again
                    log.warning("rotation queue: polling failed (%s); retrying in %.0fs", type(exc).__name__,
                                self.error_pause)
                    self._sqs = None
                    self.stopping.wait(self.error_pause)
        finally:
            if self._sqs is not None:
                self._sqs.close()
            log.info("rotation queue consumer stopped")

    def poll_once(self) -> int:
        """One long poll; returns how many messages were received."""
        if self._sqs is None:
            self._sqs = sqs_client(self.queue_url)
        answer = self._sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                           WaitTimeSeconds=self.wait_seconds)
        messages = answer.get("Messages") or []
        for message in messages:
            if self.stopping.is_set():
                break  # not handled: it comes back after the visibility timeout
            self._one(message)
        return len(messages)

    def _one(self, message: dict[str, Any]) -> None:
        receipt = message.get("ReceiptHandle")
        body = message.get("Body")
        try:
            handled = flow.handle_message(self.services, body if isinstance(body, str) else "",
                                          self.services.clock(), request_rotation, announce)
        except Exception as exc:  # noqa: BLE001 - the message stays and comes back; the consumer goes on
            log.warning("rotation queue: handling message %s failed (%s); it comes back later",
                        message.get("MessageId"), type(exc).__name__)
            return
        self.handled[handled.disposition.value] = self.handled.get(handled.disposition.value, 0) + 1
        if handled.delete and isinstance(receipt, str):
            self._sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)


def announce(session: Session, announcement: flow.Announcement, now: datetime) -> None:
    """Queue the team channel's post about one connection's new secret in ``session`` (the caller commits
    with the effect); once per notification and connection."""
    from storage import repo

    repo.enqueue(session, JobKind.ANNOUNCE_AUTOROTATION, announcement.to_payload(), now=now,
                 dedupe_key=f"autorotated:{announcement.notification_id[:80]}:{announcement.connection_id}",
                 max_attempts=ANNOUNCE_MAX_ATTEMPTS)


def request_rotation(session: Session, connection: Connection, reason: str, now: datetime,
                     user_id: str | None = None) -> bool:
    """Queue the rotation request for ``connection``'s client id in ``session`` (the caller commits); once per
    ``reason`` (Amazon's expiry time, or the minute of a "Rotate now via Amazon" click). False when queued."""
    from bot.jobs.autorotate import ROTATION_MAX_ATTEMPTS
    from storage import repo

    assert connection.id is not None
    payload: dict[str, Any] = {"connection_id": connection.id, "client_id": connection.client_id,
                               "team_id": connection.team_id, "reason": reason[:60]}
    if user_id:
        payload["user_id"] = user_id
    return repo.enqueue(session, JobKind.ROTATE_CLIENT_SECRET, payload, now=now,
                        dedupe_key=f"rotate:{connection.client_id}:{reason[:60]}",
                        max_attempts=ROTATION_MAX_ATTEMPTS)[1]
