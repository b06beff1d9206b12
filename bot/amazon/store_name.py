"""The store name Amazon returns (``storeName`` of getMarketplaceParticipations), made safe to keep and show.

Amazon lets a seller choose the store's display name, so it is as hostile as anything typed: it is
shown in the team channel, in DMs, in status and the App Home. Before it is stored it is cut to a
sane length and loses control characters, invisible format characters and bidirectional
overrides (which can make a name read differently from what it is). Escaping for Slack happens
later, in one place (``bot.views.blocks``).
"""

from __future__ import annotations

import unicodedata

MAX_STORE_NAME = 100  # characters, the ellipsis included
ELLIPSIS = "\u2026"
MAX_SCANNED = 100_000  # characters of input looked at, at most
# Bidirectional embeddings/overrides/isolates and marks (all category Cf, listed for the reader):
# U+202A-U+202E (LRE, RLE, PDF, LRO, RLO), U+2066-U+2069 (LRI, RLI, FSI, PDI), U+200E/U+200F (LRM, RLM),
# U+061C (ALM).
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)] + [chr(c) for c in range(0x2066, 0x206A)] + ["\u200e", "\u200f", "\u061c"]
)
_DROPPED_CATEGORIES = {"Cc", "Cf", "Cs"}  # controls, invisible format characters, lone surrogates
_SPACE_CATEGORIES = {"Zs", "Zl", "Zp"}  # any space or line/paragraph separator becomes one ordinary space


def clean_store_name(value: object, limit: int = MAX_STORE_NAME) -> str | None:
    """``value`` as a one-line display name of at most ``limit`` characters, or None if nothing is left.

    Tabs, line breaks and other spaces become single spaces; other control, format (zero-width,
    bidi) and surrogate characters are removed; a longer name is cut and ends with an ellipsis.
    """
    if not isinstance(value, str):
        return None
    kept: list[str] = []
    for ch in value[:MAX_SCANNED]:
        category = unicodedata.category(ch)
        if ch.isspace() or category in _SPACE_CATEGORIES:
            if kept and kept[-1] != " ":
                kept.append(" ")
        elif ch not in BIDI_CONTROLS and category not in _DROPPED_CATEGORIES:
            kept.append(ch)
            if len(kept) > limit:
                break  # enough to know it is cut
    name = "".join(kept).strip()
    if not name:
        return None
    if len(name) > limit:
        name = name[: limit - 1].rstrip() + ELLIPSIS
    return name
