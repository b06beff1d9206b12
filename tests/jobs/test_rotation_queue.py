"""The rotation-queue consumer itself: in a real ``python -m bot worker`` process (it starts with
ROTATION_QUEUE_URL, handles a notice, stops cleanly on SIGTERM), never crashed by an unreachable SQS, and the
AWS libraries' loggers kept at WARNING whatever LOG_LEVEL says."""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.jobs.rotation_queue import RotationQueueConsumer, sqs_client
from bot.logs import setup_logging
from tests.fakes.moto_sqs import MotoSQS
from tests.harness import BotHarness, wait_until


def test_worker_process_consumes_the_queue_and_stops_on_sigterm(tmp_path: Path) -> None:
    with MotoSQS() as sqs:
        sqs.apply_env()
        queue = sqs.create_queue()
        with BotHarness(tmp_path, workers=0) as h:  # no ROTATION_QUEUE_URL here: only the process consumes
            today = datetime.now(UTC).date()
            cid, creds = h.seed("Main US", created_on=today - timedelta(days=100))
            h.amazon.enroll_rotation(creds.client_id, queue, sqs.url)
            env = h.subprocess_env(ROTATION_QUEUE_URL=queue, **sqs.env)
            worker = subprocess.Popen([sys.executable, "-m", "bot", "worker"], env=env, cwd=tmp_path,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            try:
                expiry = datetime.now(UTC) + timedelta(days=40)
                h.amazon.send_secret_expiry(creds.client_id, expiry)
                wait_until(lambda: h.connection(cid).secret_expires_on == expiry.date() or None, 60,
                           "the worker process never applied the expiry notice")
                wait_until(lambda: sqs.messages_left(queue) == 0 or None, 30, "the message was not deleted")
                started = time.monotonic()
                worker.send_signal(signal.SIGTERM)
                out, _ = worker.communicate(timeout=40)
            finally:
                if worker.poll() is None:
                    worker.kill()
                    worker.communicate()
            assert worker.returncode == 0, out
            assert time.monotonic() - started < 35
            assert "rotation queue consumer started" in out and "rotation queue consumer stopped" in out
            assert creds.client_secret not in out and creds.refresh_token not in out


def test_an_unreachable_queue_is_logged_and_polled_again_never_a_crash(tmp_path: Path, monkeypatch) -> None:
    with MotoSQS() as sqs:
        sqs.apply_env()
        monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9")  # nothing listens there
        with BotHarness(tmp_path, workers=0) as h:
            consumer = RotationQueueConsumer(h.services, h.outbox, "http://127.0.0.1:9/000000000000/q",
                                             wait_seconds=0, error_pause=0.05).start()
            try:
                wait_until(lambda: sum("polling failed" in r for r in h.records.lines) >= 2 or None, 30,
                           "no retry after the failure")
                assert consumer._thread is not None and consumer._thread.is_alive()
            finally:
                consumer.stop(join=10)
            assert consumer._thread is not None and not consumer._thread.is_alive()


def test_region_comes_from_the_queue_url_when_none_is_configured(monkeypatch) -> None:
    for name in ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    client = sqs_client("https://sqs.eu-west-1.amazonaws.com/123456789012/rotation")
    try:
        assert client.meta.region_name == "eu-west-1"
    finally:
        client.close()


def test_aws_loggers_stay_at_warning_under_debug() -> None:
    root_level = logging.getLogger().level
    handler = setup_logging("DEBUG")
    try:
        for name in ("boto3", "botocore", "urllib3"):
            assert logging.getLogger(name).getEffectiveLevel() == logging.WARNING
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(root_level)  # later tests' Bolt apps copy the root level (slack_bolt.logger)
