"""The document repository: loads and saves `Document` aggregates.

Saves are compare-and-set on the version read (a concurrent writer makes the save fail
with VERSION_CONFLICT instead of overwriting); inserts of a second invoice/proforma for
an order or a second credit for a return are refused by unique indexes and reported as
"not added", so the caller returns the document that exists.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import RowMapping

from cypher_runtime.db import UnitOfWork
from cypher_runtime.errors import Conflict
from integration.db.codec import draft_json, draft_of, source_json, source_of
from integration.db.tables import documents, link_runs
from integration.domain.documents import DocRef, Document, DocumentKind, PaymentStatus, Phase


class VersionConflict(Conflict):
    code = "VERSION_CONFLICT"


def _row(doc: Document) -> dict[str, Any]:
    totals = doc.totals
    return {
        "id": doc.id,
        "kind": doc.kind.value,
        "order_id": doc.order_id,
        "customer_id": doc.customer_id,
        "series": doc.series,
        "number": doc.number,
        "phase": doc.phase.value,
        "source": source_json(doc.source),
        "draft": None if doc.draft is None else draft_json(doc.draft),
        "vat_date": doc.vat_date,
        "issue_date": doc.issue_date,
        "currency": doc.source.currency,
        "net": None if totals is None else totals.net,
        "vat": None if totals is None else totals.vat,
        "gross": None if totals is None else totals.gross,
        "estimate_series": doc.estimate.series if doc.estimate else None,
        "estimate_number": doc.estimate.number if doc.estimate else None,
        "credit_of": doc.credit_of,
        "credit_of_series": doc.credit_of_ref.series if doc.credit_of_ref else None,
        "credit_of_number": doc.credit_of_ref.number if doc.credit_of_ref else None,
        "storno": doc.storno,
        "return_id": doc.return_id,
        "number_floor": doc.number_floor,
        "attempts": doc.attempts,
        "refusals": doc.refusals,
        "next_attempt_at": doc.next_attempt_at,
        "needs_review": doc.needs_review,
        "error": doc.error,
        "total_paid": doc.total_paid,
        "payment_status": doc.payment_status.value,
        "paid_at": doc.paid_at,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "version": doc.version,
    }


def document_of(row: RowMapping) -> Document:
    estimate = (
        DocRef(row["estimate_series"], row["estimate_number"])
        if row["estimate_number"] is not None
        else None
    )
    credit_ref = (
        DocRef(row["credit_of_series"], row["credit_of_number"])
        if row["credit_of_number"] is not None
        else None
    )
    return Document(
        id=row["id"],
        kind=DocumentKind(row["kind"]),
        order_id=row["order_id"],
        customer_id=row["customer_id"],
        series=row["series"],
        source=source_of(row["source"]),
        vat_date=row["vat_date"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        phase=Phase(row["phase"]),
        number=row["number"],
        draft=None if row["draft"] is None else draft_of(row["draft"]),
        estimate=estimate,
        credit_of=row["credit_of"],
        credit_of_ref=credit_ref,
        storno=bool(row["storno"]),
        return_id=row["return_id"],
        number_floor=row["number_floor"],
        attempts=int(row["attempts"]),
        refusals=int(row["refusals"]),
        next_attempt_at=row["next_attempt_at"],
        needs_review=bool(row["needs_review"]),
        error=row["error"],
        total_paid=Decimal(row["total_paid"]),
        payment_status=PaymentStatus(row["payment_status"]),
        paid_at=row["paid_at"],
        version=int(row["version"]),
    )


PENDING_PHASES = (Phase.QUEUED.value, Phase.IN_FLIGHT.value, Phase.UNCERTAIN.value)


class Documents:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow
        self._read_versions: dict[uuid.UUID, int] = {}

    def _seen(self, doc: Document | None) -> Document | None:
        if doc is not None:
            self._read_versions[doc.id] = doc.version
        return doc

    async def _one(self, *where: Any, for_update: bool = False) -> Document | None:
        query = select(documents).where(*where)
        if for_update:
            query = query.with_for_update()
        row = (await self.uow.session.execute(query)).mappings().first()
        return self._seen(None if row is None else document_of(row))

    async def _many(self, query: Any) -> list[Document]:
        rows = (await self.uow.session.execute(query)).mappings().all()
        return [doc for row in rows if (doc := self._seen(document_of(row))) is not None]

    # -- loading -----------------------------------------------------------------------
    async def get(self, document_id: uuid.UUID, *, for_update: bool = False) -> Document | None:
        return await self._one(documents.c.id == document_id, for_update=for_update)

    async def of_order(
        self, order_id: uuid.UUID, kind: DocumentKind, *, for_update: bool = False
    ) -> Document | None:
        """The order's invoice or proforma (one each at most)."""
        return await self._one(
            documents.c.order_id == order_id,
            documents.c.kind == kind.value,
            for_update=for_update,
        )

    async def of_return(self, return_id: str) -> Document | None:
        return await self._one(documents.c.return_id == return_id)

    async def credits_of(self, invoice_id: uuid.UUID) -> list[Document]:
        return await self._many(
            select(documents).where(documents.c.credit_of == invoice_id).order_by(documents.c.seq)
        )

    async def next_to_dispatch(self, now: datetime) -> Document | None:
        """The document SmartBill should see next: an unsettled call first (its outcome
        decides the series' numbers), then the oldest intent; a credit note waits until
        its invoice has a number. Locked; the dispatcher holds the SmartBill lock."""
        invoice = documents.alias("invoice")
        credited_issued = (
            select(invoice.c.id)
            .where(invoice.c.id == documents.c.credit_of, invoice.c.phase == Phase.ISSUED.value)
            .exists()
        )
        due = or_(
            documents.c.phase.in_(PENDING_PHASES),
            and_(
                documents.c.phase == Phase.FAILED.value,
                documents.c.needs_review.is_(False),
                documents.c.next_attempt_at <= now,
            ),
        )
        unsettled_first = documents.c.phase.in_((Phase.IN_FLIGHT.value, Phase.UNCERTAIN.value))
        query = (
            select(documents)
            .where(due, or_(documents.c.credit_of.is_(None), credited_issued))
            .order_by(unsettled_first.desc(), documents.c.seq)
            .limit(1)
            .with_for_update(of=documents, skip_locked=True)
        )
        found = await self._many(query)
        return found[0] if found else None

    async def claimed_numbers(self, series: str, low: int, high: int) -> set[int]:
        """Numbers in [low, high) of the series that our documents already hold."""
        rows = await self.uow.session.execute(
            select(documents.c.number).where(
                documents.c.series == series, documents.c.number.is_not(None)
            )
        )
        held = set()
        for (number,) in rows:
            if str(number).isdigit() and low <= int(number) < high:
                held.add(int(number))
        return held

    async def highest_number(self, series: str) -> str | None:
        """The highest number our documents hold in the series, as SmartBill spells it."""
        rows = await self.uow.session.execute(
            select(documents.c.number).where(
                documents.c.series == series, documents.c.number.is_not(None)
            )
        )
        numbers = [str(n) for (n,) in rows if str(n).isdigit()]
        return max(numbers, key=int, default=None)

    async def claim_payment_checks(
        self, now: datetime, next_check: datetime, limit: int
    ) -> list[Document]:
        """Unpaid issued invoices due for a payment poll, claimed (their next check moved
        on) so that other replicas skip them; SKIP LOCKED keeps replicas apart."""
        due = (
            select(documents.c.id)
            .where(
                documents.c.kind == DocumentKind.INVOICE.value,
                documents.c.phase == Phase.ISSUED.value,
                documents.c.payment_status != PaymentStatus.PAID.value,
                or_(
                    documents.c.next_payment_check_at.is_(None),
                    documents.c.next_payment_check_at <= now,
                ),
            )
            .order_by(documents.c.next_payment_check_at.nulls_first(), documents.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [row[0] for row in await self.uow.session.execute(due)]
        if not ids:
            return []
        await self.uow.session.execute(
            update(documents)
            .where(documents.c.id.in_(ids))
            .values(next_payment_check_at=next_check)
        )
        return await self._many(select(documents).where(documents.c.id.in_(ids)))

    # -- saving ------------------------------------------------------------------------
    async def add(self, doc: Document) -> bool:
        """Insert a new document; False when a unique rule says it already exists."""
        result = await self.uow.session.execute(
            insert(documents).values(**_row(doc)).on_conflict_do_nothing()
        )
        added = bool(getattr(result, "rowcount", 0))
        if added:
            self._read_versions[doc.id] = doc.version
        return added

    async def save(self, doc: Document) -> None:
        read = self._read_versions.get(doc.id)
        if read is None:
            raise RuntimeError(f"document {doc.id} saved without being loaded")
        if read == doc.version:
            return
        values = _row(doc)
        del values["id"]
        result = await self.uow.session.execute(
            update(documents)
            .where(documents.c.id == doc.id, documents.c.version == read)
            .values(**values)
        )
        if not getattr(result, "rowcount", 0):
            raise VersionConflict(
                f"document {doc.id} changed concurrently", details={"document_id": str(doc.id)}
            )
        self._read_versions[doc.id] = doc.version


async def record_run(
    uow: UnitOfWork, name: str, *, at: datetime, ok: bool, error: str = ""
) -> None:
    """One run of a recurring link activity (dispatch, payment poll)."""
    values: dict[str, Any] = {
        "name": name,
        "last_run_at": at,
        "last_status": "succeeded" if ok else "failed",
        "last_error": "" if ok else error[:500],
    }
    if ok:
        values["last_success_at"] = at
    stmt = insert(link_runs).values(**values)
    update_values = {k: stmt.excluded[k] for k in values if k != "name"}
    await uow.session.execute(
        stmt.on_conflict_do_update(index_elements=[link_runs.c.name], set_=update_values)
    )


async def backlog(uow: UnitOfWork) -> dict[str, int]:
    rows = await uow.session.execute(
        select(
            documents.c.kind, documents.c.phase, documents.c.payment_status, func.count()
        ).group_by(documents.c.kind, documents.c.phase, documents.c.payment_status)
    )
    counts = {"pending_invoices": 0, "pending_proformas": 0, "failed": 0, "unpaid_invoices": 0}
    for kind, phase, payment, count in rows:
        if phase in PENDING_PHASES:
            key = "pending_proformas" if kind == DocumentKind.PROFORMA.value else "pending_invoices"
            counts[key] += int(count)
        elif phase == Phase.FAILED.value:
            counts["failed"] += int(count)
        elif (
            phase == Phase.ISSUED.value
            and kind == DocumentKind.INVOICE.value
            and payment != PaymentStatus.PAID.value
        ):
            counts["unpaid_invoices"] += int(count)
    return counts
