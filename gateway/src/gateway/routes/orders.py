"""Placing, listing and reading orders, and moving them between statuses
(REST_API.md "Orders"), through the orders client. GET /orders/{id} aggregates the
reservation (inventory) and the invoices (integration) as optional parts.

Status changes are authorized per target status: fulfilment statuses need
`orders:fulfil` (warehouse), money statuses `orders:money` (finance), the rest
`orders:write` (sales); admin holds all."""

from __future__ import annotations

import asyncio
import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.orders.v1 import orders_pb2
from gateway import ownership, rbac
from gateway.clients.parts import Parts
from gateway.convert import address_to_proto
from gateway.deps import DEFAULT_LIMIT, Cursor, Integration, Inventory, Limit, Orders, require
from gateway.envelope import Envelope, ok
from gateway.errors import ApiError
from gateway.idempotency import IdempotencyDep
from gateway.inputs.orders import OrderCreate, OrderStatusChange, QuoteRequestCreate
from gateway.security import Principal
from gateway.views.invoices import invoice_summary_view, payment_view
from gateway.views.orders import (
    Order,
    OrderDetail,
    PlacedOrder,
    StatusChangeEntry,
    history_view,
    order_fields,
    order_view,
    reservation_view,
)

router = APIRouter(tags=["orders"])

STATUSES = tuple(
    n.removeprefix("ORDER_STATUS_")
    for n in orders_pb2.OrderStatus.keys()  # noqa: SIM118 - an enum wrapper, not a dict
    if n != "ORDER_STATUS_UNSPECIFIED"
)
FULFILMENT = frozenset({"IN_PREPARATION", "READY_TO_SHIP", "SHIPPED", "DELIVERED"})
MONEY = frozenset({"INVOICED", "PAID"})
Read = Annotated[Principal, require("orders:read")]
Writer = Annotated[Principal, require("orders:write")]


def status_permission(status: str) -> str:
    if status in FULFILMENT:
        return "orders:fulfil"
    if status in MONEY:
        return "orders:money"
    return "orders:write"


def actor_key(user: Principal, key: str | None) -> str:
    """The idempotency key as sent upstream: per user, so two users choosing the same key
    never share an order."""
    return f"{user.user_id}:{key}" if key else ""


