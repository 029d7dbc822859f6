"""Quotations (REST_API.md "Quotations"), through gRPC to the quotations service.

Every answer has a named response model (the envelope's `data` is typed). Writes need
`quotations:write` (sales, admin), reads `quotations:read` (sales, user, admin).
Creations take an `Idempotency-Key` (replayed by the gateway, and passed on per user
so the service is idempotent too). `POST /quotations/{id}/convert` answers 201 with
the order (as `GET /orders/{id}` shows it) and the converted quotation.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import BaseModel, Field

from cypher.common.v1 import pagination_pb2
from cypher.orders.v1 import orders_pb2
from cypher.quotations.v1 import quotations_pb2 as pb
from cypher_runtime.grpc_client import call
from gateway.convert import time_of as time_view
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, OrdersStub, QuotationsStub, Settings, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.common import Strict
from gateway.security import Principal
from gateway.views.catalog import priced_line_view
from gateway.views.common import address_of as address_view
from gateway.views.orders import order_view

router = APIRouter(tags=["quotations"])

StatusName = Literal["DRAFT", "SENT", "ACCEPTED", "REJECTED", "EXPIRED"]
_PREFIX = "QUOTATION_STATUS_"


# -- requests ---------------------------------------------------------------------------------
class QuotationLineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000, description="whole units, at least 1")


class QuotationCreate(Strict):
    customer_id: uuid.UUID
    lines: list[QuotationLineIn] = Field(
        min_length=1,
        max_length=500,
        description="lines with the same sku are merged (quantities added)",
    )
    notes: str | None = Field(default=None, max_length=4000)
    pricing_date: date | None = Field(default=None, description="default: today")


class QuotationBulkCreate(Strict):
    customer_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    lines: list[QuotationLineIn] = Field(min_length=1, max_length=500)
    notes: str | None = Field(default=None, max_length=4000)


class QuotationUpdate(Strict):
    notes: str | None = Field(default=None, max_length=4000)
    lines: list[QuotationLineIn] | None = Field(
        default=None, min_length=1, max_length=500, description="replaces every line (re-priced)"
    )
    recipient_email: str | None = Field(default=None, min_length=3, max_length=254)
    expected_version: int | None = Field(default=None, ge=1)


class QuotationSend(Strict):
    recipient_email: str | None = Field(
        default=None, min_length=3, max_length=254, description="default: the customer's"
    )
    message: str | None = Field(default=None, max_length=4000)


class QuotationReject(Strict):
    reason: str | None = Field(default=None, max_length=4000)


class QuotationConvert(Strict):
    allow_backorder: bool = False


# -- responses --------------------------------------------------------------------------------
class PricedLineView(BaseModel):
    sku: str
    name: str
    unit: str
    quantity: int
    unit_cost: str
    list_price: str
    tier: str | None
    tier_discount_pct: str
    volume_discount_pct: str
    promotion_discount_pct: str
    promotion_id: str | None
    unit_net: str
    vat_category: str | None
    vat_rate: str
    unit_gross: str
    line_net: str
    line_vat: str
    line_gross: str
    margin_pct: str
    margin_floor_applied: bool
    currency: str
    pricing_date: str | None


class QuotationLineView(BaseModel):
    sku: str
    quantity: int
    price: PricedLineView


class TotalsView(BaseModel):
    net: str
    vat: str
    gross: str


class AddressView(BaseModel):
    line1: str = ""
    line2: str = ""
    city: str = ""
    county: str = ""
    postal_code: str = ""
    country: str = ""


class QuotationCustomerView(BaseModel):
    name: str
    company: str | None
    vat_code: str | None
    email: str | None
    phone: str | None
    address: AddressView | None


class QuotationView(BaseModel):
    id: str
    number: str
    customer_id: str
    customer: QuotationCustomerView | None
    status: StatusName
    lines: list[QuotationLineView]
    totals: TotalsView
    currency: str
    notes: str | None
    pricing_date: str
    recipient_email: str | None
    valid_until: str | None
    sent_at: str | None
    accepted_at: str | None
    rejected_at: str | None
    rejection_reason: str | None
    expired_at: str | None
    source_order_id: str | None
    order_id: str | None
    order_number: str | None
    converted_at: str | None
    reminders_sent: list[int] = Field(description="days before expiry")
    reminders_sent_seconds: list[int]
    version: int
    created_at: str | None
    updated_at: str | None


class BulkFailureView(BaseModel):
    customer_id: str
    code: str
    message: str
    details: dict[str, Any]


class BulkView(BaseModel):
    quotations: list[QuotationView]
    failures: list[BulkFailureView]


class ConversionView(BaseModel):
    order_id: str
    order_number: str
    order: dict[str, Any] = Field(description="the order as GET /orders/{id} shows it")
    quotation: QuotationView


QuotationEnvelope = Envelope[QuotationView]
QuotationListEnvelope = Envelope[list[QuotationView]]
BulkEnvelope = Envelope[BulkView]
ConversionEnvelope = Envelope[ConversionView]


# -- views ------------------------------------------------------------------------------------
def status_name(value: int) -> StatusName:
    name = pb.QuotationStatus.Name(value)  # type: ignore[arg-type]
    return name.removeprefix(_PREFIX)  # type: ignore[return-value]


def customer_view(q: pb.Quotation) -> QuotationCustomerView | None:
    if not q.HasField("customer"):
        return None
    c = q.customer
    address = address_view(c, "address")
    return QuotationCustomerView(
        name=c.name,
        company=c.company or None,
        vat_code=c.vat_code or None,
        email=c.email or None,
        phone=c.phone or None,
        address=AddressView(**address.model_dump()) if address else None,
    )


def quotation_view(q: pb.Quotation) -> QuotationView:
    return QuotationView(
        id=q.id,
        number=q.number,
        customer_id=q.customer_id,
        customer=customer_view(q),
        status=status_name(q.status),
        lines=[
            QuotationLineView(
                sku=ln.sku,
                quantity=ln.quantity,
                price=PricedLineView(**priced_line_view(ln.price).model_dump()),
            )
            for ln in q.lines
        ],
        totals=TotalsView(
            net=q.totals.net.amount, vat=q.totals.vat.amount, gross=q.totals.gross.amount
        ),
        currency=q.currency,
        notes=q.notes or None,
        pricing_date=q.pricing_date,
        recipient_email=q.recipient_email or None,
        valid_until=time_view(q, "valid_until"),
        sent_at=time_view(q, "sent_at"),
        accepted_at=time_view(q, "accepted_at"),
        rejected_at=time_view(q, "rejected_at"),
        rejection_reason=q.rejection_reason or None,
        expired_at=time_view(q, "expired_at"),
        source_order_id=q.source_order_id or None,
        order_id=q.order_id or None,
        order_number=q.order_number or None,
        converted_at=time_view(q, "converted_at"),
        reminders_sent=list(q.reminders_sent),
        reminders_sent_seconds=list(q.reminders_sent_seconds),
        version=q.version,
        created_at=time_view(q, "created_at"),
        updated_at=time_view(q, "updated_at"),
    )


def _data(model: BaseModel) -> Any:
    return model.model_dump(mode="json")


def _lines(lines: list[QuotationLineIn]) -> list[pb.QuotationLineInput]:
    return [pb.QuotationLineInput(sku=ln.sku, quantity=ln.quantity) for ln in lines]


def _actor_key(user: Principal, key: str | None) -> str:
    # Keys are per client: two users choosing the same key never share a quotation.
    return f"{user.user_id}:{key}" if key else ""


def _timestamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC))
    return stamp


# -- routes -----------------------------------------------------------------------------------
@router.post(
    "/quotations",
    status_code=201,
    response_model=QuotationEnvelope,
    summary="A DRAFT quotation, priced now (prices locked)",
)
async def create_quotation(
    body: QuotationCreate,
    quotations: QuotationsStub,
    settings: Settings,
    idem: IdempotencyDep,
    user: Annotated[Principal, require("quotations:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            quotations.CreateQuotation,
            pb.CreateQuotationRequest(
                customer_id=str(body.customer_id),
                lines=_lines(body.lines),
                notes=body.notes or "",
                idempotency_key=_actor_key(user, idem.key),
                pricing_date=body.pricing_date.isoformat() if body.pricing_date else "",
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=bool(idem.key),
        )
        return ok(_data(quotation_view(reply.quotation)), status_code=201, replayed=reply.replayed)

    return await idem.run(body, create)


@router.post(
    "/quotations/bulk",
    status_code=201,
    response_model=BulkEnvelope,
    summary="The same lines for many customers: one DRAFT each, failures per customer",
)
async def bulk_create_quotations(
    body: QuotationBulkCreate,
    quotations: QuotationsStub,
    settings: Settings,
    idem: IdempotencyDep,
    user: Annotated[Principal, require("quotations:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            quotations.BulkCreateQuotations,
            pb.BulkCreateQuotationsRequest(
                customer_ids=[str(c) for c in body.customer_ids],
                lines=_lines(body.lines),
                notes=body.notes or "",
                idempotency_key=_actor_key(user, idem.key),
            ),
            # One pricing and one customer call per customer.
            timeout=max(settings.upstream_timeout_seconds, 30.0),
            idempotent=bool(idem.key),
        )
        view = BulkView(
            quotations=[quotation_view(q) for q in reply.quotations],
            failures=[
                BulkFailureView(
                    customer_id=f.customer_id,
                    code=f.error.code,
                    message=f.error.message,
                    details=_struct(f.error.details),
                )
                for f in reply.failures
            ],
        )
        return ok(_data(view), status_code=201)

    return await idem.run(body, create)


def _struct(value: Any) -> dict[str, Any]:
    result = json_format.MessageToDict(value)
    return result if isinstance(result, dict) else {}


@router.get(
    "/quotations",
    response_model=QuotationListEnvelope,
    summary="Quotations, newest first",
)
async def list_quotations(
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: StatusName | None = None,
    customer_id: uuid.UUID | None = None,
    sku: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
    expiring_before: Annotated[
        datetime | None, Query(description="only SENT ones valid until before this instant")
    ] = None,
) -> JSONResponse:
    request = pb.ListQuotationsRequest(
        page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
        status=pb.QuotationStatus.Value(_PREFIX + (status or "UNSPECIFIED")),
        customer_id=str(customer_id) if customer_id else "",
        sku=sku or "",
    )
    if expiring_before is not None:
        request.expiring_before.CopyFrom(_timestamp(expiring_before))
    reply = await call(
        quotations.ListQuotations,
        request,
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [_data(quotation_view(q)) for q in reply.quotations],
        next_cursor=reply.page.next_cursor or None,
    )


@router.get("/quotations/{quotation_id}", response_model=QuotationEnvelope, summary="A quotation")
async def get_quotation(
    quotation_id: uuid.UUID,
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:read")],
) -> JSONResponse:
    reply = await call(
        quotations.GetQuotation,
        pb.GetQuotationRequest(quotation_id=str(quotation_id)),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(_data(quotation_view(reply.quotation)))


@router.patch(
    "/quotations/{quotation_id}",
    response_model=QuotationEnvelope,
    summary="Change a DRAFT (lines are re-priced); 409 NOT_DRAFT otherwise",
)
async def update_quotation(
    quotation_id: uuid.UUID,
    body: QuotationUpdate,
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:write")],
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
    reply = await call(
        quotations.UpdateQuotation,
        request,
        timeout=settings.upstream_timeout_seconds,
        # Not retried: a second PATCH after a lost answer would bump the version again.
        idempotent=False,
    )
    return ok(_data(quotation_view(reply.quotation)))


@router.post(
    "/quotations/{quotation_id}/send",
    response_model=QuotationEnvelope,
    summary="DRAFT → SENT: valid 15 days from now; mailed with its PDF",
)
async def send_quotation(
    quotation_id: uuid.UUID,
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:write")],
    body: Annotated[QuotationSend | None, Body()] = None,
) -> JSONResponse:
    reply = await call(
        quotations.SendQuotation,
        pb.SendQuotationRequest(
            quotation_id=str(quotation_id),
            recipient_email=(body.recipient_email or "") if body else "",
            message=(body.message or "") if body else "",
        ),
        timeout=max(settings.upstream_timeout_seconds, 10.0),
        # A retry after a lost answer would be refused as an illegal transition.
        idempotent=False,
    )
    return ok(_data(quotation_view(reply.quotation)))


@router.post(
    "/quotations/{quotation_id}/accept",
    response_model=QuotationEnvelope,
    summary="SENT → ACCEPTED (409 when expired or not SENT)",
)
async def accept_quotation(
    quotation_id: uuid.UUID,
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:write")],
) -> JSONResponse:
    reply = await call(
        quotations.AcceptQuotation,
        pb.AcceptQuotationRequest(quotation_id=str(quotation_id)),
        timeout=settings.upstream_timeout_seconds,
        # A retry after a lost answer would be refused as an illegal transition.
        idempotent=False,
    )
    return ok(_data(quotation_view(reply.quotation)))


@router.post(
    "/quotations/{quotation_id}/reject",
    response_model=QuotationEnvelope,
    summary="SENT → REJECTED",
)
async def reject_quotation(
    quotation_id: uuid.UUID,
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:write")],
    body: Annotated[QuotationReject | None, Body()] = None,
) -> JSONResponse:
    reply = await call(
        quotations.RejectQuotation,
        pb.RejectQuotationRequest(
            quotation_id=str(quotation_id), reason=(body.reason or "") if body else ""
        ),
        timeout=settings.upstream_timeout_seconds,
        # A retry after a lost answer would be refused as an illegal transition.
        idempotent=False,
    )
    return ok(_data(quotation_view(reply.quotation)))


@router.post(
    "/quotations/{quotation_id}/convert",
    status_code=201,
    response_model=ConversionEnvelope,
    summary="An ACCEPTED quotation becomes an order at its locked prices (idempotent)",
)
async def convert_quotation(
    quotation_id: uuid.UUID,
    quotations: QuotationsStub,
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("quotations:write")],
    body: Annotated[QuotationConvert | None, Body()] = None,
) -> JSONResponse:
    reply = await call(
        quotations.ConvertQuotation,
        pb.ConvertQuotationRequest(
            quotation_id=str(quotation_id),
            allow_backorder=body.allow_backorder if body else False,
        ),
        # Runs orders' placement saga behind it; idempotent by quotation id.
        timeout=max(settings.upstream_timeout_seconds, 30.0),
        idempotent=True,
    )
    order = await call(
        orders.GetOrder,
        orders_pb2.GetOrderRequest(order_id=reply.order_id),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    view = ConversionView(
        order_id=reply.order_id,
        order_number=reply.order_number,
        order=order_view(order.order).model_dump(mode="json", by_alias=True),
        quotation=quotation_view(reply.quotation),
    )
    return ok(_data(view), status_code=201)


@router.get(
    "/quotations/{quotation_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "the PDF"}},
    summary="The quotation as a PDF (as sent; a DRAFT is rendered now)",
)
async def quotation_pdf(
    quotation_id: uuid.UUID,
    quotations: QuotationsStub,
    settings: Settings,
    _: Annotated[object, require("quotations:read")],
) -> Response:
    reply = await call(
        quotations.GetQuotationPdf,
        pb.GetQuotationPdfRequest(quotation_id=str(quotation_id)),
        timeout=max(settings.upstream_timeout_seconds, 10.0),
        idempotent=True,
    )
    return Response(
        content=reply.content,
        media_type=reply.content_type or "application/pdf",
        headers={"Content-Disposition": f'inline; filename="{reply.filename}"'},
    )
