"""The messages the SMTP sink received, parsed once on arrival, and aiosmtpd's handler
that stores them."""

from __future__ import annotations

import email
import email.policy
import email.utils
import itertools
import logging
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

log = logging.getLogger("cypher_fakes.mail")


@dataclass
class Attachment:
    filename: str | None
    content_type: str
    payload: bytes


@dataclass
class Message:
    id: int
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    received_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        self.parsed = parsed
        text = parsed.get_body(preferencelist=("plain",))
        html = parsed.get_body(preferencelist=("html",))
        self.text = text.get_content() if isinstance(text, EmailMessage) else None
        self.html = html.get_content() if isinstance(html, EmailMessage) else None
        self.attachments = [
            Attachment(
                part.get_filename(),
                part.get_content_type(),
                _decoded(part),
            )
            for part in parsed.iter_attachments()
            if isinstance(part, EmailMessage)
        ]

    def recipients(self) -> set[str]:
        headers = [str(self.parsed.get(h, "")) for h in ("To", "Cc")]
        addresses = {a.lower() for a in self.rcpt_tos}
        for _, address in email.utils.getaddresses(headers):
            if address:
                addresses.add(address.lower())
        return addresses

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "from": str(self.parsed.get("From", "")) or self.mail_from,
            "envelope_from": self.mail_from,
            "to": self.rcpt_tos,
            "header_to": str(self.parsed.get("To", "")),
            "subject": str(self.parsed.get("Subject", "")),
            "text": self.text,
            "html_present": self.html is not None,
            "attachments": [
                {"filename": a.filename, "content_type": a.content_type, "size": len(a.payload)}
                for a in self.attachments
            ],
            "received_at": self.received_at,
        }


def _decoded(part: EmailMessage) -> bytes:
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self._ids = itertools.count(1)

    def add(self, mail_from: str, rcpt_tos: list[str], raw: bytes) -> Message:
        message = Message(next(self._ids), mail_from, list(rcpt_tos), raw)
        self.messages.append(message)
        return message

    def find(self, message_id: int) -> Message | None:
        return next((m for m in self.messages if m.id == message_id), None)

    def clear(self) -> None:
        self.messages.clear()


class SinkHandler:
    """aiosmtpd handler: every DATA is accepted into the mailbox."""

    def __init__(self, mailbox: Mailbox) -> None:
        self.mailbox = mailbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        data = raw if isinstance(raw, bytes) else str(raw).encode()
        message = self.mailbox.add(str(envelope.mail_from), list(envelope.rcpt_tos), data)
        log.info(
            "mail received",
            extra={
                "id": message.id,
                "to": message.rcpt_tos,
                "subject": message.summary()["subject"],
            },
        )
        return "250 Message accepted for delivery"
