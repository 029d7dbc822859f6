"""The SMTP sink: a message sent over real SMTP shows on its HTTP side."""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage

import httpx

from cypher_testkit.fakes import Fakes

PDF = b"%PDF-1.4\n% a tiny test document\n%%EOF\n"


def send(fakes: Fakes, message: EmailMessage) -> None:
    with smtplib.SMTP(fakes.smtp_host, fakes.smtp_port, timeout=10) as smtp:
        smtp.send_message(message)


def quotation_mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "CYPHER <oferte@cypher.local>"
    message["To"] = to
    message["Subject"] = "Oferta OF-2026-0001 — corpuri de iluminat"
    message.set_content("Bună ziua, găsiți oferta în atașament.")
    message.add_alternative("<p>Bună ziua, găsiți oferta în atașament.</p>", subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="OF-2026-0001.pdf")
    return message


async def test_message_with_attachment_is_received_and_listed_by_recipient(
    fakes: Fakes,
) -> None:
    await asyncio.to_thread(send, fakes, quotation_mail("achizitii@lumina-construct.example"))
    await asyncio.to_thread(send, fakes, quotation_mail("altcineva@example.com"))
    async with httpx.AsyncClient(base_url=fakes.mail_url, timeout=10) as mail:
        listed = (
            await mail.get("/_fake/messages", params={"to": "achizitii@lumina-construct.example"})
        ).json()
        [message] = listed
        attachment = await mail.get(f"/_fake/messages/{message['id']}/attachments/0")
        raw = await mail.get(f"/_fake/messages/{message['id']}/raw")
        everything = (await mail.get("/_fake/messages")).json()
        cleared = await mail.delete("/_fake/messages")
        after = (await mail.get("/_fake/messages")).json()
    assert message["from"] == "CYPHER <oferte@cypher.local>"
    assert message["to"] == ["achizitii@lumina-construct.example"]
    assert message["subject"] == "Oferta OF-2026-0001 — corpuri de iluminat"
    assert message["text"].strip() == "Bună ziua, găsiți oferta în atașament."
    assert message["html_present"] is True
    assert message["attachments"] == [
        {"filename": "OF-2026-0001.pdf", "content_type": "application/pdf", "size": len(PDF)}
    ]
    assert message["received_at"] > 0
    assert attachment.content == PDF
    assert attachment.headers["content-type"] == "application/pdf"
    assert b"Subject:" in raw.content
    assert len(everything) == 2
    assert cleared.status_code == 200
    assert after == []
