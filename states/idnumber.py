"""Resident ID numbers (GB 11643-1999): checksum, birth date, masking."""

from __future__ import annotations

import re
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARACTERS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
# What a masked number keeps: the region (6) and the last four; the rest is stars.
MASK_HEAD, MASK_TAIL = 6, 4


def normalise(raw: str) -> str:
    return raw.strip().upper()


def problems(raw: str) -> list[str]:
    """Every reason ``raw`` is not a valid ID number (empty when it is valid)."""
    number = normalise(raw)
    if not _SHAPE.match(number):
        return ["必须是 18 位：17 位数字加 1 位数字或 X"]
    found = []
    try:
        date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        found.append(f"出生日期 {number[6:14]} 不是真实日期")
    if number[17] != check_character(number[:17]):
        found.append(f"校验位应为 {check_character(number[:17])}，实为 {number[17]}")
    return found


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARACTERS[total % 11]


def mask(number: str) -> str:
    """Keep the region and the last four characters: 652822********0018."""
    number = normalise(number)
    hidden = len(number) - MASK_HEAD - MASK_TAIL
    return number[:MASK_HEAD] + "*" * hidden + number[-MASK_TAIL:] if hidden > 0 else "****"


# A full 18-character ID number inside any text: 17 digits and a check character, in
# ASCII or full-width, not part of a longer number and not already masked.
IN_TEXT = re.compile(r"(?<![\d*])\d{17}[\dXxＸｘ](?![\d*])")


def mask_in_text(text: str) -> str:
    """``text`` with every full ID number in it masked: for logs, errors and status lines."""
    return IN_TEXT.sub(lambda m: mask(m.group()), text)
