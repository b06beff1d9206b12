"""The doctor's check of the rotation queue (ROTATION_QUEUE_URL): SQS ``GetQueueAttributes`` with boto3's
standard credentials chain. Nothing is received or changed. No check when the queue is not configured."""

from __future__ import annotations

from bot.i18n import t
from bot.redaction import redact
from bot.settings import Settings

QUEUE_TIMEOUT = 10


def check_rotation_queue(settings: Settings) -> list[tuple[bool, str]]:
    """[(ok, sentence)]: empty when automatic rotation is off."""
    url = settings.rotation_queue_url
    if not url:
        return []
    try:
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        from bot.jobs.rotation_queue import sqs_client

        client = sqs_client(url, config=Config(connect_timeout=QUEUE_TIMEOUT, read_timeout=QUEUE_TIMEOUT,
                                               retries={"max_attempts": 1}))
    except Exception as exc:  # noqa: BLE001 - boto3 missing or misconfigured: say so
        return [(False, t("general.doctor.rotation_queue_down", url=url, reason=type(exc).__name__,
                          hint=t("general.doctor.rotation_queue_hint")))]
    try:
        attributes = client.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        waiting = attributes.get("Attributes", {}).get("ApproximateNumberOfMessages", "?")
        return [(True, t("general.doctor.rotation_queue_ok", url=url, waiting=waiting))]
    except NoCredentialsError:
        return [(False, t("general.doctor.rotation_queue_down", url=url, reason="no AWS credentials",
                          hint=t("general.doctor.rotation_queue_credentials")))]
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", "error"))[:80]
        return [(False, t("general.doctor.rotation_queue_down", url=url, reason=redact(code),
                          hint=t("general.doctor.rotation_queue_hint")))]
    except (BotoCoreError, OSError) as exc:
        return [(False, t("general.doctor.rotation_queue_down", url=url, reason=type(exc).__name__,
                          hint=t("general.doctor.rotation_queue_hint")))]
    finally:
        client.close()
