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
import urllib.error
import urllib.request
from typing import Any, Protocol

from notifications.rendering import refuse_full_ids
from notifications.settings import NotificationSettings

SINGLE_SEGMENT = 70  # characters in an unsplit SMS, signature included
PART = 67  # characters per part once split (the rest carries the joining header)


class PermanentFailure(Exception):
    """Retrying cannot help (bad variable, refused recipient): the row goes dead at once."""


def segments(text: str) -> int:
    """How many SMS a text costs: 70 characters fit one, longer ones go 67 a part."""
    length = len(text)
    return 1 if length <= SINGLE_SEGMENT else math.ceil(length / PART)


# The deadline an SMS of each kind names (a key of the message's context).
DEADLINE_OF = {
    "import": "personal_closes", "amend": "personal_closes", "return_for_correction": "personal_closes",
    "reminder_personal_closing": "personal_closes", "submit": "review_closes",
    "start_review": "review_closes", "reminder_review_closing": "review_closes",
    "approve_online": "paper_closes", "close_publicity": "paper_closes",
    "reminder_paper_checklist": "paper_closes", "start_publicity": "publicity_completes",
}


def variables(kind: str, context: dict[str, Any], limit: int) -> dict[str, str]:
    """The variables a provider template gets; a value longer than the limit is refused."""
    values = {
        "name": str(context.get("greeting") or context.get("name", "")),
        "case": str(context.get("case", "")),
        "deadline": str(context.get(DEADLINE_OF.get(kind, ""), "")),
        "phone": str(context.get("contact_phone", "")),
    }
    # The provider fills these into the text itself: they are checked as the text is.
    refuse_full_ids(kind, *values.values())
    too_long = {k: v for k, v in values.items() if len(v) > limit}
    if too_long:
        named = ", ".join(f"{k} ({len(v)} characters)" for k, v in too_long.items())
        raise PermanentFailure(f"SMS variable longer than the limit of {limit} characters: {named}")
    return values


class SmsGateway(Protocol):
    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> None: ...


def _request(settings: NotificationSettings, phone: str, kind: str, values: dict[str, str], key: str) -> dict[str, Any]:
    code = settings.sms_template_codes.get(kind)
    if code is None:
        raise PermanentFailure(f"no SMS template code for {kind!r} in CHUDING_SMS_TEMPLATE_CODES")
    return {
        "PhoneNumbers": phone, "SignName": settings.sms_sign_name, "TemplateCode": code,
        "TemplateParam": json.dumps(values, ensure_ascii=False), "OutId": key,
    }


class FileSmsGateway:
    """Writes each SMS as a JSON line: the default when no gateway is configured."""

    def __init__(self, settings: NotificationSettings):
        self.settings = settings
        self.path = settings.sms_dir / "sms.jsonl"

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> None:
        line = {
            "PhoneNumbers": phone, "SignName": self.settings.sms_sign_name, "Kind": kind,
            "TemplateCode": self.settings.sms_template_codes.get(kind), "TemplateParam": values,
            "OutId": key, "Text": text, "Segments": segments(text),
        }
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Phone numbers and names: readable by the service's own user only.
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as out:
            out.write(json.dumps(line, ensure_ascii=False) + "\n")


class HttpSmsGateway:
    """POSTs JSON to the provider's URL, signed with HMAC-SHA256 of the body."""

    def __init__(self, settings: NotificationSettings):
        if not settings.sms_url:
            raise ValueError("CHUDING_SMS_URL is not set")
        self.settings = settings

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> None:
        body = json.dumps(_request(self.settings, phone, kind, values, key), ensure_ascii=False).encode()
        await asyncio.to_thread(self._post, body)

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


def gateway(settings: NotificationSettings) -> SmsGateway:
    return HttpSmsGateway(settings) if settings.sms_url else FileSmsGateway(settings)


