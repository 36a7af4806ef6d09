"""What people type, as the domain accepts it: text without control characters."""

from __future__ import annotations

import unicodedata

# Only the long free texts (a work summary, a reason) keep their line breaks and tabs.
LINE_BREAKS = frozenset("\n\t")


# Control characters (C0, C1, ESC, DEL) and invisible format characters: the bidi
# overrides (U+202E turns "gpj.exe" into "exe.jpg"), zero-width spaces and joiners that
# make two names look alike, and unpaired surrogates no database stores.
# What an operator types (a reason, an opinion) is text for the record and for messages:
# it stays a readable length, on every door and in every use case.
TYPED_TEXT_LIMIT = 2000

HIDDEN = frozenset({"Cc", "Cf", "Cs"})


def control_character(value: str, multiline: bool = False) -> str | None:
    """The first control or invisible format character in ``value`` as U+XXXX, or None."""
    for c in value:
        if unicodedata.category(c) in HIDDEN and not (multiline and c in LINE_BREAKS):
            return f"U+{ord(c):04X}"
    return None
