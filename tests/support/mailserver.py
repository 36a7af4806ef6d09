"""A real SMTP server for the tests (aiosmtpd) with authentication and TLS."""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "chuding", "s3cret-密码"


class Inbox:
    """Keeps every message the server accepted, in order."""

    def __init__(self, delay: float = 0.0):
        self.messages: list[EmailMessage] = []
        self.delay = delay
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok)


class Certificates:
    def __init__(self, folder: Path):
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = folder / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(context)
        return context


@contextmanager
def smtp_server(port: int, certs: Certificates, security: str = "starttls",
                inbox: Inbox | None = None) -> Iterator[Inbox]:
    inbox = inbox or Inbox()
    options: dict[str, Any] = {"authenticator": _authenticate, "auth_required": True}
    if security == "starttls":
        options.update(tls_context=certs.server_context(), require_starttls=True, auth_require_tls=True)
    else:
        # Implicit TLS: the whole session is encrypted, but aiosmtpd only counts STARTTLS as TLS.
        options.update(ssl_context=certs.server_context(), auth_require_tls=False)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, ready_timeout=10, **options)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
