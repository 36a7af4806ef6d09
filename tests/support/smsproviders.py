"""Local stand-ins for Alibaba Cloud SMS and Tencent Cloud SMS, for the tests: HTTP servers
that answer as the providers' documentation says and check every request's signature with
the provider's documented algorithm (Alibaba Cloud ACS3-HMAC-SHA256, Tencent Cloud
TC3-HMAC-SHA256), refusing a wrong one as the provider does.

A test scripts them per phone number: ``refuse[phone] = (code, message)`` refuses the
number for good, ``throttle[phone] = n`` throttles its first n messages; ``receipts``
holds the delivery reports to hand out (provider id -> (delivered, reason)).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

ACCESS_KEY, SECRET = "LTAI-test-access-key", "the provider's secret for the tests"
TENCENT_APP = "1400000001"


class Provider:
    """What both stand-ins share: the script, what they received, and the server."""

    def __init__(self) -> None:
        self.refuse: dict[str, tuple[str, str]] = {}
        self.throttle: dict[str, int] = {}
        self.receipts: dict[str, tuple[bool, str]] = {}
        self.received: list[dict[str, Any]] = []
        self.rejected_signatures = 0
        self.port = 0

    def outcome(self, phone: str) -> tuple[str, str] | None:
        """None to accept; else the provider's code and message for this number now."""
        if phone in self.refuse:
            return self.refuse[phone]
        if self.throttle.get(phone, 0) > 0:
            self.throttle[phone] -= 1
            return self.THROTTLED  # type: ignore[attr-defined, no-any-return]
        return None


class Aliyun(Provider):
    THROTTLED = ("isv.BUSINESS_LIMIT_CONTROL", "触发号码分钟级流控")

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
        problem = self._signature_problem(method, urlsplit(target).path or "/", query, headers, body)
        if problem is not None:
            self.rejected_signatures += 1
            return problem
        action = headers["x-acs-action"]
        self.received.append({"action": action, **query})
        if action == "SendSms":
            refused = self.outcome(query["PhoneNumbers"])
            if refused:
                return 200, {"Code": refused[0], "Message": refused[1], "RequestId": str(uuid.uuid4())}
            return 200, {"Code": "OK", "Message": "OK", "BizId": f"9{len(self.received):05d}^0",
                         "RequestId": str(uuid.uuid4())}
        if action == "QuerySendDetails":
            delivered, reason = self.receipts.get(query["BizId"], (None, ""))
            if delivered is None:
                details = []
            else:
                details = [{"PhoneNum": query["PhoneNumber"], "SendStatus": 3 if delivered else 2,
                            "ErrCode": "DELIVERED" if delivered else reason, "OutId": "",
                            "ReceiveDate": "2024-10-09 10:00:05", "SendDate": "2024-10-09 10:00:01",
                            "TemplateCode": "SMS_1", "Content": "..."}]
            return 200, {"Code": "OK", "Message": "OK", "TotalCount": len(details),
                         "SmsSendDetailDTOs": {"SmsSendDetailDTO": details}, "RequestId": str(uuid.uuid4())}
        return 400, {"Code": "InvalidAction.NotFound", "Message": action}

    @staticmethod
    def _signature_problem(method: str, path: str, query: dict[str, str], headers: Any,
                           body: bytes) -> tuple[int, dict[str, Any]] | None:
        """ACS3-HMAC-SHA256 as documented: the canonical request (method, path, sorted and
        encoded query, the signed headers, the payload's SHA-256), hashed, then signed."""
        authorization = headers.get("Authorization", "")
        algorithm, _, rest = authorization.partition(" ")
        parts = dict(p.split("=", 1) for p in rest.split(",") if "=" in p)
        if algorithm != "ACS3-HMAC-SHA256" or parts.get("Credential") != ACCESS_KEY:
            return 404, {"Code": "InvalidAccessKeyId.NotFound", "Message": "Specified access key is not found."}
        payload = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256") != payload:
            return 400, {"Code": "IncompleteSignature", "Message": "The payload hash does not match."}
        signed = parts.get("SignedHeaders", "").split(";")
        canonical_query = "&".join(f"{k}={quote(v, safe='~')}" for k, v in sorted(query.items()))
        canonical_headers = "".join(f"{name}:{','.join(sorted(v.strip() for v in headers.get_all(name) or []))}\n"
                                    for name in signed)
        canonical = f"{method}\n{path}\n{canonical_query}\n{canonical_headers}\n{';'.join(signed)}\n{payload}"
        to_sign = f"ACS3-HMAC-SHA256\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        expected = hmac.new(SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not {"host", "x-acs-action", "x-acs-date"} <= set(signed) or not hmac.compare_digest(
                expected, parts.get("Signature", "")):
            return 400, {"Code": "SignatureDoesNotMatch",
                         "Message": "Specified signature does not match our calculation."}
        return None


