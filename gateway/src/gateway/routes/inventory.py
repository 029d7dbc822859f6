"""Stock, receipts, adjustments, transfers, movements, low stock, warehouses and the admin
reconciliation (REST_API.md "Inventory"), through the inventory client
(INSUFFICIENT_STOCK → 409 with its shortfall). Fixed paths (/inventory/low-stock,
/inventory/receipts …) are declared before /inventory/{sku} so they are never taken
for a sku."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2
from gateway.deps import DEFAULT_LIMIT, Cursor, Inventory, Limit, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep
from gateway.inputs.common import Sku
from gateway.inputs.inventory import (
    AdjustmentCreate,
    ReconcileQuery,
    StockReceiptCreate,
    ThresholdUpdate,
    TransferCreate,
)
from gateway.views.inventory import (
    Availability,
    Movement,
    Reconciliation,
    StockChange,
    StockLevel,
    TransferResult,
    Warehouse,
    availability_view,
    movement_view,
    reconciliation_view,
    stock_view,
    warehouse_view,
)

router = APIRouter(tags=["inventory"])

MOVEMENT_TYPES = {
    name.removeprefix("MOVEMENT_TYPE_").lower(): value
    for name, value in inventory_pb2.MovementType.items()
    if value != inventory_pb2.MOVEMENT_TYPE_UNSPECIFIED
}
WarehouseQuery = Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$")]
Read = Annotated[object, require("inventory:read")]
Write = Annotated[object, require("inventory:write")]


@router.get("/warehouses", response_model=Envelope[list[Warehouse]], summary="Warehouses")
async def list_warehouses(inventory: Inventory, _: Read) -> JSONResponse:
    reply = await inventory.list_warehouses()
    return ok([warehouse_view(w) for w in reply.warehouses], next_cursor=None)


@router.get(
    "/inventory/low-stock",
    response_model=Envelope[list[StockLevel]],
    summary="Stock rows whose available is below their low-stock threshold",
)
async def list_low_stock(
    inventory: Inventory,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    warehouse: WarehouseQuery = None,
) -> JSONResponse:
    reply = await inventory.list_low_stock(
        inventory_pb2.ListLowStockRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            warehouse=warehouse or "",
        )
    )
    return ok([stock_view(i) for i in reply.items], next_cursor=reply.page.next_cursor or None)


@router.post(
    "/inventory/receipts",
    status_code=201,
    response_model=Envelope[StockChange],
    summary="Goods received into a warehouse (Idempotency-Key honoured)",
)
async def create_receipt(
    body: StockReceiptCreate, inventory: Inventory, idem: IdempotencyDep, _: Write
) -> JSONResponse:
    async def receive() -> JSONResponse:
        reply = await inventory.receive(
            inventory_pb2.ReceiveRequest(
                sku=body.sku,
                warehouse=body.warehouse.upper(),
                quantity=body.quantity,
                reference=body.reference or "",
                # Scoped to the caller, as the gateway's own key store is: the service
                # applies the change at most once per key (a re-run after a take-over).
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
            )
        )
        change = StockChange(stock=stock_view(reply.stock), movement=movement_view(reply.movement))
        return ok(change, status_code=201)

    return await idem.run(body, receive)


@router.post(
    "/inventory/adjustments",
    status_code=201,
    response_model=Envelope[StockChange],
    summary="Manual correction of on-hand stock; a reason is required",
)
async def create_adjustment(
    body: AdjustmentCreate, inventory: Inventory, idem: IdempotencyDep, _: Write
) -> JSONResponse:
    async def adjust() -> JSONResponse:
        reply = await inventory.adjust(
            inventory_pb2.AdjustRequest(
                sku=body.sku,
                warehouse=body.warehouse.upper(),
                delta=body.delta,
                reason=body.reason,
                # Scoped to the caller, as the gateway's own key store is: the service
                # applies the change at most once per key (a re-run after a take-over).
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
            )
        )
        change = StockChange(stock=stock_view(reply.stock), movement=movement_view(reply.movement))
        return ok(change, status_code=201)

    return await idem.run(body, adjust)


@router.post(
    "/inventory/transfers",
    status_code=201,
    response_model=Envelope[TransferResult],
    summary="Move available units between warehouses",
)
async def create_transfer(
    body: TransferCreate, inventory: Inventory, idem: IdempotencyDep, _: Write
) -> JSONResponse:
    async def transfer() -> JSONResponse:
        reply = await inventory.transfer(
            inventory_pb2.TransferRequest(
                sku=body.sku,
                from_warehouse=body.from_warehouse.upper(),
                to_warehouse=body.to_warehouse.upper(),
                quantity=body.quantity,
                reason=body.reason or "",
                # Scoped to the caller, as the gateway's own key store is: the service
                # applies the change at most once per key (a re-run after a take-over).
                idempotency_key=f"{idem.owner}:{idem.key}" if idem.key else "",
            )
        )
        result = TransferResult(
            from_=stock_view(reply.from_stock),
            to=stock_view(reply.to_stock),
            movements=[movement_view(m) for m in reply.movements],
        )
        return ok(result, status_code=201)

    return await idem.run(body, transfer)


@router.get(
    "/inventory/{sku}",
    response_model=Envelope[Availability],
    summary="Stock of one sku per warehouse, with totals",
)
async def get_stock(sku: Annotated[Sku, Path()], inventory: Inventory, _: Read) -> JSONResponse:
    reply = await inventory.get_availability([sku])
    return ok(availability_view(reply.items[0]))


@router.get(
    "/inventory/{sku}/movements",
    response_model=Envelope[list[Movement]],
    summary="The movement ledger of one sku, newest first",
)
async def list_movements(
    sku: Annotated[Sku, Path()],
    inventory: Inventory,
    _: Read,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    warehouse: WarehouseQuery = None,
    movement_type: Annotated[
        str | None,
        Query(alias="type", pattern="^(" + "|".join(sorted(MOVEMENT_TYPES)) + ")$"),
    ] = None,
) -> JSONResponse:
    reply = await inventory.list_movements(
        inventory_pb2.ListMovementsRequest(
            sku=sku,
            warehouse=warehouse or "",
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            type=MOVEMENT_TYPES[movement_type] if movement_type else 0,  # type: ignore[arg-type]
        )
    )
    return ok(
        [movement_view(m) for m in reply.movements], next_cursor=reply.page.next_cursor or None
    )


@router.put(
    "/inventory/{sku}/thresholds/{warehouse}",
    response_model=Envelope[StockLevel],
    summary="Low-stock threshold of one sku×warehouse (null resets to the default)",
)
async def set_threshold(
    sku: Annotated[Sku, Path()],
    warehouse: Annotated[str, Path(max_length=10, pattern=r"^[A-Za-z0-9]+$")],
    body: ThresholdUpdate,
    inventory: Inventory,
    _: Write,
) -> JSONResponse:
    request = inventory_pb2.SetLowStockThresholdRequest(sku=sku, warehouse=warehouse.upper())
    if body.threshold is not None:
        request.threshold = body.threshold
    reply = await inventory.set_low_stock_threshold(request)
    return ok(stock_view(reply.stock))


Admin = Annotated[object, require("inventory:admin")]


@router.get(
    "/admin/inventory/reconcile",
    response_model=Envelope[Reconciliation],
    tags=["admin"],
    summary="Recompute stock from the ledger and report every disagreeing sku×warehouse",
)
async def reconcile_get(
    inventory: Inventory,
    _: Admin,
    sku: Annotated[list[Sku] | None, Query(max_length=1000)] = None,
) -> JSONResponse:
    return ok(reconciliation_view(await inventory.reconcile(list(sku or []))))


@router.post(
    "/admin/inventory/reconcile",
    response_model=Envelope[Reconciliation],
    tags=["admin"],
    summary="Same as GET, the skus in the body (read-only: changes nothing)",
)
async def reconcile_post(
    inventory: Inventory, _: Admin, body: ReconcileQuery | None = None
) -> JSONResponse:
    skus = list(body.skus) if body else []
    return ok(reconciliation_view(await inventory.reconcile(skus)))
