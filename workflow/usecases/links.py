"""The applicant's link: a signed, expiring token naming one case, so that a person without
an account can see where their application stands (masked data only).

The token is ``<case>.<expires>.<signature>``: the case number and the expiry in Unix
seconds, signed with HMAC-SHA256 under the bureau's secret. Nothing personal is in it,
and a changed case number or expiry no longer matches its signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime, timedelta

from notifications.settings import NotificationSettings


def _signature(secret: str, payload: str) -> str:
    digest = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:20]).decode().rstrip("=")


def sign(secret: str, case_id: int, expires: datetime) -> str:
    payload = f"{case_id}.{int(expires.timestamp())}"
    return f"{payload}.{_signature(secret, payload)}"


def verify(secret: str, token: str, now: datetime) -> int | None:
    """The case the token names, or None if it is malformed, tampered with or expired."""
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() for p in parts[:2]) or len(token) > 100:
        return None
    payload = f"{parts[0]}.{parts[1]}"
    if not hmac.compare_digest(_signature(secret, payload), parts[2]):
        return None
    if int(parts[1]) < now.timestamp():
        return None
    return int(parts[0])


def link_maker(settings: NotificationSettings, now: datetime) -> Callable[[int], str] | None:
    """Links for messages sent ``now``, valid ``link_days``; None without a public address."""
    if settings.public_base_url is None or settings.link_secret is None:
        return None
    base, secret = settings.public_base_url.rstrip("/"), settings.link_secret.get_secret_value()
    expires = now + timedelta(days=settings.link_days)
    return lambda case_id: f"{base}/status/{sign(secret, case_id, expires)}"
