"""Use cases of mail: record the mail an event asks for (in the consumer's unit of
work; a second record of the same mail is a no-op). Nothing is sent here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from cypher_runtime.clock import Clock
from cypher_runtime.db import UnitOfWork
from integration.mail.db import MailLog
from integration.mail.domain.mails import Attachment, Mail, Template


class MailService:
    def __init__(self, clock: Clock, *, warehouse: str, purchasing: str) -> None:
        self.clock = clock
        self.warehouse = warehouse
        self.purchasing = purchasing

    async def record(
        self,
        uow: UnitOfWork,
        *,
        key: str,
        template: Template,
        event_id: str,
        context: dict[str, Any],
        to_address: str = "",
        customer_id: str = "",
        attachment: Attachment | None = None,
        quotation_pdf_of: str = "",
    ) -> bool:
        now = self.clock.now()
        mail = Mail(
            id=uuid.uuid4(),
            key=key,
            template=template,
            event_id=event_id,
            created_at=now,
            context=context,
            to_address=to_address.strip(),
            customer_id="" if to_address.strip() else customer_id,
            attachment=attachment,
            quotation_pdf_of=quotation_pdf_of,
            next_attempt_at=now,
        )
        return await MailLog(uow).add(mail)

    async def to_warehouse(
        self, uow: UnitOfWork, *, key: str, event_id: str, context: dict[str, Any]
    ) -> bool:
        return await self.record(
            uow,
            key=key,
            template=Template.LOW_STOCK,
            event_id=event_id,
            context=context,
            to_address=self.warehouse,
        )

    async def to_purchasing(
        self, uow: UnitOfWork, *, key: str, event_id: str, context: dict[str, Any]
    ) -> bool:
        return await self.record(
            uow,
            key=key,
            template=Template.PRICE_ALERT,
            event_id=event_id,
            context=context,
            to_address=self.purchasing,
        )


def iso(value: datetime | None) -> str:
    return "" if value is None else value.isoformat()
