"""SMS through the providers a bureau uses: Alibaba Cloud SMS (短信服务) and Tencent Cloud
SMS, each through its own maintained SDK, with the bureau's approved sign name (签名) and
templates (模板).

The provider's answer decides what happens next: an id for the message (Aliyun BizId,
Tencent SerialNo) is kept on the outbox row; throttling and the provider's own failures
are retried with backoff (``Retry``); a refusal that a retry cannot cure (a bad number, an
unapproved template or sign name) makes the row dead with the provider's code and message
(``ProviderRefused``); refused credentials (``CredentialsRefused``) also pause the SMS
side of the relay, so that it does not hammer the provider with a key that cannot work.
Delivery receipts are asked for later (Aliyun QuerySendDetails, Tencent
PullSmsSendStatus). Credentials are read from the settings and never logged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from notifications.settings import NotificationSettings
from notifications.sms import CredentialsRefused, ProviderRefused, Retry, template_values

BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Sent:
    """A row sent earlier, whose delivery the provider may now know."""

    provider_id: str
    phone: str
    key: str
    sent_at: datetime


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    delivered: bool
    detail: str
    at: datetime | None


def _classify(provider: str, code: str, message: str, credentials: tuple[str, ...],
              transient: tuple[str, ...]) -> Exception:
    if code.startswith(credentials):
        return CredentialsRefused(provider, code, message)
    if code.startswith(transient):
        return Retry(f"{provider} {code}: {message}")
    return ProviderRefused(provider, code, message)


def _answer(provider: Any, sdk_error: type[Exception], call: Callable[[], Any]) -> Any:
    """The provider's answer to ``call``, or its refusal classified by the provider's code;
    a connection that fails (refused, reset, timed out) is retried."""
    try:
        return call()
    except sdk_error as err:
        code, message = str(getattr(err, "code", "")), str(getattr(err, "message", err))
        raise _classify(provider.name, code, message, provider.CREDENTIALS, provider.TRANSIENT) from None
    except Exception as err:  # noqa: BLE001 - anything else is the way there
        raise Retry(f"{provider.name}: {type(err).__name__}: {err}") from None


class AliyunSms:
    """Alibaba Cloud SMS (dysmsapi 2017-05-25): SendSms with the template's variables as
    JSON and OutId = our key; QuerySendDetails for receipts."""

    name = "aliyun"
    # Error codes, from the provider's documentation: the key or its signature refused;
    # throttled (per number and per account) or the provider's own failure.
    CREDENTIALS = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "IncompleteSignature", "Forbidden.RAM",
                   "isv.ACCOUNT_NOT_EXISTS", "isv.ACCOUNT_ABNORMAL")
    TRANSIENT = ("isv.BUSINESS_LIMIT_CONTROL", "Throttling", "isp.", "ServiceUnavailable", "InternalError")

    def __init__(self, settings: NotificationSettings):
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.utils_models import Config

        assert settings.sms_access_key and settings.sms_secret  # checked by the settings
        self.settings = settings
        self.client = Client(Config(
            access_key_id=settings.sms_access_key, access_key_secret=settings.sms_secret.get_secret_value(),
            endpoint=settings.sms_endpoint or "dysmsapi.aliyuncs.com", region_id=settings.sms_region or "cn-hangzhou",
            protocol=settings.sms_endpoint_scheme.upper(),
        ))
        self.paused_until: datetime | None = None

    def _runtime(self) -> Any:
        from darabonba.runtime import RuntimeOptions

        timeout = int(self.settings.sms_timeout_seconds * 1000)
        return RuntimeOptions(autoretry=False, read_timeout=timeout, connect_timeout=timeout)

    def _call(self, method: Any, request: Any) -> Any:
        from alibabacloud_tea_openapi.exceptions import AlibabaCloudException

        return _answer(self, AlibabaCloudException, lambda: method(request, self._runtime()).body)

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> str:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        code, named = template_values(self.settings, kind, values)
        request = SendSmsRequest(phone_numbers=phone, sign_name=self.settings.sms_sign_name, template_code=code,
                                 template_param=json.dumps(named, ensure_ascii=False), out_id=key)
        body = await asyncio.to_thread(self._call, self.client.send_sms_with_options, request)
        if body.code != "OK":
            raise _classify(self.name, str(body.code), str(body.message), self.CREDENTIALS, self.TRANSIENT)
        return str(body.biz_id)

    def receipts(self, sent: list[Sent]) -> list[Receipt]:
        """Each message's delivery, asked by number, BizId and the Beijing day it was sent."""
        from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest

        found = []
        for row in sent:
            request = QuerySendDetailsRequest(
                phone_number=row.phone, biz_id=row.provider_id, page_size=10, current_page=1,
                send_date=f"{row.sent_at.astimezone(BEIJING):%Y%m%d}")
            body = self._call(self.client.query_send_details_with_options, request)
            details = body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
            for detail in details or []:
                if str(detail.send_status) in ("2", "3"):  # 1 is "waiting for the receipt"
                    at = _beijing(detail.receive_date, "%Y-%m-%d %H:%M:%S")
                    found.append(Receipt(row.provider_id, str(detail.send_status) == "3",
                                         str(detail.err_code or ""), at))
        return found


