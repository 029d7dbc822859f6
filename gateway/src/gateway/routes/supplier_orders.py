"""Supplier orders (REST_API.md "Suppliers"): DRAFT → PLACED → CONFIRMED → SHIPPED →
RECEIVED (partial receipts per line) | CANCELLED, through gRPC to the suppliers service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import money_pb2
from cypher.suppliers.v1 import suppliers_pb2 as pb
from gateway.deps import DEFAULT_LIMIT, Cursor, Limit, Suppliers, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.suppliers import (
    ORDER_STATUSES,
    OrderStatus,
    ReceiptCreate,
    StatusChange,
    SupplierOrderCreate,
)
from gateway.routes.suppliers import Id, Read, page
from gateway.views.suppliers import SupplierOrderOut, order_view

router = APIRouter(tags=["supplier-orders"])

OrderWrite = Annotated[object, require("supplier-orders:write")]


@router.post(
    "/supplier-orders",
    status_code=201,
    response_model=Envelope[SupplierOrderOut],
    summary="Place (or draft) a supplier order; Idempotency-Key",
)
async def create_supplier_order(
    body: SupplierOrderCreate,
    suppliers: Suppliers,
    idem: IdempotencyDep,
    _: OrderWrite,
) -> JSONResponse:
    async def create() -> JSONResponse:
        reply = await suppliers.create_supplier_order(
            pb.CreateSupplierOrderRequest(
                supplier_id=body.supplier_id,
                lines=[
                    pb.SupplierOrderLine(
                        sku=x.sku,
                        supplier_sku=x.supplier_sku or "",
                        quantity=x.quantity,
                        unit_price=(
                            money_pb2.Money(amount=str(x.unit_price))
                            if x.unit_price is not None
                            else None
                        ),
                        warehouse=x.warehouse,
                    )
                    for x in body.lines
                ],
                order_id=body.order_id or "",
                expected_date=body.expected_date.isoformat() if body.expected_date else "",
                notes=body.notes or "",
                # Scoped to the caller, as the gateway's own key store is.
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
                draft=body.draft,
            )
        )
        return ok(order_view(reply.supplier_order), status_code=201)

    return await idem.run(body, create)


@router.get(
    "/supplier-orders",
    response_model=Envelope[list[SupplierOrderOut]],
    summary="Supplier orders, newest first",
)
async def list_supplier_orders(
    suppliers: Suppliers,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    status: OrderStatus | None = None,
    supplier_id: Annotated[str | None, Query(max_length=64)] = None,
    sku: Annotated[str | None, Query(max_length=64)] = None,
    order_id: Annotated[str | None, Query(max_length=64)] = None,
) -> JSONResponse:
    reply = await suppliers.list_supplier_orders(
        pb.ListSupplierOrdersRequest(
            page=page(limit, cursor),
            status=ORDER_STATUSES[status] if status else pb.SUPPLIER_ORDER_STATUS_UNSPECIFIED,
            supplier_id=supplier_id or "",
            sku=sku or "",
            order_id=order_id or "",
        )
    )
    return ok(
        [order_view(o) for o in reply.supplier_orders],
        next_cursor=reply.page.next_cursor or None,
    )


@router.get(
    "/supplier-orders/{supplier_order_id}",
    response_model=Envelope[SupplierOrderOut],
    summary="A supplier order",
)
async def get_supplier_order(supplier_order_id: Id, suppliers: Suppliers, _: Read) -> JSONResponse:
    reply = await suppliers.get_supplier_order(supplier_order_id)
    return ok(order_view(reply.supplier_order))


@router.post(
    "/supplier-orders/{supplier_order_id}/status",
    response_model=Envelope[SupplierOrderOut],
    summary="DRAFT → PLACED → CONFIRMED → SHIPPED → RECEIVED, or CANCELLED (409 otherwise)",
)
async def change_supplier_order_status(
    supplier_order_id: Id,
    body: StatusChange,
    suppliers: Suppliers,
    _: OrderWrite,
) -> JSONResponse:
    reply = await suppliers.change_supplier_order_status(
        pb.ChangeSupplierOrderStatusRequest(
            supplier_order_id=supplier_order_id,
            status=ORDER_STATUSES[body.status],
            reason=body.reason or "",
            expected_version=body.expected_version or 0,
        )
    )
    return ok(order_view(reply.supplier_order))


@router.post(
    "/supplier-orders/{supplier_order_id}/receipts",
    response_model=Envelope[SupplierOrderOut],
    summary="Book goods that arrived (partial per line); RECEIVED once every line is complete",
)
async def receive_supplier_order(
    supplier_order_id: Id,
    body: ReceiptCreate,
    suppliers: Suppliers,
    _: OrderWrite,
) -> JSONResponse:
    reply = await suppliers.receive_supplier_order(
        pb.ReceiveSupplierOrderRequest(
            supplier_order_id=supplier_order_id,
            lines=[
                pb.ReceivedLine(sku=x.sku, quantity=x.quantity, warehouse=body.warehouse or "")
                for x in body.lines
            ],
            expected_version=body.expected_version or 0,
        )
    )
    return ok(order_view(reply.supplier_order))
