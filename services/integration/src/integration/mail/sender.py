"""The SMTP side: one kept aiosmtplib connection (opened on first use, reopened when
the server dropped it), every send through a part-1 guard (`Guard`: pybreaker circuit
breaker + throttle) so an SMTP outage fails fast and recovers by itself.

Outcomes: `SmtpDown` — the server could not be reached or answered 4xx (try again
later); `SmtpRefused` — it refused the message or every recipient for good (5xx)."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

import aiosmtplib

from integration.mail.domain.mails import Attachment
from integration.smartbill.guard import Guard
from integration.smartbill.outcomes import Refused, Uncertain


class SmtpDown(Uncertain):
    """The SMTP server did not take the message now."""


class SmtpRefused(Refused):
    """The SMTP server refused the message for good."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str
    password: str
    starttls: bool
    tls: bool
    timeout_seconds: float
    sender: str
    reply_to: str


def compose(
    config: SmtpConfig,
    *,
    to: str,
    subject: str,
    text: str,
    html: str,
    attachment: Attachment | None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = subject
    if config.reply_to:
        message["Reply-To"] = config.reply_to
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2].strip("> ") or None)
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    if attachment is not None:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.filename,
        )
    return message


class SmtpSender:
    def __init__(self, config: SmtpConfig, guard: Guard) -> None:
        self.config = config
        self.guard = guard
        self._client: aiosmtplib.SMTP | None = None
        self._lock = asyncio.Lock()  # one conversation on the connection at a time

    async def send(self, message: EmailMessage) -> None:
        await self.guard.call(lambda: self._send(message))

    async def _send(self, message: EmailMessage) -> None:
        async with self._lock:
            try:
                client = await self._connected()
                errors, _ = await client.send_message(message)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                codes = [r.code for r in exc.recipients]
                if all(code >= 500 for code in codes):
                    raise SmtpRefused(f"recipients refused: {exc}", 550) from exc
                raise SmtpDown(f"recipients deferred: {exc}") from exc
            except aiosmtplib.SMTPResponseException as exc:
                if exc.code >= 500 and exc.code not in (503, 554):
                    raise SmtpRefused(f"SMTP {exc.code} {exc.message}", exc.code) from exc
                await self._drop()
                raise SmtpDown(f"SMTP {exc.code} {exc.message}") from exc
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._drop()
                raise SmtpDown(f"SMTP {type(exc).__name__}: {exc}".strip()) from exc
            if errors:
                raise SmtpDown(f"recipients deferred: {errors}")

    async def _connected(self) -> aiosmtplib.SMTP:
        client = self._client
        if client is not None and client.is_connected:
            try:
                await client.noop()
                return client
            except (aiosmtplib.SMTPException, OSError):
                await self._drop()
        c = self.config
        client = aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            timeout=c.timeout_seconds,
            use_tls=c.tls,
            start_tls=c.starttls,
        )
        await client.connect()
        if c.username:
            await client.login(c.username, c.password)
        self._client = client
        return client

    async def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            # A broken connection may fail to close; it is gone anyway.
            with contextlib.suppress(Exception):
                client.close()

    async def close(self) -> None:
        client, self._client = self._client, None
        if client is not None and client.is_connected:
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
