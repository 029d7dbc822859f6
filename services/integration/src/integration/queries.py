"""Reads for the list and status screens: invoices newest first, link runs, backlog."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select

from cypher_runtime.db import UnitOfWork
from cypher_runtime.paging import CursorCodec
from integration.db.documents import backlog, document_of
from integration.db.tables import documents, link_runs
from integration.domain.documents import Document, DocumentKind, PaymentStatus

INVOICES_CURSOR = CursorCodec("integration.invoices", (str, str))


@dataclass(frozen=True)
class Page:
    documents: list[Document]
    next_cursor: str


@dataclass(frozen=True)
class Run:
    name: str
    last_run_at: datetime | None
    last_success_at: datetime | None
    last_status: str
    last_error: str


async def list_documents(
    uow: UnitOfWork,
    *,
    limit: int,
    cursor: str,
    order_id: uuid.UUID | None = None,
    kind: DocumentKind | None = None,
    payment_status: PaymentStatus | None = None,
) -> Page:
    after = INVOICES_CURSOR.decode(cursor)
    query = select(documents)
    if order_id is not None:
        query = query.where(documents.c.order_id == order_id)
    if kind is not None:
        query = query.where(documents.c.kind == kind.value)
    if payment_status is not None:
        query = query.where(documents.c.payment_status == payment_status.value)
    if after is not None:
        at, last_id = datetime.fromisoformat(str(after[0])), uuid.UUID(str(after[1]))
        query = query.where(
            or_(
                documents.c.created_at < at,
                and_(documents.c.created_at == at, documents.c.id < last_id),
            )
        )
    query = query.order_by(documents.c.created_at.desc(), documents.c.id.desc()).limit(limit + 1)
    rows = (await uow.session.execute(query)).mappings().all()
    docs = [document_of(row) for row in rows[:limit]]
    next_cursor = ""
    if docs:
        last = docs[-1]
        next_cursor = INVOICES_CURSOR.next_cursor(
            rows, limit, (last.created_at.isoformat(), str(last.id))
        )
    return Page(docs, next_cursor)


async def link_run_list(uow: UnitOfWork) -> list[Run]:
    rows = (await uow.session.execute(select(link_runs).order_by(link_runs.c.name))).mappings()
    return [
        Run(
            name=row["name"],
            last_run_at=row["last_run_at"],
            last_success_at=row["last_success_at"],
            last_status=row["last_status"],
            last_error=row["last_error"],
        )
        for row in rows
    ]


async def backlog_counts(uow: UnitOfWork) -> dict[str, int]:
    return await backlog(uow)
