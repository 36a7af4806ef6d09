"""How a person can be reached: mobile numbers and e-mail addresses, checked for shape."""

from __future__ import annotations

import re

MOBILE = re.compile(r"^(?:\+86|0086)?1[3-9]\d{9}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def is_mobile(value: str) -> bool:
    """1[3-9] and nine more digits, optionally after +86 or 0086."""
    return bool(MOBILE.match(value))


def is_email(value: str) -> bool:
    return bool(EMAIL.match(value))
