"""Quotations (REST_API.md "Quotations"), through the quotations client.

Writes need `quotations:write` (sales, admin), reads `quotations:read` (sales, user,
admin). Creations take an `Idempotency-Key` (replayed by the gateway, and passed on per
user so the service is idempotent too). `POST /quotations/{id}/convert` answers 201 with
the order (as `GET /orders/{id}` shows it) and the converted quotation; converting again
answers the same order. `GET /quotations/{id}/pdf` is the PDF as sent.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response

from cypher.common.v1 import pagination_pb2
from cypher.quotations.v1 import quotations_pb2 as pb
from cypher_runtime.proto_values import timestamp_pb
from gateway import ownership
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, Orders, Quotations, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.common import LineIn, UtcTime
from gateway.inputs.quotations import (
    QuotationBulkCreate,
    QuotationConvert,
    QuotationCreate,
    QuotationReject,
    QuotationSend,
    QuotationUpdate,
)
from gateway.routes.orders import actor_key
from gateway.security import Principal
from gateway.views.orders import order_view
from gateway.views.quotations import (
    STATUS_PREFIX,
    BulkResult,
    Conversion,
    Quotation,
    StatusName,
    bulk_view,
    quotation_view,
)

router = APIRouter(tags=["quotations"])

Read = Annotated[Principal, require("quotations:read")]
Writer = Annotated[Principal, require("quotations:write")]
Write = Annotated[object, require("quotations:write")]


def _lines(lines: list[LineIn]) -> list[pb.QuotationLineInput]:
    return [pb.QuotationLineInput(sku=ln.sku, quantity=ln.quantity) for ln in lines]


@router.post(
    "/quotations",
    status_code=201,
    response_model=Envelope[Quotation],
    summary="A DRAFT quotation, priced now (prices locked)",
)
async def create_quotation(
    body: QuotationCreate, quotations: Quotations, idem: IdempotencyDep, user: Writer
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await quotations.create(
            pb.CreateQuotationRequest(
                customer_id=str(body.customer_id),
                lines=_lines(body.lines),
                notes=body.notes or "",
                idempotency_key=actor_key(user, idem.key),
                pricing_date=body.pricing_date.isoformat() if body.pricing_date else "",
            )
        )
        return ok(quotation_view(reply.quotation), status_code=201, replayed=reply.replayed)

    return await idem.run(body, create)


@router.post(
    "/quotations/bulk",
    status_code=201,
    response_model=Envelope[BulkResult],
    summary="The same lines for many customers: one DRAFT each, failures per customer",
)
async def bulk_create_quotations(
    body: QuotationBulkCreate, quotations: Quotations, idem: IdempotencyDep, user: Writer
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await quotations.bulk_create(
            pb.BulkCreateQuotationsRequest(
                customer_ids=[str(c) for c in body.customer_ids],
                lines=_lines(body.lines),
                notes=body.notes or "",
                idempotency_key=actor_key(user, idem.key),
            )
        )
        return ok(bulk_view(reply), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/quotations", response_model=Envelope[list[Quotation]], summary="Quotations, newest first"
)
async def list_quotations(
    quotations: Quotations,
    user: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: StatusName | None = None,
    customer_id: uuid.UUID | None = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    expiring_before: Annotated[
        UtcTime | None, Query(description="only SENT ones valid until before this instant")
    ] = None,
) -> JSONResponse:
    request = pb.ListQuotationsRequest(
        page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
        status=pb.QuotationStatus.Value(STATUS_PREFIX + (status or "UNSPECIFIED")),
        customer_id=ownership.list_filter(user, customer_id),
        sku=sku or "",
    )
    if expiring_before is not None:
        request.expiring_before.CopyFrom(timestamp_pb(expiring_before))
    reply = await quotations.list(request)
    return ok(
        [quotation_view(q) for q in reply.quotations], next_cursor=reply.page.next_cursor or None
    )


@router.get("/quotations/{quotation_id}", response_model=Envelope[Quotation], summary="A quotation")
async def get_quotation(
    quotation_id: uuid.UUID, quotations: Quotations, user: Read
) -> JSONResponse:
    reply = await ownership.owned_quotation(user, quotations, quotation_id) or (
        await quotations.get(str(quotation_id))
    )
    return ok(quotation_view(reply.quotation))


@router.patch(
    "/quotations/{quotation_id}",
    response_model=Envelope[Quotation],
    summary="Change a DRAFT (lines are re-priced); 409 NOT_DRAFT otherwise",
)
async def update_quotation(
    quotation_id: uuid.UUID, body: QuotationUpdate, quotations: Quotations, _: Write
) -> JSONResponse:
    request = pb.UpdateQuotationRequest(
        quotation_id=str(quotation_id), expected_version=body.expected_version or 0
    )
    if body.notes is not None:
        request.notes = body.notes
    if body.recipient_email is not None:
        request.recipient_email = body.recipient_email
    if body.lines is not None:
        request.lines.CopyFrom(pb.QuotationLineInputs(items=_lines(body.lines)))
    reply = await quotations.update(request)
    return ok(quotation_view(reply.quotation))


@router.post(
    "/quotations/{quotation_id}/send",
    response_model=Envelope[Quotation],
    summary="DRAFT → SENT: valid 15 days from now; mailed with its PDF",
)
async def send_quotation(
    quotation_id: uuid.UUID,
    quotations: Quotations,
    _: Write,
    body: Annotated[QuotationSend | None, Body()] = None,
) -> JSONResponse:
    reply = await quotations.send(
        pb.SendQuotationRequest(
            quotation_id=str(quotation_id),
            recipient_email=(body.recipient_email or "") if body else "",
            message=(body.message or "") if body else "",
        )
    )
    return ok(quotation_view(reply.quotation))


@router.post(
    "/quotations/{quotation_id}/accept",
    response_model=Envelope[Quotation],
    summary="SENT → ACCEPTED (409 when expired or not SENT)",
)
async def accept_quotation(
    quotation_id: uuid.UUID, quotations: Quotations, _: Write
) -> JSONResponse:
    reply = await quotations.accept(str(quotation_id))
    return ok(quotation_view(reply.quotation))


@router.post(
    "/quotations/{quotation_id}/reject",
    response_model=Envelope[Quotation],
    summary="SENT → REJECTED",
)
async def reject_quotation(
    quotation_id: uuid.UUID,
    quotations: Quotations,
    _: Write,
    body: Annotated[QuotationReject | None, Body()] = None,
) -> JSONResponse:
    reply = await quotations.reject(
        pb.RejectQuotationRequest(
            quotation_id=str(quotation_id), reason=(body.reason or "") if body else ""
        )
    )
    return ok(quotation_view(reply.quotation))


@router.post(
    "/quotations/{quotation_id}/convert",
    status_code=201,
    response_model=Envelope[Conversion],
    summary="An ACCEPTED quotation becomes an order at its locked prices (idempotent)",
)
async def convert_quotation(
    quotation_id: uuid.UUID,
    quotations: Quotations,
    orders: Orders,
    _: Write,
    body: Annotated[QuotationConvert | None, Body()] = None,
) -> JSONResponse:
    reply = await quotations.convert(
        pb.ConvertQuotationRequest(
            quotation_id=str(quotation_id),
            allow_backorder=body.allow_backorder if body else False,
        )
    )
    order = await orders.get_order(reply.order_id)
    view = Conversion(
        order_id=reply.order_id,
        order_number=reply.order_number,
        order=order_view(order.order),
        quotation=quotation_view(reply.quotation),
    )
    return ok(view, status_code=201)


@router.get(
    "/quotations/{quotation_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"}},
    summary="The quotation as a PDF (as sent; a DRAFT is rendered now)",
)
async def quotation_pdf(quotation_id: uuid.UUID, quotations: Quotations, user: Read) -> Response:
    await ownership.owned_quotation(user, quotations, quotation_id)
    reply = await quotations.pdf(str(quotation_id))
    return Response(
        content=reply.content,
        media_type=reply.content_type or "application/pdf",
        headers={"Content-Disposition": f'inline; filename="{reply.filename}"'},
    )
