"""Block Kit for automatic rotation: the channel posts after Amazon rotated a secret (or sent one that did not
verify, or a rotation request failed), and the "Rotate now via Amazon" button. Pure functions of typed facts
and the reader's ``Words``."""

from __future__ import annotations

from bot.flows.autorotate_notices import AutoRotated, AutoRotationUnverified, RotationRequestFailed
from bot.flows.lifecycle_notices import AboutConnection
from bot.views.blocks import Block, Words, button, section
from bot.views.notices import Blocks, speaks

ROTATE_VIA_AMAZON_ACTION = "rotate_via_amazon"


def via_amazon_button(connection_id: int, words: Words) -> Block:
    return button(words.text("lifecycle.autorotate.button.now"), ROTATE_VIA_AMAZON_ACTION, str(connection_id))


def _said(c: AboutConnection) -> dict[str, object]:
    return {"name": c.name, "marketplace": c.marketplace, "region": c.region, "expires_on": c.expires_on}


@speaks(AutoRotated)
def auto_rotated(p: AutoRotated, words: Words) -> tuple[str, Blocks]:
    facts = {**_said(p), "old_until": p.old_works_until}
    return words.md("lifecycle.autorotate.rotated.text", **facts), [
        section(words.md("lifecycle.autorotate.rotated", **facts))]


@speaks(AutoRotationUnverified)
def auto_rotation_unverified(p: AutoRotationUnverified, words: Words) -> tuple[str, Blocks]:
    facts = {**_said(p), "old_until": p.old_works_until}
    return words.md("lifecycle.autorotate.unverified.text", **facts), [
        section(words.md("lifecycle.autorotate.unverified", **facts, cause=p.cause)),
        section(words.render(p.next_step)),
    ]


@speaks(RotationRequestFailed)
def rotation_request_failed(p: RotationRequestFailed, words: Words) -> tuple[str, Blocks]:
    facts = _said(p)
    return words.md("lifecycle.autorotate.request_failed.text", **facts), [
        section(words.md("lifecycle.autorotate.request_failed", **facts, cause=p.cause))]
