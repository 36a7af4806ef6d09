"""SMS behind one interface: an HTTP gateway shaped like the Chinese providers, or a file.

Providers send pre-approved templates: the request carries the sign name (签名), the
template code for the message kind and the variables as JSON; the provider fills in the
text. The file gateway (the default) writes the same request, with the text, as a JSON line.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import os
import re
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any, Protocol

from notifications.rendering import refuse_full_ids
from notifications.settings import NotificationSettings
from states.schedule import deadline_of

SINGLE_SEGMENT = 70  # characters in an unsplit SMS, signature included
PART = 67  # characters per part once split (the rest carries the joining header)


class PermanentFailure(Exception):
    """Retrying cannot help (bad variable, refused recipient): the row goes dead at once."""


class ProviderRefused(PermanentFailure):
    """The provider refused this message for good; the row goes dead with its words."""

    def __init__(self, provider: str, code: str, message: str):
        self.provider, self.code = provider, code
        super().__init__(f"{provider} {code}: {message}")


class CredentialsRefused(ProviderRefused):
    """The provider does not accept our key or its signature: nothing can go until it is fixed."""


class Retry(ConnectionError):
    """Throttled, or the provider failed on its side: the row is tried again after its backoff."""


def segments(text: str) -> int:
    """How many SMS a text costs: 70 characters fit one, longer ones go 67 a part."""
    length = len(text)
    return 1 if length <= SINGLE_SEGMENT else math.ceil(length / PART)


def variables(kind: str, context: dict[str, Any], limit: int) -> dict[str, str]:
    """The variables a provider template gets; a value longer than the limit is refused."""
    values = {
        "name": str(context.get("greeting") or context.get("name", "")),
        "case": str(context.get("case", "")),
        "deadline": str(context.get(deadline_of(kind) or "", "")),
        "phone": str(context.get("contact_phone", "")),
    }
    # The provider fills these into the text itself: they are checked as the text is, and
    # as the providers check variables (no links, no sign-name brackets, no line breaks).
    refuse_full_ids(kind, *values.values())
    for name, value in values.items():
        if FORBIDDEN_IN_VARIABLE.search(value):
            raise PermanentFailure(f"SMS variable {name} holds a link, a 【】 bracket or a control character,"
                                   " which the providers refuse in a variable")
    too_long = {k: v for k, v in values.items() if len(v) > limit}
    if too_long:
        named = ", ".join(f"{k} ({len(v)} characters)" for k, v in too_long.items())
        raise PermanentFailure(f"SMS variable longer than the limit of {limit} characters: {named}")
    return values


FORBIDDEN_IN_VARIABLE = re.compile(r"https?://|www\.|[【】]|[\x00-\x1f\x7f]", re.IGNORECASE)
# The variables a template takes, in its order, unless CHUDING_SMS_TEMPLATE_PARAMS says otherwise.
DEFAULT_PARAMS = ("name", "case", "deadline", "phone")


class SmsGateway(Protocol):
    """Sends one SMS; returns the provider's id for it, if the provider gives one."""

    paused_until: datetime | None  # set when the provider refused our credentials

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> str | None: ...


def template_values(settings: NotificationSettings, kind: str, values: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The approved template for ``kind`` and the variables it takes, in its order."""
    code = settings.sms_template_codes.get(kind)
    if code is None:
        raise PermanentFailure(f"no SMS template code for {kind!r} in CHUDING_SMS_TEMPLATE_CODES")
    names = settings.sms_template_params.get(kind, DEFAULT_PARAMS)
    return code, {name: values[name] for name in names}


def missing_templates(settings: NotificationSettings, kinds: list[str]) -> list[str]:
    """What a provider that sends approved templates lacks: a problem per kind (and per
    unknown variable), checked when the service or `outbox send` starts, not at sending."""
    if settings.sms_channel == "file":
        return []
    problems = [f"CHUDING_SMS_TEMPLATE_CODES: no template for the message kind {kind!r}"
                for kind in kinds if kind not in settings.sms_template_codes]
    problems += [f"CHUDING_SMS_TEMPLATE_PARAMS: {kind!r} names the unknown variable {name!r}"
                 f" (known: {', '.join(DEFAULT_PARAMS)})"
                 for kind, names in settings.sms_template_params.items() for name in names
                 if name not in DEFAULT_PARAMS]
    return problems


def _request(settings: NotificationSettings, phone: str, kind: str, values: dict[str, str], key: str) -> dict[str, Any]:
    code, named = template_values(settings, kind, values)
    return {
        "PhoneNumbers": phone, "SignName": settings.sms_sign_name, "TemplateCode": code,
        "TemplateParam": json.dumps(named, ensure_ascii=False), "OutId": key,
    }


class FileSmsGateway:
    """Writes each SMS as a JSON line: the default when no gateway is configured."""

    def __init__(self, settings: NotificationSettings):
        self.settings = settings
        self.path = settings.sms_dir / "sms.jsonl"
        self.paused_until: datetime | None = None

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> str | None:
        line = {
            "PhoneNumbers": phone, "SignName": self.settings.sms_sign_name, "Kind": kind,
            "TemplateCode": self.settings.sms_template_codes.get(kind), "TemplateParam": values,
            "OutId": key, "Text": text, "Segments": segments(text),
        }
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Phone numbers and names: readable by the service's own user only.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            # One write call for the whole line: a relay killed mid-way leaves it whole or
            # absent. Text-mode writes could be split, and the next line glued to a half one.
            os.write(descriptor, (json.dumps(line, ensure_ascii=False) + "\n").encode())
        finally:
            os.close(descriptor)
        return None


class HttpSmsGateway:
    """POSTs JSON to the provider's URL, signed with HMAC-SHA256 of the body."""

    def __init__(self, settings: NotificationSettings):
        if not settings.sms_url:
            raise ValueError("CHUDING_SMS_URL is not set")
        self.settings = settings
        self.paused_until: datetime | None = None

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> str | None:
        body = json.dumps(_request(self.settings, phone, kind, values, key), ensure_ascii=False).encode()
        await asyncio.to_thread(self._post, body)
        return None

    def _post(self, body: bytes) -> None:
        secret = self.settings.sms_secret.get_secret_value().encode() if self.settings.sms_secret else b""
        signature = base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()
        request = urllib.request.Request(str(self.settings.sms_url), data=body, method="POST", headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Access-Key": self.settings.sms_access_key or "", "X-Signature": signature,
        })
        try:
            with urllib.request.urlopen(request, timeout=self.settings.sms_timeout_seconds) as response:
                answer = json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as err:
            if 400 <= err.code < 500 and err.code != 429:
                raise PermanentFailure(f"SMS gateway refused the message: HTTP {err.code}") from None
            raise ConnectionError(f"SMS gateway answered HTTP {err.code}") from None
        if str(answer.get("Code", "OK")).upper() != "OK":
            raise PermanentFailure(f"SMS gateway refused the message: {answer}")
