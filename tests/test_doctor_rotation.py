"""`python -m bot doctor` with automatic rotation set up: the rotation queue is checked with SQS
GetQueueAttributes against a real local SQS (moto's server), a missing queue fails with the fix."""

from __future__ import annotations

from pathlib import Path

from storage.crypto import format_keys, generate_key
from tests.catalog import says
from tests.db_fixtures import sqlite_url
from tests.fakes.moto_sqs import MotoSQS
from tests.test_doctor import doctor, fakes, said  # noqa: F401 - fakes is a fixture
from tests.test_startup_checks import seal


def test_a_reachable_queue_passes_and_a_missing_one_fails_with_the_fix(fakes, tmp_path: Path) -> None:  # noqa: F811
    url = sqlite_url(tmp_path)
    key = generate_key("kidA")
    seal(url, "kidA", key=key).dispose()
    with MotoSQS() as sqs:
        queue = sqs.create_queue()
        sqs.send(queue, "{}")
        code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([key]), ROTATION_QUEUE_URL=queue,
                             **sqs.env)
        assert code == 0, lines
        assert said(lines, "general.doctor.rotation_queue_ok", url=queue, waiting="1").startswith("✓ ")
        assert sqs.messages_left(queue) == 1  # the doctor received nothing
        gone = queue.rsplit("/", 1)[0] + "/no-such-queue"
        code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([key]), ROTATION_QUEUE_URL=gone,
                             **sqs.env)
        assert code == 1
        failed = said(lines, "general.doctor.rotation_queue_down", url=gone)
        assert failed.startswith("✗ ") and says(failed, "general.doctor.rotation_queue_hint")


def test_without_a_rotation_queue_there_is_no_queue_line(fakes, tmp_path: Path) -> None:  # noqa: F811
    url = sqlite_url(tmp_path)
    key = generate_key("kidA")
    seal(url, "kidA", key=key).dispose()
    code, lines = doctor(fakes, tmp_path, url, ENCRYPTION_KEYS=format_keys([key]))
    assert code == 0, lines
    assert not [x for x in lines if says(x, "general.doctor.rotation_queue_ok")
                or says(x, "general.doctor.rotation_queue_down")]
