"""E-mail: building the multipart message, and sending it over SMTP or into a folder."""

from __future__ import annotations

import hashlib
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from notifications.rendering import Rendered
from notifications.settings import NotificationSettings


def message_id(key: str, sender: str) -> str:
    """The same outbox row always gets the same Message-ID, so a repeat can be recognised."""
    domain = sender.rpartition("@")[2] or "chuding.localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


def build(rendered: Rendered, recipient: str, key: str, settings: NotificationSettings) -> EmailMessage:
    msg = EmailMessage()
    user, _, domain = settings.mail_from.rpartition("@")
    msg["From"] = Address(display_name=settings.mail_from_name, username=user, domain=domain)
    msg["To"] = recipient
    msg["Subject"] = rendered.subject
    msg["Message-ID"] = message_id(key, settings.mail_from)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...
    async def close(self) -> None: ...


class FolderMailer:
    """Writes each message as an .eml file: the default with no mail server configured."""

    def __init__(self, settings: NotificationSettings):
        self.folder = settings.mail_dir

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").partition("@")[0]
        # Written whole then renamed, so a reader never sees half a message.
        temporary = self.folder / f".{name}.eml.tmp"
        temporary.write_bytes(bytes(message))
        temporary.replace(self.folder / f"{name}.eml")

    async def close(self) -> None:
        return None


class SmtpMailer:
    """One SMTP connection, opened on first use and reused until closed or broken."""

    def __init__(self, settings: NotificationSettings):
        import aiosmtplib

        self.settings = settings
        self._aiosmtplib = aiosmtplib
        self._client: aiosmtplib.SMTP | None = None

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.settings.smtp_ca_file:
            context.load_verify_locations(cafile=str(self.settings.smtp_ca_file))
        return context

    async def _connected(self) -> object:
        if self._client is not None and self._client.is_connected:
            return self._client
        s = self.settings
        client = self._aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
            use_tls=s.smtp_security == "tls", start_tls=s.smtp_security == "starttls",
            tls_context=self._tls_context() if s.smtp_security != "none" else None,
            username=s.smtp_user, password=s.smtp_password.get_secret_value() if s.smtp_password else None,
        )
        await client.connect()
        self._client = client
        return client

    async def send(self, message: EmailMessage) -> None:
        client = await self._connected()
        try:
            await client.send_message(message)  # type: ignore[attr-defined]
        except (TimeoutError, self._aiosmtplib.SMTPServerDisconnected, ConnectionError):
            self._client = None
            raise

    async def close(self) -> None:
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.quit()
            except self._aiosmtplib.SMTPException:
                self._client.close()
        self._client = None


def mailer(settings: NotificationSettings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else FolderMailer(settings)
