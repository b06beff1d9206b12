"""When two connection names are "the same name": :func:`name_key`.

Two names are the same when their keys are equal. The key is stored beside the name
(``connections.name_key``, unique per workspace), so the database refuses a look-alike even when two
people submit at the same moment. The key is built from:

1. NFKC (full-width ``Ｍａｉｎ`` is ``Main``, ligatures and compatibility forms fold);
2. removal of invisible characters: Unicode's Default_Ignorable_Code_Point set (zero-width spaces and
   joiners, bidi controls, the Hangul fillers U+115F/U+1160/U+3164/U+FFA0, variation selectors, tags, …)
   and every other format character (general category Cf);
3. case folding (``main`` is ``Main``), then NFKC again, and runs of white space as one space;
4. the Unicode TS #39 confusable skeleton (Cyrillic ``Mаin`` is ``Main``), from Unicode's
   confusables data as the ``confusable-homoglyphs`` package ships it, then case folding once more
   (prototypes such as ``O`` for the digit zero are upper case).

The key is only ever compared, never shown: people see the name as it was typed.
"""

from __future__ import annotations

import json
import threading
import unicodedata
from pathlib import Path

# Default_Ignorable_Code_Point, from Unicode's DerivedCoreProperties.txt (15.0.0), as (first, last).
_DEFAULT_IGNORABLE = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
    (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)
# The confusables generator of confusable-homoglyphs copies the characters from the comments of
# confusables.txt, where right-to-left ones are wrapped in LEFT-TO-RIGHT MARKs for display.
_DISPLAY_MARK = "\u200e"


def is_invisible(ch: str) -> bool:
    """True for a default-ignorable code point or any other format (Cf) character."""
    cp = ord(ch)
    if any(first <= cp <= last for first, last in _DEFAULT_IGNORABLE):
        return True
    return unicodedata.category(ch) == "Cf"


def _visible(text: str) -> str:
    if text.isascii():  # no ASCII character is invisible (a test checks all 128): most names are ASCII
        return text
    return "".join(ch for ch in text if not is_invisible(ch))


PROTOTYPES_FILE = Path(__file__).resolve().parent / "confusables_prototypes.json"
_prototypes: dict[str, str] | None = None
_prototypes_lock = threading.Lock()


def prototypes() -> dict[str, str]:
    """The confusables table, read once per process from ``confusables_prototypes.json`` (threads that ask
    while it is being read wait for that read). The file is :func:`build_prototypes` written out
    (``python -m storage.names``; a test checks it still equals what the installed package gives): building
    it from the package's data took 0.2 s of CPU and left a process 18 MB larger for good."""
    global _prototypes
    table = _prototypes
    if table is None:
        with _prototypes_lock:
            if _prototypes is None:
                _prototypes = _read_prototypes()
            table = _prototypes
    return table


def _read_prototypes() -> dict[str, str]:
    data = json.loads(PROTOTYPES_FILE.read_text(encoding="ascii"))
    return {str(source): str(target) for source, target in data.items()}


def write_prototypes() -> int:
    """Write :func:`build_prototypes` to ``PROTOTYPES_FILE`` (after an upgrade of confusable-homoglyphs);
    returns how many characters it maps."""
    table = build_prototypes()
    PROTOTYPES_FILE.write_text(json.dumps(table, sort_keys=True, ensure_ascii=True, indent=0) + "\n", encoding="ascii")
    return len(table)


def build_prototypes() -> dict[str, str]:
    """Each confusable character -> its TS #39 prototype (a character or a short sequence).

    confusable-homoglyphs stores each line ``source → prototype`` of confusables.txt in both
    directions. A source character has exactly one prototype and is never itself a prototype, so a
    character linked to exactly one other is a source when that other is a sequence or is linked to
    several characters (a prototype with several sources). When two characters are linked only to
    each other, the data does not say which is the prototype; both then map to the smaller one, which
    gives the same equalities as the skeleton.
    """
    from confusable_homoglyphs import confusables

    links: dict[str, set[str]] = {}
    for key, entries in confusables.confusables_data.items():
        source = key.replace(_DISPLAY_MARK, "")
        for entry in entries:
            target = str(entry.get("c", "")).replace(_DISPLAY_MARK, "")
            if source and target and source != target:
                links.setdefault(source, set()).add(target)
    mapping: dict[str, str] = {}
    for source, targets in links.items():
        if len(source) != 1 or len(targets) != 1:
            continue  # a sequence, or a prototype with several sources
        (target,) = targets
        if len(target) != 1 or len(links.get(target, ())) > 1:
            mapping[source] = target
        elif target < source:
            mapping[source] = target
    return mapping


def skeleton(text: str) -> str:
    """TS #39 ``skeleton``: NFD, each character replaced by its prototype, NFD again."""
    table = prototypes()
    decomposed = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFD", "".join(table.get(ch, ch) for ch in decomposed))


def name_key(name: str) -> str:
    """The comparison key of a connection name: equal keys are the same name (see the module doc)."""
    text = _visible(unicodedata.normalize("NFKC", name or ""))
    text = _visible(unicodedata.normalize("NFKC", text.casefold()))
    text = " ".join(text.split())
    text = skeleton(text).casefold()
    return " ".join(_visible(text).split())


if __name__ == "__main__":
    print(f"wrote {write_prototypes()} prototypes to {PROTOTYPES_FILE}")
