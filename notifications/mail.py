"""E-mail: building the multipart message, and sending it over SMTP or into a folder."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import functools
import hashlib
import ssl
from datetime import datetime
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.utils import format_datetime, formataddr
from typing import Protocol

from notifications.files import write_private
from notifications.rendering import Email
from notifications.settings import NotificationSettings


def message_id(key: str, sender: str) -> str:
    """The same outbox row always gets the same Message-ID, so a repeat can be recognised."""
    domain = sender.rpartition("@")[2] or "chuding.localhost"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:40]}@{domain}>"


@functools.lru_cache(maxsize=8)
def _sender(name: str, address: str) -> str:
    return formataddr((Header(name, "utf-8").encode(), address))


def build(rendered: Email, recipient: str, key: str, settings: NotificationSettings, date: datetime) -> Message:
    """multipart/alternative, text then HTML, UTF-8 throughout.

    Built with the email package's compat32 classes: an order of magnitude cheaper than
    Message's header parsing, which matters when the relay sends thousands.
    """
    # A boundary of our own: the bodies are base64, which never contains "_", and the
    # email package would otherwise compile a fresh regex per message to pick one.
    msg = MIMEMultipart("alternative", boundary=f"=_chuding_{hashlib.sha1(key.encode()).hexdigest()}")
    msg["From"] = _sender(settings.mail_from_name, settings.mail_from)
    msg["To"] = recipient
    msg["Subject"] = Header(rendered.subject, "utf-8")  # type: ignore[assignment]  # encoded once, at flatten
    msg["Message-ID"] = message_id(key, settings.mail_from)
    msg["Date"] = format_datetime(date)
    msg.attach(_utf8_part("plain", rendered.text))
    msg.attach(_utf8_part("html", rendered.html))
    return msg


def _utf8_part(subtype: str, body: str) -> MIMENonMultipart:
    """A base64 UTF-8 text part, encoded here once rather than by the charset machinery."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64.encodebytes(body.encode("utf-8")).decode("ascii"))
    return part


class Mailer(Protocol):
    async def send(self, message: Message) -> None: ...
    async def close(self) -> None: ...


class FolderMailer:
    """Writes each message as an .eml file: the default with no mail server configured."""

    def __init__(self, settings: NotificationSettings):
        self.folder = settings.mail_dir

    async def send(self, message: Message) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        name = str(message["Message-ID"]).strip("<>").partition("@")[0]
        write_private(self.folder / f"{name}.eml", lambda out: out.write(message.as_bytes()))

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
        self._drop()
        s = self.settings
        client = self._aiosmtplib.SMTP(
            hostname=s.smtp_host, port=s.smtp_port, timeout=s.smtp_timeout_seconds,
            use_tls=s.smtp_security == "tls", start_tls=s.smtp_security == "starttls",
            tls_context=self._tls_context() if s.smtp_security != "none" else None,
            username=s.smtp_user, password=s.smtp_password.get_secret_value() if s.smtp_password else None,
        )
        try:
            await client.connect()
        except BaseException:
            client.close()  # connected but refused (TLS, login): close the socket now, not at GC
            raise
        self._client = client
        return client

    def _drop(self) -> None:
        """Forget the connection, closing its socket."""
        if self._client is not None:
            self._client.close()
        self._client = None

    async def send(self, message: Message) -> None:
        client = await self._connected()
        try:
            # The envelope is known: sendmail spares re-parsing the headers for it.
            await client.sendmail(  # type: ignore[attr-defined]
                self.settings.mail_from, [str(message["To"])], message.as_bytes()
            )
        except (TimeoutError, self._aiosmtplib.SMTPServerDisconnected, ConnectionError):
            self._drop()
            raise

    async def close(self) -> None:
        protocol = self._client.protocol if self._client is not None else None
        if self._client is not None and self._client.is_connected:
            with contextlib.suppress(self._aiosmtplib.SMTPException, OSError, TimeoutError):
                await self._client.quit()
        self._drop()
        # A TLS connection closes only after its shutdown exchange, on the event loop: wait
        # for it (briefly), or the socket outlives the loop and is closed only by GC.
        for _ in range(100):
            if protocol is None or getattr(protocol, "_connection_lost", True):
                break
            await asyncio.sleep(0.01)


def mailer(settings: NotificationSettings) -> Mailer:
    return SmtpMailer(settings) if settings.smtp_host else FolderMailer(settings)
