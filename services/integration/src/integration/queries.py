"""Reads for the list and status screens: invoices newest first, link runs (SmartBill's,
the shop sync's, the mail log's), backlog."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from cypher_runtime.db import UnitOfWork
from cypher_runtime.paging import CursorCodec
from integration.db.documents import backlog, document_of
from integration.db.tables import documents, link_runs
from integration.domain.documents import Document, DocumentKind, PaymentStatus
from integration.mail.db import MailLog, mail_log
from integration.mail.domain.mails import MailStatus
from integration.shop.db import FAILED, PENDING, ShopItems, shop_runs
from integration.shop.domain.runs import RunStatus, SyncMode
from integration.smartbill.guard import LinkStatus

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
    """SmartBill documents, shop items and mails still to go (or stopped)."""
    counts = await backlog(uow)
    items = await ShopItems(uow).counts()
    mails = await MailLog(uow).counts()
    counts["pending_woo_items"] = items[PENDING]
    counts["failed_woo_items"] = items[FAILED]
    counts["pending_mails"] = mails[MailStatus.PENDING.value]
    return counts


SHOP_RUN_NAMES = {
    SyncMode.FULL: "woocommerce_full",
    SyncMode.INCREMENTAL: "woocommerce_incremental",
    SyncMode.RETRY_FAILED: "woocommerce_retry_failed",
}
_RUN_STATUS = {
    RunStatus.RUNNING.value: "running",
    RunStatus.SUCCEEDED.value: "succeeded",
    RunStatus.PARTIAL.value: "partial",
    RunStatus.FAILED.value: "failed",
}


async def shop_run_list(uow: UnitOfWork) -> list[Run]:
    """Per sync mode that ever ran: its latest run and the end of its latest clean one."""
    latest = (
        select(
            shop_runs.c.mode,
            shop_runs.c.status,
            shop_runs.c.started_at,
            shop_runs.c.error,
            func.row_number()
            .over(partition_by=shop_runs.c.mode, order_by=shop_runs.c.started_at.desc())
            .label("rank"),
        )
    ).subquery()
    rows = await uow.session.execute(
        select(latest.c.mode, latest.c.status, latest.c.started_at, latest.c.error).where(
            latest.c.rank == 1
        )
    )
    last = {row.mode: row for row in rows}
    ended = await uow.session.execute(
        select(shop_runs.c.mode, func.max(shop_runs.c.finished_at))
        .where(shop_runs.c.status == RunStatus.SUCCEEDED.value)
        .group_by(shop_runs.c.mode)
    )
    successes: dict[str, datetime] = {str(mode): at for mode, at in ended}
    return [
        Run(
            name=name,
            last_run_at=last[mode.value].started_at,
            last_success_at=successes.get(mode.value),
            last_status=_RUN_STATUS.get(last[mode.value].status, last[mode.value].status),
            last_error=last[mode.value].error,
        )
        for mode, name in SHOP_RUN_NAMES.items()
        if mode.value in last
    ]


async def last_mail_sent_at(uow: UnitOfWork) -> datetime | None:
    """When the newest mail was accepted by the SMTP server (kept across restarts)."""
    at: datetime | None = (
        await uow.session.execute(
            select(func.max(mail_log.c.sent_at)).where(mail_log.c.status == MailStatus.SENT.value)
        )
    ).scalar()
    return at


def guard_run(status: LinkStatus, durable_success_at: datetime | None = None) -> Run:
    """A guard as a status line: its last call through, the last that failed and which
    came last. `durable_success_at` (kept in the database) stands in after a restart."""
    success = status.last_success_at
    if durable_success_at is not None and (success is None or durable_success_at > success):
        success = durable_success_at
    error_at = status.last_error_at
    if success is None and error_at is None:
        state = ""
    elif error_at is not None and (success is None or error_at > success):
        state = "failed"
    else:
        state = "succeeded"
    last = max((t for t in (success, error_at) if t is not None), default=None)
    return Run(status.name, last, success, state, status.last_error)
