"""Orders (REST_API.md "Orders"), through gRPC to orders; GET /orders/{id} aggregates
the reservation (inventory) and the invoice/payment state (integration), degrading to
null + a metadata note when one of them does not answer.

Status changes are authorized per target status: fulfilment statuses need
`orders:fulfil` (warehouse), money statuses `orders:money` (finance), the rest
`orders:write` (sales); admin holds all.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Annotated, Any, Literal

import grpc
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from cypher.common.v1 import pagination_pb2
from cypher.integration.v1 import integration_pb2, integration_pb2_grpc
from cypher.inventory.v1 import inventory_pb2
from cypher.orders.v1 import orders_pb2
from cypher_runtime.grpc_client import call
from gateway import rbac
from gateway.catalog import priced_line_view
from gateway.deps import DEFAULT_LIMIT, Cursor, InventoryStub, Limit, Settings, require
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.idempotency import IdempotencyDep
from gateway.routes.customers import (
    AddressIn,
    OrdersStub,
    Strict,
    address_to_proto,
    address_view,
    optional_part,
    time_view,
)
from gateway.security import Principal

router = APIRouter(tags=["orders"])

View = Envelope[dict[str, Any]]
ListView = Envelope[list[dict[str, Any]]]

STATUSES = tuple(
    n.removeprefix("ORDER_STATUS_")
    for n in orders_pb2.OrderStatus.keys()  # noqa: SIM118 - an enum wrapper, not a dict
    if n != "ORDER_STATUS_UNSPECIFIED"
)
StatusName = Literal[
    "QUOTE_PENDING", "QUOTE_SENT", "QUOTE_ACCEPTED", "ORDER_CONFIRMED", "SUPPLIER_ORDER_PLACED",
    "AWAITING_DELIVERY", "IN_PREPARATION", "READY_TO_SHIP", "SHIPPED", "DELIVERED", "INVOICED",
    "PAID", "RETURNED", "CANCELLED",
]  # fmt: skip
FULFILMENT = frozenset({"IN_PREPARATION", "READY_TO_SHIP", "SHIPPED", "DELIVERED"})
MONEY = frozenset({"INVOICED", "PAID"})
RESERVATION_STATUS = {
    v: k.removeprefix("RESERVATION_STATUS_") for k, v in inventory_pb2.ReservationStatus.items()
}


def status_permission(status: str) -> str:
    if status in FULFILMENT:
        return "orders:fulfil"
    if status in MONEY:
        return "orders:money"
    return "orders:write"


if TYPE_CHECKING:
    IntegrationAsync = integration_pb2_grpc.IntegrationServiceAsyncStub
else:
    IntegrationAsync = integration_pb2_grpc.IntegrationServiceStub


def integration_stub(request: Request) -> IntegrationAsync:
    return request.app.state.upstreams.stub(  # type: ignore[no-any-return]
        "integration", integration_pb2_grpc.IntegrationServiceStub
    )


IntegrationStub = Annotated[IntegrationAsync, Depends(integration_stub)]


class LineIn(Strict):
    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1_000_000)


class OrderCreate(Strict):
    customer_id: uuid.UUID
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    allow_backorder: bool = False
    notes: str | None = Field(default=None, max_length=2000)
    shipping_address: AddressIn | None = None


class QuoteRequestCreate(Strict):
    customer_id: uuid.UUID
    lines: list[LineIn] = Field(min_length=1, max_length=500)
    notes: str | None = Field(default=None, max_length=2000)
    shipping_address: AddressIn | None = None


class StatusChange(Strict):
    status: StatusName
    reason: str | None = Field(default=None, max_length=500)
    expected_version: int | None = Field(default=None, ge=1)


class ShipmentCreate(Strict):
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    carrier: str | None = Field(default=None, max_length=100)
    tracking_number: str | None = Field(default=None, max_length=100)


class DeliveryCreate(Strict):
    shipment_id: uuid.UUID


class CancelRequest(Strict):
    reason: str = Field(default="", max_length=500)


class ReturnCreate(Strict):
    lines: list[LineIn] = Field(default_factory=list, max_length=500)
    reason: str = Field(default="", max_length=500)


def status_name(value: int) -> str | None:
    name = orders_pb2.OrderStatus.Name(value)  # type: ignore[arg-type]
    return None if name == "ORDER_STATUS_UNSPECIFIED" else name.removeprefix("ORDER_STATUS_")


def _lines(items: Any) -> list[dict[str, Any]]:
    return [{"sku": ln.sku, "quantity": ln.quantity} for ln in items]


def shipment_view(s: orders_pb2.Shipment) -> dict[str, Any]:
    return {
        "id": s.id,
        "lines": _lines(s.lines),
        "status": orders_pb2.ShipmentStatus.Name(s.status).removeprefix("SHIPMENT_STATUS_"),
        "carrier": s.carrier or None,
        "tracking_number": s.tracking_number or None,
        "shipped_at": time_view(s, "shipped_at"),
        "delivered_at": time_view(s, "delivered_at"),
    }


def order_view(o: orders_pb2.Order) -> dict[str, Any]:
    return {
        "id": o.id,
        "number": o.number or None,
        "customer_id": o.customer_id,
        "status": status_name(o.status),
        "source": orders_pb2.OrderSource.Name(o.source).removeprefix("ORDER_SOURCE_"),
        "quotation_id": o.quotation_id or None,
        "lines": [
            {
                "sku": ln.sku,
                "quantity": ln.quantity,
                "shipped_quantity": ln.shipped_quantity,
                "delivered_quantity": ln.delivered_quantity,
                "returned_quantity": ln.returned_quantity,
                "backordered_quantity": ln.backordered_quantity,
                "price": priced_line_view(ln.price) if ln.HasField("price") else None,
                "price_locked": ln.price_locked,
            }
            for ln in o.lines
        ],
        "totals": {
            "net": o.totals.net.amount,
            "vat": o.totals.vat.amount,
            "gross": o.totals.gross.amount,
        },
        "currency": o.currency,
        "allow_backorder": o.allow_backorder,
        "notes": o.notes or None,
        "shipping_address": address_view(o, "shipping_address"),
        "shipments": [shipment_view(s) for s in o.shipments],
        "returns": [
            {
                "id": r.id,
                "lines": _lines(r.lines),
                "reason": r.reason,
                "created_at": time_view(r, "created_at"),
            }
            for r in o.returns
        ],
        "reservation_id": o.reservation_id or None,
        "pricing_date": o.pricing_date or None,
        "version": o.version,
        "created_at": time_view(o, "created_at"),
        "updated_at": time_view(o, "updated_at"),
        "confirmed_at": time_view(o, "confirmed_at"),
        "invoice_id": o.invoice_id or None,
        "amount_paid": o.amount_paid.amount or None,
    }


def history_view(h: orders_pb2.StatusChange) -> dict[str, Any]:
    return {
        "from": status_name(h.from_status),
        "to": status_name(h.to_status),
        "actor": h.actor,
        "reason": h.reason or None,
        "changed_at": time_view(h, "changed_at"),
    }


def reservation_view(r: inventory_pb2.Reservation) -> dict[str, Any]:
    return {
        "id": r.id,
        "status": RESERVATION_STATUS.get(r.status),
        "allocations": [
            {
                "sku": a.sku,
                "warehouse": a.warehouse,
                "quantity": a.quantity,
                "committed_quantity": a.committed_quantity,
            }
            for a in r.allocations
        ],
        "backorders": [
            {"sku": b.sku, "quantity": b.quantity, "expected_date": b.expected_date or None}
            for b in r.backorders
        ],
        "expires_at": time_view(r, "expires_at"),
    }


async def _reservations(
    inventory: InventoryStub, order_id: str, timeout: float, notes: dict[str, str]
) -> list[dict[str, Any]] | None:
    try:
        reply = await optional_part(
            "inventory",
            call(
                inventory.GetReservation,
                inventory_pb2.GetReservationRequest(order_id=order_id),
                timeout=timeout,
                idempotent=True,
                attempts=1,
            ),
            notes,
        )
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            return []
        raise
    return None if reply is None else [reservation_view(reply.reservation)]


def _invoice_view(i: integration_pb2.Invoice) -> dict[str, Any]:
    return {
        "id": i.id,
        "series": i.series,
        "number": i.number,
        "payment_status": integration_pb2.PaymentStatus.Name(i.payment_status),
        "amount_paid": i.amount_paid.amount or None,
        "total": i.totals.gross.amount or None,
    }


def _actor_key(user: Principal, key: str | None) -> str:
    # Keys are per client: two users choosing the same key never share an order.
    return f"{user.user_id}:{key}" if key else ""


@router.post("/orders", status_code=201, response_model=View, summary="Place an order (saga)")
async def create_order(
    body: OrderCreate,
    orders: OrdersStub,
    inventory: InventoryStub,
    settings: Settings,
    idem: IdempotencyDep,
    user: Annotated[Principal, require("orders:write")],
) -> JSONResponse:
    async def place() -> JSONResponse:
        reply = await call(
            orders.CreateOrder,
            orders_pb2.CreateOrderRequest(
                customer_id=str(body.customer_id),
                lines=[
                    orders_pb2.OrderLineInput(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                allow_backorder=body.allow_backorder,
                notes=body.notes or "",
                shipping_address=address_to_proto(body.shipping_address),
                idempotency_key=_actor_key(user, idem.key),
            ),
            # The saga does pricing + reservation + confirmation: a longer deadline.
            timeout=max(settings.upstream_timeout_seconds, 15.0),
            # Safe to retry only with a key: orders then returns the same order.
            idempotent=bool(idem.key),
        )
        notes: dict[str, str] = {}
        view = order_view(reply.order)
        view["reservations"] = await _reservations(
            inventory, reply.order.id, settings.aggregate_part_timeout_seconds, notes
        )
        meta: dict[str, Any] = {"replayed": reply.replayed}
        if notes:
            meta["degraded"] = notes
        return ok(view, status_code=201, **meta)

    return await idem.run(body, place)


@router.post(
    "/orders/quote-requests",
    status_code=201,
    response_model=View,
    summary="A customer's quote request",
)
async def create_quote_request(
    body: QuoteRequestCreate,
    orders: OrdersStub,
    settings: Settings,
    idem: IdempotencyDep,
    user: Annotated[Principal, require("orders:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            orders.CreateQuoteRequest,
            orders_pb2.CreateQuoteRequestRequest(
                customer_id=str(body.customer_id),
                lines=[
                    orders_pb2.LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                notes=body.notes or "",
                shipping_address=address_to_proto(body.shipping_address),
                idempotency_key=_actor_key(user, idem.key),
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=bool(idem.key),
        )
        return ok(order_view(reply.order), status_code=201)

    return await idem.run(body, create)


@router.get("/orders", response_model=ListView, summary="Orders, newest first")
async def list_orders(
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("orders:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: Annotated[
        str | None, Query(max_length=400, description="one or several, comma-separated")
    ] = None,
    customer_id: uuid.UUID | None = None,
) -> JSONResponse:
    wanted = [s.strip().upper() for s in (status or "").split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise ApiError(
            400, "VALIDATION_ERROR", "unknown status", {"fields": {"status": ", ".join(unknown)}}
        )
    reply = await call(
        orders.ListOrders,
        orders_pb2.ListOrdersRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            statuses=[orders_pb2.OrderStatus.Value(f"ORDER_STATUS_{s}") for s in wanted],
            customer_id=str(customer_id) if customer_id else "",
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok([order_view(o) for o in reply.orders], next_cursor=reply.page.next_cursor or None)


@router.get(
    "/orders/{order_id}",
    response_model=View,
    summary="An order with its history, reservations and invoice/payment state",
)
async def get_order(
    order_id: uuid.UUID,
    orders: OrdersStub,
    inventory: InventoryStub,
    integration: IntegrationStub,
    settings: Settings,
    _: Annotated[object, require("orders:read")],
) -> JSONResponse:
    timeout, part = settings.upstream_timeout_seconds, settings.aggregate_part_timeout_seconds
    notes: dict[str, str] = {}
    # The parts are fetched together; the optional ones degrade to null on their own.
    reply, history, reservations, invoices = await asyncio.gather(
        call(
            orders.GetOrder,
            orders_pb2.GetOrderRequest(order_id=str(order_id)),
            timeout=timeout,
            idempotent=True,
        ),
        call(
            orders.GetOrderHistory,
            orders_pb2.GetOrderHistoryRequest(order_id=str(order_id)),
            timeout=timeout,
            idempotent=True,
        ),
        _reservations(inventory, str(order_id), part, notes),
        optional_part(
            "integration",
            call(
                integration.ListInvoices,
                integration_pb2.ListInvoicesRequest(order_id=str(order_id)),
                timeout=part,
                idempotent=True,
                attempts=1,
            ),
            notes,
        ),
    )
    view = order_view(reply.order)
    view["history"] = [history_view(h) for h in history.history]
    view["reservations"] = reservations
    view["invoices"] = None if invoices is None else [_invoice_view(i) for i in invoices.invoices]
    return ok(view, degraded=notes) if notes else ok(view)


@router.get(
    "/orders/{order_id}/history", response_model=ListView, summary="Status history, oldest first"
)
async def get_history(
    order_id: uuid.UUID,
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("orders:read")],
) -> JSONResponse:
    reply = await call(
        orders.GetOrderHistory,
        orders_pb2.GetOrderHistoryRequest(order_id=str(order_id)),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok([history_view(h) for h in reply.history])


@router.post(
    "/orders/{order_id}/status",
    response_model=View,
    summary="Move an order to a status (409 ILLEGAL_TRANSITION with {from, to, allowed})",
)
async def change_status(
    order_id: uuid.UUID,
    body: StatusChange,
    orders: OrdersStub,
    settings: Settings,
    user: Annotated[Principal, require("orders:status")],
) -> JSONResponse:
    needed = status_permission(body.status)
    if not rbac.allowed(user.role, needed):
        raise ApiError(
            403,
            "FORBIDDEN",
            f"role {user.role!r} may not move an order to {body.status}",
            {"required_permission": needed},
        )
    reply = await call(
        orders.ChangeOrderStatus,
        orders_pb2.ChangeOrderStatusRequest(
            order_id=str(order_id),
            status=orders_pb2.OrderStatus.Value(f"ORDER_STATUS_{body.status}"),
            reason=body.reason or "",
            expected_version=body.expected_version or 0,
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=False,
    )
    return ok(order_view(reply.order))


@router.post(
    "/orders/{order_id}/shipments",
    status_code=201,
    response_model=View,
    summary="A (partial) shipment",
)
async def create_shipment(
    order_id: uuid.UUID,
    body: ShipmentCreate,
    orders: OrdersStub,
    settings: Settings,
    idem: IdempotencyDep,
    user: Annotated[Principal, require("orders:fulfil")],
) -> JSONResponse:
    async def ship() -> JSONResponse:
        reply = await call(
            orders.CreateShipment,
            orders_pb2.CreateShipmentRequest(
                order_id=str(order_id),
                lines=[
                    orders_pb2.LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                carrier=body.carrier or "",
                tracking_number=body.tracking_number or "",
                idempotency_key=_actor_key(user, idem.key),
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=bool(idem.key),
        )
        return ok(
            {"order": order_view(reply.order), "shipment": shipment_view(reply.shipment)},
            status_code=201,
        )

    return await idem.run(body, ship)


@router.post(
    "/orders/{order_id}/deliveries", response_model=View, summary="A shipment was delivered"
)
async def record_delivery(
    order_id: uuid.UUID,
    body: DeliveryCreate,
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("orders:fulfil")],
) -> JSONResponse:
    reply = await call(
        orders.RecordDelivery,
        orders_pb2.RecordDeliveryRequest(order_id=str(order_id), shipment_id=str(body.shipment_id)),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,  # idempotent per shipment
    )
    return ok({"order": order_view(reply.order), "shipment": shipment_view(reply.shipment)})


@router.post("/orders/{order_id}/cancel", response_model=View, summary="Cancel before SHIPPED")
async def cancel_order(
    order_id: uuid.UUID,
    body: CancelRequest,
    orders: OrdersStub,
    settings: Settings,
    _: Annotated[object, require("orders:write")],
) -> JSONResponse:
    reply = await call(
        orders.CancelOrder,
        orders_pb2.CancelOrderRequest(order_id=str(order_id), reason=body.reason),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,  # cancelling a cancelled order is a no-op
    )
    return ok(order_view(reply.order))


@router.post(
    "/orders/{order_id}/returns", status_code=201, response_model=View, summary="Goods returned"
)
async def return_order(
    order_id: uuid.UUID,
    body: ReturnCreate,
    orders: OrdersStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Annotated[object, require("orders:write")],
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await call(
            orders.ReturnOrder,
            orders_pb2.ReturnOrderRequest(
                order_id=str(order_id),
                lines=[
                    orders_pb2.LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                reason=body.reason,
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,
        )
        return ok(order_view(reply.order), status_code=201)

    return await idem.run(body, create)


@router.post(
    "/orders/{order_id}/proforma",
    status_code=201,
    response_model=View,
    summary="Proforma (integration)",
)
async def create_proforma(
    order_id: uuid.UUID,
    integration: IntegrationStub,
    settings: Settings,
    _: Annotated[object, require("orders:money")],
) -> JSONResponse:
    # UNIMPLEMENTED until integration lands → 501 through the one error mapping.
    reply = await call(
        integration.CreateProforma,
        integration_pb2.CreateProformaRequest(order_id=str(order_id)),
        timeout=settings.upstream_timeout_seconds,
        idempotent=False,
    )
    p = reply.proforma
    return ok(
        {"id": p.id, "series": p.series, "number": p.number, "total": p.totals.gross.amount},
        status_code=201,
    )
