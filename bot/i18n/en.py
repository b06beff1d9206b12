"""English messages. Keys are grouped by feature; each section is owned by that feature's code."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    # --- general -----------------------------------------------------------------------------
    "general.unexpected_error": (
        "Something went wrong on our side and nothing was changed. Please try again in a minute; "
        "if it keeps happening, tell your Slack admin."
    ),
}
