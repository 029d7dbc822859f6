"""Cancelling an issued invoice in SmartBill (`PUT /invoice/cancel`): the document keeps
its number — a cancelled invoice is never deleted, so the series has no gap.

Two steps: the call, then the record. Cancelling is safe to repeat, so an unknown
outcome is simply reported (503) and the person asks again; nothing is recorded as
cancelled before SmartBill said so.
"""

from __future__ import annotations

import uuid

from cypher_runtime.clock import Clock
from cypher_runtime.db import Database
from integration.db.documents import Documents
from integration.domain.documents import Document, DocumentKind, Phase
from integration.errors import IllegalDocumentState, InvoiceNotFound, SmartBillUnavailable
from integration.ports import SmartBillPort
from integration.service import InvoicingService
from integration.smartbill.outcomes import NotSent, Refused, Uncertain


async def cancel_invoice(
    db: Database,
    service: InvoicingService,
    smartbill: SmartBillPort,
    clock: Clock,
    document_id: uuid.UUID,
) -> Document:
    async with db.unit_of_work() as uow:
        doc = await Documents(uow).get(document_id)
    if doc is None:
        raise InvoiceNotFound(str(document_id))
    if doc.phase == Phase.CANCELLED:
        return doc
    ref = doc.ref
    if doc.phase != Phase.ISSUED or ref is None or doc.kind == DocumentKind.PROFORMA:
        raise IllegalDocumentState(str(doc.id), f"{doc.kind.value} {doc.phase.value}", "cancel")
    try:
        await smartbill.cancel_invoice(ref)
    except Refused as exc:
        raise IllegalDocumentState(
            str(doc.id), f"refused by SmartBill: {exc.message}", "cancel"
        ) from exc
    except (NotSent, Uncertain) as exc:
        raise SmartBillUnavailable(exc.message) from exc
    async with db.unit_of_work() as uow:
        repo = Documents(uow)
        current = await repo.get(document_id, for_update=True)
        assert current is not None
        if current.phase == Phase.ISSUED:
            current.cancel(clock.now())
            await service.save(uow, repo, current)
            await uow.commit()
        return current
