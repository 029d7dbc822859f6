"""SmartBill documents (REST_API.md "Integration" and "Orders"): the invoices of an
order, one invoice, its PDF (SmartBill's own), issuing an invoice by hand and a proforma,
through the integration client.

One invoice and one proforma per order, ever: asking again answers the same document
(`metadata.replayed`). Issuing answers 201 with SmartBill's number, 202 while the
document waits for SmartBill (it is down or slow: the work is queued in the integration
service and goes out when SmartBill is back), and 409 `SMARTBILL_REFUSED` with SmartBill's
text when SmartBill refused it (fix the data, then ask again). An order that is not
delivered (`ORDER_NOT_INVOICEABLE`), a customer lacking invoice data
(`CUSTOMER_DATA_INCOMPLETE`, `details.missing` names the fields) and a proforma for a
cancelled order (`PROFORMA_NOT_ALLOWED`) are 409s with the reason in `details`."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from cypher.integration.v1 import integration_pb2 as pb
from gateway import ownership
from gateway.deps import DEFAULT_LIMIT, Cursor, Integration, Limit, Orders, require
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.idempotency import IdempotencyDep
from gateway.inputs.invoices import InvoiceCreate
from gateway.openapi import errors
from gateway.security import Principal
from gateway.views.invoices import Invoice, invoice_view

router = APIRouter(tags=["invoices"])

Read = Annotated[Principal, require("invoices:read")]
Write = Annotated[object, require("invoices:write")]
Money = Annotated[object, require("orders:money")]

KINDS = {
    "INVOICE": pb.DOCUMENT_KIND_INVOICE,
    "PROFORMA": pb.DOCUMENT_KIND_PROFORMA,
    "CREDIT_NOTE": pb.DOCUMENT_KIND_CREDIT_NOTE,
}
PAYMENT_STATUSES = {
    "UNPAID": pb.PAYMENT_STATUS_UNPAID,
    "PARTIALLY_PAID": pb.PAYMENT_STATUS_PARTIALLY_PAID,
    "PAID": pb.PAYMENT_STATUS_PAID,
}
ISSUE_RESPONSES = {
    **errors(409),
    202: {
        "model": Envelope[Invoice],
        "description": "Queued: SmartBill has not given the number yet (status PENDING); "
        "it is issued when SmartBill answers again",
    },
}


def issued(document: pb.Invoice, *, replayed: bool | None = None) -> JSONResponse:
    """201 with the number, 202 while queued; SmartBill's refusal is a 409 naming it."""
    if document.status == pb.DOCUMENT_STATUS_FAILED:
        kind = "proforma" if document.kind == pb.DOCUMENT_KIND_PROFORMA else "invoice"
        reason = document.error or "refused"
        raise ApiError(
            409,
            "SMARTBILL_REFUSED",
            f"SmartBill refused the {kind}: {reason}",
            {
                "invoice_id": document.id,
                "order_id": document.order_id,
                "smartbill_error": document.error or None,
                "needs_review": document.needs_review,
                "attempts": document.attempts,
            },
        )
    status_code = 202 if document.status == pb.DOCUMENT_STATUS_PENDING else 201
    meta = {} if replayed is None else {"replayed": replayed}
    return ok(invoice_view(document), status_code=status_code, **meta)


@router.get(
    "/invoices",
    response_model=Envelope[list[Invoice]],
    summary="SmartBill documents (invoices, proformas, credit notes), newest first",
)
async def list_invoices(
    integration: Integration,
    orders: Orders,
    user: Read,
    order_id: uuid.UUID | None = None,
    kind: Literal["INVOICE", "PROFORMA", "CREDIT_NOTE"] | None = None,
    payment_status: Literal["UNPAID", "PARTIALLY_PAID", "PAID"] | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> JSONResponse:
    if ownership.customer_of(user) is not None:
        # The documents list has no customer filter upstream: a partner lists the
        # documents of one of its orders (order_id required, and its own).
        if order_id is None:
            raise ApiError(
                400,
                "VALIDATION_ERROR",
                "a partner lists invoices per order",
                {"fields": {"order_id": "required"}},
            )
        await ownership.owned_order(user, orders, order_id)
    reply = await integration.list_invoices(
        limit=limit,
        cursor=cursor,
        order_id=str(order_id) if order_id else None,
        kind=KINDS[kind] if kind else pb.DOCUMENT_KIND_UNSPECIFIED,
        payment_status=PAYMENT_STATUSES[payment_status]
        if payment_status
        else pb.PAYMENT_STATUS_UNSPECIFIED,
    )
    return ok([invoice_view(i) for i in reply.invoices], next_cursor=reply.page.next_cursor or None)


@router.get("/invoices/{invoice_id}", response_model=Envelope[Invoice], summary="One document")
async def get_invoice(invoice_id: uuid.UUID, integration: Integration, user: Read) -> JSONResponse:
    reply = await ownership.owned_invoice(user, integration, invoice_id) or (
        await integration.get_invoice(str(invoice_id))
    )
    return ok(invoice_view(reply.invoice))


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "SmartBill's PDF"},
        **errors(409),
    },
    summary="The document's PDF as SmartBill renders it (409 DOCUMENT_NOT_ISSUED while "
    "it has no number; 503 while SmartBill is unavailable)",
)
async def invoice_pdf(invoice_id: uuid.UUID, integration: Integration, user: Read) -> Response:
    await ownership.owned_invoice(user, integration, invoice_id)
    reply = await integration.invoice_pdf(str(invoice_id))
    return Response(
        content=reply.content,
        media_type=reply.content_type or "application/pdf",
        headers={"Content-Disposition": f'inline; filename="{reply.filename}"'},
    )


@router.post(
    "/invoices",
    status_code=201,
    response_model=Envelope[Invoice],
    responses=ISSUE_RESPONSES,
    summary="Issue the SmartBill invoice of a delivered order (normally automatic on "
    "delivery); a repeat answers the same invoice",
)
async def create_invoice(
    body: InvoiceCreate, integration: Integration, idem: IdempotencyDep, _: Write
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await integration.create_invoice(str(body.order_id))
        return issued(reply.invoice, replayed=reply.replayed)

    return await idem.run(body, create)


@router.post(
    "/orders/{order_id}/proforma",
    status_code=201,
    response_model=Envelope[Invoice],
    responses=ISSUE_RESPONSES,
    tags=["orders"],
    summary="Issue a SmartBill proforma (estimate) of the order; the order's invoice is "
    "then made from it. A repeat answers the same proforma",
)
async def create_proforma(
    order_id: uuid.UUID, integration: Integration, idem: IdempotencyDep, _: Money
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await integration.create_proforma(str(order_id))
        return issued(reply.proforma)

    return await idem.run({"order_id": str(order_id)}, create)
