"""Where messages leave: e-mail (a fresh connection per relay sender) and one SMS gateway."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from notifications import mail, sms
from notifications.errors import SettingsError
from notifications.providers import AliyunSms, TencentSms
from notifications.settings import NotificationSettings


@dataclass(frozen=True)
class Channels:
    """The relay's outward side; the composition root picks real or file-backed ones."""

    mailer: Callable[[], mail.Mailer]
    sms: sms.SmsGateway


def channels(settings: NotificationSettings) -> Channels:
    """SMTP when a host is set, else .eml files; the SMS provider chosen (a JSON-lines
    file by default). A provider without an approved template for every kind of message
    is refused here, when the service or `outbox send` starts, naming each kind."""
    from notifications.rendering import KINDS

    problems = sms.missing_templates(settings, KINDS)
    if problems:
        raise SettingsError(problems)
    return Channels(lambda: mail.mailer(settings), sms_gateway(settings))


def sms_gateway(settings: NotificationSettings) -> sms.SmsGateway:
    """The provider chosen by CHUDING_SMS_PROVIDER (the file by default)."""
    channel = settings.sms_channel
    if channel in ("aliyun", "tencent"):
        return AliyunSms(settings) if channel == "aliyun" else TencentSms(settings)
    return sms.HttpSmsGateway(settings) if channel == "http" else sms.FileSmsGateway(settings)