class TencentSms:
    """Tencent Cloud SMS (2021-01-11): SendSms with TemplateParamSet in the template's
    order and SessionContext = our key; PullSmsSendStatus for receipts."""

    name = "tencent"
    CREDENTIALS = ("AuthFailure", "UnauthorizedOperation")
    TRANSIENT = ("RequestLimitExceeded", "LimitExceeded", "InternalError", "ClientNetworkError",
                 "ServerNetworkError", "FailedOperation.FailResolvePacket")

    def __init__(self, settings: NotificationSettings):
        from tencentcloud.common.credential import Credential
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.sms.v20210111.sms_client import SmsClient

        assert settings.sms_access_key and settings.sms_secret  # checked by the settings
        self.settings = settings
        endpoint = settings.sms_endpoint or "sms.tencentcloudapi.com"
        http = HttpProfile(protocol=settings.sms_endpoint_scheme, endpoint=endpoint,
                           reqTimeout=int(settings.sms_timeout_seconds))
        self.client = SmsClient(Credential(settings.sms_access_key, settings.sms_secret.get_secret_value()),
                                settings.sms_region or "ap-guangzhou", ClientProfile(httpProfile=http))
        self.paused_until: datetime | None = None

    def _call(self, method: Any, request: Any) -> Any:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import (
            TencentCloudSDKException,
        )

        return _answer(self, TencentCloudSDKException, lambda: method(request))

    async def send(self, phone: str, kind: str, text: str, values: dict[str, str], key: str) -> str:
        from tencentcloud.sms.v20210111.models import SendSmsRequest

        code, named = template_values(self.settings, kind, values)
        request = SendSmsRequest()
        request.PhoneNumberSet = [f"+86{phone}"]
        request.SmsSdkAppId = self.settings.sms_sdk_app_id
        request.SignName = self.settings.sms_sign_name
        request.TemplateId = code
        request.TemplateParamSet = list(named.values())
        request.SessionContext = key
        answer = await asyncio.to_thread(self._call, self.client.SendSms, request)
        status = answer.SendStatusSet[0]
        if status.Code != "Ok":
            raise _classify(self.name, str(status.Code), str(status.Message), self.CREDENTIALS, self.TRANSIENT)
        return str(status.SerialNo)

    def receipts(self, sent: list[Sent]) -> list[Receipt]:
        """Every receipt the provider holds for us (it hands each over once), in batches."""
        from tencentcloud.sms.v20210111.models import PullSmsSendStatusRequest

        found: list[Receipt] = []
        while True:
            request = PullSmsSendStatusRequest()
            request.SmsSdkAppId = self.settings.sms_sdk_app_id
            request.Limit = 100
            batch = self._call(self.client.PullSmsSendStatus, request).PullSmsSendStatusSet or []
            found += [Receipt(str(r.SerialNo), r.ReportStatus == "SUCCESS", f"{r.ReportStatus} {r.Description}".strip(),
                              _beijing(r.UserReceiveTime, "%Y-%m-%d %H:%M:%S")) for r in batch]
            if len(batch) < 100:
                return found


def _beijing(text: str | None, shape: str) -> datetime | None:
    try:
        return datetime.strptime(str(text), shape).replace(tzinfo=BEIJING) if text else None
    except ValueError:
        return None
