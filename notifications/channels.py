"""Where messages leave: e-mail (a fresh connection per relay sender) and one SMS gateway."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from notifications import mail, sms
from notifications.settings import NotificationSettings


@dataclass(frozen=True)
class Channels:
    """The relay's outward side; the composition root picks real or file-backed ones."""

    mailer: Callable[[], mail.Mailer]
    sms: sms.SmsGateway


def channels(settings: NotificationSettings) -> Channels:
    """SMTP when a host is set, else .eml files; the SMS gateway when a URL is set, else a
    JSON-lines file."""
    return Channels(lambda: mail.mailer(settings), sms.gateway(settings))
