"""What automatic rotation tells the team channel, as typed facts (rendered by ``bot.views.autorotate``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from bot.flows.lifecycle_notices import AboutConnection
from bot.i18n import Message


@dataclass(frozen=True, kw_only=True)
class AutoRotated(AboutConnection):
    """Amazon rotated the client secret; the bot verified the new one and stored it (``expires_on`` is the new
    secret's expiry). The old secret keeps working until ``old_works_until``."""

    KIND: ClassVar[str] = "auto_rotated"
    old_works_until: datetime


@dataclass(frozen=True, kw_only=True)
class AutoRotationUnverified(AboutConnection):
    """Amazon sent a new client secret that did not verify with this connection: nothing was stored."""

    KIND: ClassVar[str] = "auto_rotation_unverified"
    cause: Message
    next_step: Message
    old_works_until: datetime


@dataclass(frozen=True, kw_only=True)
class RotationRequestFailed(AboutConnection):
    """The bot asked Amazon to rotate the client secret and it could not be done: ``cause`` says why."""

    KIND: ClassVar[str] = "rotation_request_failed"
    cause: Message