class Tencent(Provider):
    THROTTLED = ("LimitExceeded.PhoneNumberThirtySecondLimit", "单个手机号30秒内下发短信条数超过设定的上限")

    def answer(self, method: str, target: str, headers: Any, body: bytes) -> tuple[int, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        problem = self._signature_problem(method, urlsplit(target).path or "/", headers, body)
        if problem is not None:
            self.rejected_signatures += 1
            return 200, {"Response": {"Error": {"Code": problem[0], "Message": problem[1]}, "RequestId": request_id}}
        params = json.loads(body)
        action = headers["X-TC-Action"]
        self.received.append({"action": action, **params})
        if action == "SendSms":
            statuses = []
            for number in params["PhoneNumberSet"]:
                refused = self.outcome(number.removeprefix("+86"))
                code, message = refused or ("Ok", "send success")
                statuses.append({"SerialNo": f"2433:{len(self.received)}" if not refused else "",
                                 "PhoneNumber": number, "Fee": 1 if not refused else 0,
                                 "SessionContext": params.get("SessionContext", ""), "Code": code,
                                 "Message": message, "IsoCode": "CN"})
            return 200, {"Response": {"SendStatusSet": statuses, "RequestId": request_id}}
        if action == "PullSmsSendStatus":
            batch = list(self.receipts.items())[:params["Limit"]]
            for serial, _ in batch:
                del self.receipts[serial]  # the provider hands each receipt over once
            found = [{"UserReceiveTime": "2024-10-09 10:00:05", "CountryCode": "86", "SubscriberNumber": "13899990001",
                      "PhoneNumber": "+8613899990001", "SerialNo": serial,
                      "ReportStatus": "SUCCESS" if delivered else "FAIL",
                      "Description": "用户短信送达成功" if delivered else reason, "SessionContext": ""}
                     for serial, (delivered, reason) in batch]
            return 200, {"Response": {"PullSmsSendStatusSet": found, "RequestId": request_id}}
        return 200, {"Response": {"Error": {"Code": "InvalidAction", "Message": action}, "RequestId": request_id}}

    @staticmethod
    def _signature_problem(method: str, path: str, headers: Any, body: bytes) -> tuple[str, str] | None:
        """TC3-HMAC-SHA256 as documented: a key derived from the secret, the day and the
        service signs the hashed canonical request with its scope and time."""
        authorization = headers.get("Authorization", "")
        algorithm, _, rest = authorization.partition(" ")
        parts = dict(p.strip().split("=", 1) for p in rest.split(",") if "=" in p)
        secret_id, day, service, terminator = (parts.get("Credential", "").split("/") + ["", "", "", ""])[:4]
        if algorithm != "TC3-HMAC-SHA256" or secret_id != ACCESS_KEY:
            return "AuthFailure.SecretIdNotFound", "The SecretId is not found."
        timestamp = headers.get("X-TC-Timestamp", "")
        if day != datetime.fromtimestamp(int(timestamp or 0), UTC).strftime("%Y-%m-%d") or terminator != "tc3_request":
            return "AuthFailure.SignatureFailure", "The credential scope does not match the request time."
        canonical = (f"{method}\n{path}\n\ncontent-type:{headers.get('Content-Type')}\nhost:{headers.get('Host')}\n\n"
                     f"content-type;host\n{hashlib.sha256(body).hexdigest()}")
        to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{day}/{service}/tc3_request\n"
                   f"{hashlib.sha256(canonical.encode()).hexdigest()}")
        key = hmac.new(f"TC3{SECRET}".encode(), day.encode(), hashlib.sha256).digest()
        for part in (service, "tc3_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if parts.get("SignedHeaders") != "content-type;host" or not hmac.compare_digest(
                expected, parts.get("Signature", "")):
            return "AuthFailure.SignatureFailure", "The provided credentials could not be validated."
        return None


@contextmanager
def serving(provider: Provider) -> Iterator[Provider]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, answer = provider.answer("POST", self.path, self.headers, body)  # type: ignore[attr-defined]
            data = json.dumps(answer, ensure_ascii=False).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    provider.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
