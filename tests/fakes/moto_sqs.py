"""A real local SQS for tests: moto's server (``moto[server]``) on 127.0.0.1, a free port, stopped after.

boto3 (in the tests, the fake Amazon and the bot) reaches it through ``AWS_ENDPOINT_URL_SQS`` (boto3's own
variable) with dummy credentials; ``env`` is that environment, ``apply_env()`` sets it in this process.
"""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

REGION = "us-east-1"
DUMMY_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class MotoSQS:
    def __init__(self) -> None:
        self.port = 0
        self._server: Any = None
        self._saved: dict[str, str | None] = {}

    def start(self) -> MotoSQS:
        from moto.server import ThreadedMotoServer

        self.port = _free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.restore_env()

    def __enter__(self) -> MotoSQS:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {**DUMMY_ENV, "AWS_ENDPOINT_URL_SQS": self.url}

    def apply_env(self) -> None:
        """boto3 reads its endpoint, region and credentials from the environment: set them for this process."""
        for k, v in self.env.items():
            self._saved.setdefault(k, os.environ.get(k))
            os.environ[k] = v

    def restore_env(self) -> None:
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        self._saved = {}

    def client(self) -> Any:
        import boto3

        return boto3.client("sqs", endpoint_url=self.url, region_name=REGION, aws_access_key_id="testing",
                            aws_secret_access_key="testing")

    def create_queue(self, name: str | None = None, visibility_timeout: int = 30) -> str:
        sqs = self.client()
        try:
            return str(sqs.create_queue(QueueName=name or f"rotation-{uuid.uuid4().hex[:12]}",
                                        Attributes={"VisibilityTimeout": str(visibility_timeout)})["QueueUrl"])
        finally:
            sqs.close()

    def messages_left(self, queue_url: str) -> int:
        """Visible plus in-flight messages on the queue."""
        sqs = self.client()
        try:
            attrs = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            return int(attrs["ApproximateNumberOfMessages"]) + int(attrs["ApproximateNumberOfMessagesNotVisible"])
        finally:
            sqs.close()

    def send(self, queue_url: str, body: str) -> None:
        sqs = self.client()
        try:
            sqs.send_message(QueueUrl=queue_url, MessageBody=body)
        finally:
            sqs.close()
