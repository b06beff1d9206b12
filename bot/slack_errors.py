"""The one reading of a Slack Web API failure: the error code Slack answered, else the exception's class."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError


def slack_error(exc: BaseException) -> str:
    """The error code Slack answered (``channel_not_found``), else the exception's class name
    (``SlackRequestError``, ``TimeoutError``): never the exception's text, which may quote a request."""
    if isinstance(exc, SlackApiError):
        try:
            error = exc.response.get("error") if exc.response is not None else None
        except Exception:  # noqa: BLE001 - an answer that is not JSON has no code
            error = None
        return error if isinstance(error, str) and error else "unknown_error"
    return type(exc).__name__
