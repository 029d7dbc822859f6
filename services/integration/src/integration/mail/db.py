"""The mail log: one row per mail (to, template, event id, status, attempts, last
error), unique per mail key so an event never yields its mail twice; and the
dispatcher's claims (FOR UPDATE SKIP LOCKED with a short lease on `next_attempt_at`)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Table,
    Text,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID, insert

from cypher_runtime.db import UnitOfWork
from integration.mail.domain.mails import Attachment, Mail, MailStatus, Template

metadata = MetaData()
TZ = DateTime(timezone=True)

mail_log = Table(
    "mail_log",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("key", Text, nullable=False, unique=True),
    Column("template", Text, nullable=False),
    Column("event_id", Text, nullable=False),
    Column("to_address", Text, nullable=False, server_default=text("''")),
    Column("customer_id", Text, nullable=False, server_default=text("''")),
    Column("subject", Text, nullable=False, server_default=text("''")),
    Column("context", JSONB, nullable=False),
    Column("attachment_name", Text, nullable=True),
    Column("attachment_type", Text, nullable=True),
    Column("attachment", LargeBinary, nullable=True),
    Column("quotation_pdf_of", Text, nullable=False, server_default=text("''")),
    Column("status", Text, nullable=False),
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("last_error", Text, nullable=False, server_default=text("''")),
    Column("next_attempt_at", TZ, nullable=True),
    Column("created_at", TZ, nullable=False),
    Column("sent_at", TZ, nullable=True),
    Index("mail_log_due", "next_attempt_at", postgresql_where=text("status = 'PENDING'")),
    Index("mail_log_event", "event_id"),
)


def _row(mail: Mail) -> dict[str, Any]:
    att = mail.attachment
    return {
        "id": mail.id,
        "key": mail.key,
        "template": mail.template.value,
        "event_id": mail.event_id,
        "to_address": mail.to_address,
        "customer_id": mail.customer_id,
        "subject": mail.subject,
        "context": mail.context,
        "attachment_name": att.filename if att else None,
        "attachment_type": att.content_type if att else None,
        "attachment": att.content if att else None,
        "quotation_pdf_of": mail.quotation_pdf_of,
        "status": mail.status.value,
        "attempts": mail.attempts,
        "last_error": mail.last_error[:1000],
        "next_attempt_at": mail.next_attempt_at,
        "created_at": mail.created_at,
        "sent_at": mail.sent_at,
    }


def mail_of(row: Any) -> Mail:
    attachment = (
        Attachment(row.attachment_name, row.attachment_type, bytes(row.attachment))
        if row.attachment is not None
        else None
    )
    return Mail(
        id=row.id,
        key=row.key,
        template=Template(row.template),
        event_id=row.event_id,
        created_at=row.created_at,
        context=dict(row.context),
        to_address=row.to_address,
        customer_id=row.customer_id if not row.to_address else "",
        attachment=attachment,
        quotation_pdf_of=row.quotation_pdf_of,
        status=MailStatus(row.status),
        attempts=int(row.attempts),
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
        sent_at=row.sent_at,
        subject=row.subject,
    )


class MailLog:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    async def add(self, mail: Mail) -> bool:
        """False when a mail with that key exists (the event was already mailed)."""
        stmt = (
            insert(mail_log)
            .values(_row(mail))
            .on_conflict_do_nothing(index_elements=[mail_log.c.key])
        )
        result = await self.uow.session.execute(stmt)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[Mail]:
        inner = (
            select(mail_log.c.id)
            .where(mail_log.c.status == MailStatus.PENDING.value)
            .where(mail_log.c.next_attempt_at <= now)
            .order_by(mail_log.c.next_attempt_at, mail_log.c.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        stmt = (
            update(mail_log)
            .where(mail_log.c.id.in_(inner.scalar_subquery()))
            .values(next_attempt_at=now + lease)
            .returning(*mail_log.c)
        )
        rows = (await self.uow.session.execute(stmt)).all()
        return sorted((mail_of(r) for r in rows), key=lambda m: m.created_at)

    async def save(self, mail: Mail) -> None:
        values = _row(mail)
        for fixed in ("id", "key", "template", "event_id", "context", "created_at"):
            del values[fixed]
        await self.uow.session.execute(
            update(mail_log).where(mail_log.c.id == mail.id).values(values)
        )

    async def get(self, mail_id: uuid.UUID) -> Mail | None:
        row = (
            await self.uow.session.execute(select(mail_log).where(mail_log.c.id == mail_id))
        ).first()
        return None if row is None else mail_of(row)

    async def counts(self) -> dict[str, int]:
        rows = await self.uow.session.execute(
            select(mail_log.c.status, func.count()).group_by(mail_log.c.status)
        )
        found = {s.value: 0 for s in MailStatus}
        for status, count in rows:
            found[status] = int(count)
        return found