@router.post(
    "/orders",
    status_code=201,
    response_model=Envelope[PlacedOrder],
    summary="Place an order (saga)",
)
async def create_order(
    body: OrderCreate, orders: Orders, inventory: Inventory, idem: IdempotencyDep, user: Writer
) -> JSONResponse:
    async def place() -> JSONResponse:
        reply = await orders.create_order(
            orders_pb2.CreateOrderRequest(
                customer_id=ownership.body_customer(user, body.customer_id),
                lines=[
                    orders_pb2.OrderLineInput(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                allow_backorder=body.allow_backorder,
                notes=body.notes or "",
                shipping_address=address_to_proto(body.shipping_address),
                idempotency_key=actor_key(user, idem.key),
            )
        )
        parts = Parts()
        reservations = await parts.get(
            "reservations", inventory.reservations_of(reply.order.id, part=True)
        )
        placed = PlacedOrder.model_validate(
            {
                **order_fields(reply.order),
                "reservations": None
                if reservations is None
                else [reservation_view(r) for r in reservations],
            }
        )
        return ok(placed, status_code=201, replayed=reply.replayed, **parts.metadata())

    return await idem.run(body, place)


@router.post(
    "/orders/quote-requests",
    status_code=201,
    response_model=Envelope[Order],
    summary="A customer's quote request",
)
async def create_quote_request(
    body: QuoteRequestCreate, orders: Orders, idem: IdempotencyDep, user: Writer
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await orders.create_quote_request(
            orders_pb2.CreateQuoteRequestRequest(
                customer_id=ownership.body_customer(user, body.customer_id),
                lines=[
                    orders_pb2.LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                notes=body.notes or "",
                shipping_address=address_to_proto(body.shipping_address),
                idempotency_key=actor_key(user, idem.key),
            )
        )
        return ok(order_view(reply.order), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/orders/quote-requests",
    response_model=Envelope[list[Order]],
    summary="Quote requests waiting for a quotation (orders in QUOTE_PENDING), newest first",
)
async def list_quote_requests(
    orders: Orders,
    user: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    customer_id: uuid.UUID | None = None,
) -> JSONResponse:
    # Declared before /orders/{order_id}, so the path is never read as an order id.
    reply = await orders.list_orders(
        orders_pb2.ListOrdersRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            statuses=[orders_pb2.ORDER_STATUS_QUOTE_PENDING],
            customer_id=ownership.list_filter(user, customer_id),
        )
    )
    return ok([order_view(o) for o in reply.orders], next_cursor=reply.page.next_cursor or None)


@router.get("/orders", response_model=Envelope[list[Order]], summary="Orders, newest first")
async def list_orders(
    orders: Orders,
    user: Read,
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
    reply = await orders.list_orders(
        orders_pb2.ListOrdersRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            statuses=[orders_pb2.OrderStatus.Value(f"ORDER_STATUS_{s}") for s in wanted],
            customer_id=ownership.list_filter(user, customer_id),
        )
    )
    return ok([order_view(o) for o in reply.orders], next_cursor=reply.page.next_cursor or None)


@router.get(
    "/orders/{order_id}",
    response_model=Envelope[OrderDetail],
    summary="An order with its history, reservations and invoice/payment state",
)
async def get_order(
    order_id: uuid.UUID, orders: Orders, inventory: Inventory, integration: Integration, user: Read
) -> JSONResponse:
    # A partner's order is read (and owned) first: nothing of another's is fetched.
    await ownership.owned_order(user, orders, order_id)
    parts = Parts()
    oid = str(order_id)
    reply, history, reservations, invoices = await asyncio.gather(
        orders.get_order(oid),
        orders.get_history(oid),
        parts.get("reservations", inventory.reservations_of(oid, part=True)),
        parts.get("invoices", integration.invoices_of(oid, part=True)),
    )
    detail = OrderDetail.model_validate(
        {
            **order_fields(reply.order),
            "history": [history_view(h) for h in history.history],
            "reservations": None
            if reservations is None
            else [reservation_view(r) for r in reservations],
            "invoices": None
            if invoices is None
            else [invoice_summary_view(i) for i in invoices.invoices],
            "payment": None if invoices is None else payment_view(list(invoices.invoices)),
        }
    )
    return ok(detail, **parts.metadata())


@router.get(
    "/orders/{order_id}/history",
    response_model=Envelope[list[StatusChangeEntry]],
    summary="Status history, oldest first",
)
async def get_history(order_id: uuid.UUID, orders: Orders, user: Read) -> JSONResponse:
    await ownership.owned_order(user, orders, order_id)
    reply = await orders.get_history(str(order_id))
    return ok([history_view(h) for h in reply.history])


@router.post(
    "/orders/{order_id}/status",
    response_model=Envelope[Order],
    summary="Move an order to a status (409 ILLEGAL_TRANSITION with {from, to, allowed})",
)
async def change_status(
    order_id: uuid.UUID,
    body: OrderStatusChange,
    orders: Orders,
    user: Annotated[Principal, require("orders:status")],
) -> JSONResponse:
    needed = status_permission(body.status)
    if not rbac.principal_allowed(user.role, user.scopes, needed):
        raise ApiError(
            403,
            "FORBIDDEN",
            f"role {user.role!r} may not move an order to {body.status}",
            {"required_permission": needed},
        )
    reply = await orders.change_status(
        orders_pb2.ChangeOrderStatusRequest(
            order_id=str(order_id),
            status=orders_pb2.OrderStatus.Value(f"ORDER_STATUS_{body.status}"),
            reason=body.reason or "",
            expected_version=body.expected_version or 0,
        )
    )
    return ok(order_view(reply.order))
