"""What people type, as the domain accepts it: text without control characters."""

from __future__ import annotations

import unicodedata

# Only the long free texts (a work summary, a reason) keep their line breaks and tabs.
LINE_BREAKS = frozenset("\n\t")


def control_character(value: str, multiline: bool = False) -> str | None:
    """The first control character in ``value`` (C0, C1, ESC, DEL) as U+XXXX, or None."""
    for c in value:
        if unicodedata.category(c) == "Cc" and not (multiline and c in LINE_BREAKS):
            return f"U+{ord(c):04X}"
    return None
