"""What happens to a placed order (REST_API.md "Orders"): shipments, deliveries,
cancellation and returns, through the orders client (the proforma: routes/invoices.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from cypher.orders.v1 import orders_pb2
from gateway import ownership
from gateway.deps import Orders, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.orders import CancelRequest, DeliveryCreate, ReturnCreate, ShipmentCreate
from gateway.routes.orders import actor_key
from gateway.security import Principal
from gateway.views.orders import (
    Order,
    ShipmentResult,
    order_view,
    shipment_view,
)

router = APIRouter(tags=["orders"])

Fulfil = Annotated[Principal, require("orders:fulfil")]
Write = Annotated[Principal, require("orders:write")]


@router.post(
    "/orders/{order_id}/shipments",
    status_code=201,
    response_model=Envelope[ShipmentResult],
    summary="A (partial) shipment",
)
async def create_shipment(
    order_id: uuid.UUID, body: ShipmentCreate, orders: Orders, idem: IdempotencyDep, user: Fulfil
) -> JSONResponse:
    async def ship() -> JSONResponse:
        reply = await orders.create_shipment(
            orders_pb2.CreateShipmentRequest(
                order_id=str(order_id),
                lines=[
                    orders_pb2.LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                carrier=body.carrier or "",
                tracking_number=body.tracking_number or "",
                idempotency_key=actor_key(user, idem.key),
            )
        )
        result = ShipmentResult(
            order=order_view(reply.order), shipment=shipment_view(reply.shipment)
        )
        return ok(result, status_code=201)

    return await idem.run(body, ship)


@router.post(
    "/orders/{order_id}/deliveries",
    response_model=Envelope[ShipmentResult],
    summary="A shipment was delivered",
)
async def record_delivery(
    order_id: uuid.UUID, body: DeliveryCreate, orders: Orders, _: Fulfil
) -> JSONResponse:
    reply = await orders.record_delivery(
        orders_pb2.RecordDeliveryRequest(order_id=str(order_id), shipment_id=str(body.shipment_id))
    )
    return ok(ShipmentResult(order=order_view(reply.order), shipment=shipment_view(reply.shipment)))


@router.post(
    "/orders/{order_id}/cancel", response_model=Envelope[Order], summary="Cancel before SHIPPED"
)
async def cancel_order(
    order_id: uuid.UUID, body: CancelRequest, orders: Orders, user: Write
) -> JSONResponse:
    await ownership.owned_order(user, orders, order_id)
    reply = await orders.cancel(
        orders_pb2.CancelOrderRequest(order_id=str(order_id), reason=body.reason)
    )
    return ok(order_view(reply.order))


@router.post(
    "/orders/{order_id}/returns",
    status_code=201,
    response_model=Envelope[Order],
    summary="Goods returned",
)
async def return_order(
    order_id: uuid.UUID, body: ReturnCreate, orders: Orders, idem: IdempotencyDep, user: Write
) -> JSONResponse:
    await ownership.owned_order(user, orders, order_id)

    async def create() -> JSONResponse:
        reply = await orders.return_goods(
            orders_pb2.ReturnOrderRequest(
                order_id=str(order_id),
                lines=[
                    orders_pb2.LineQuantity(sku=ln.sku, quantity=ln.quantity) for ln in body.lines
                ],
                reason=body.reason,
                # Scoped to the caller, as the gateway's own key store is: the service
                # applies the change at most once per key (a re-run after a take-over).
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
            )
        )
        return ok(order_view(reply.order), status_code=201)

    return await idem.run(body, create)
