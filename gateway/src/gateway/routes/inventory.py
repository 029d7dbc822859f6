"""Stock, receipts, adjustments, transfers, movements, low stock, warehouses and the admin
reconciliation (REST_API.md "Inventory"), through gRPC to inventory. gRPC errors
propagate to the one global mapping (INSUFFICIENT_STOCK → 409 with its shortfall).
Fixed paths (/inventory/low-stock, /inventory/receipts …) are declared before
/inventory/{sku} so they are never taken for a sku."""

from __future__ import annotations

from datetime import UTC
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2
from cypher_runtime.grpc_client import call
from gateway.catalog import Sku
from gateway.deps import DEFAULT_LIMIT, Cursor, InventoryStub, Limit, Settings, require
from gateway.envelope import Envelope, ok
from gateway.idempotency import IdempotencyDep

router = APIRouter(tags=["inventory"])

View = Envelope[dict[str, Any]]
ListView = Envelope[list[dict[str, Any]]]

WarehouseCode = Annotated[str, Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9]+$")]
Quantity = Annotated[int, Field(gt=0, le=1_000_000_000)]
MOVEMENT_TYPES = {
    name.removeprefix("MOVEMENT_TYPE_").lower(): value
    for name, value in inventory_pb2.MovementType.items()
    if value != inventory_pb2.MOVEMENT_TYPE_UNSPECIFIED
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReceiptCreate(_Strict):
    sku: Sku
    warehouse: WarehouseCode
    quantity: Quantity
    reference: str | None = Field(default=None, max_length=200)


class AdjustmentCreate(_Strict):
    sku: Sku
    warehouse: WarehouseCode
    delta: int = Field(ge=-1_000_000_000, le=1_000_000_000)
    reason: str = Field(min_length=1, max_length=500)

    @field_validator("delta")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("must not be 0")
        return value

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()


class TransferCreate(_Strict):
    sku: Sku
    from_warehouse: WarehouseCode
    to_warehouse: WarehouseCode
    quantity: Quantity
    reason: str | None = Field(default=None, max_length=500)


class ThresholdUpdate(_Strict):
    # null resets the sku×warehouse to the service default (3).
    threshold: int | None = Field(ge=0, le=1_000_000_000)


class ReconcileQuery(_Strict):
    skus: list[Sku] = Field(default_factory=list, max_length=1000)


def _time(ts: Any) -> str | None:
    if not ts.seconds and not ts.nanos:
        return None
    return str(ts.ToDatetime(tzinfo=UTC).isoformat().replace("+00:00", "Z"))


def stock_view(level: inventory_pb2.StockLevel) -> dict[str, Any]:
    return {
        "sku": level.sku,
        "warehouse": level.warehouse,
        "on_hand": level.on_hand,
        "reserved": level.reserved,
        "available": level.available,
        "low_stock_threshold": level.low_stock_threshold,
        "version": level.version,
        "updated_at": _time(level.updated_at),
    }


def availability_view(item: inventory_pb2.SkuAvailability) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "warehouses": [stock_view(w) for w in item.warehouses],
        "totals": {
            "on_hand": item.total_on_hand,
            "reserved": item.total_reserved,
            "available": item.total_available,
        },
    }


def movement_view(m: inventory_pb2.Movement) -> dict[str, Any]:
    return {
        "id": m.id,
        "sku": m.sku,
        "warehouse": m.warehouse,
        "type": inventory_pb2.MovementType.Name(m.type).removeprefix("MOVEMENT_TYPE_").lower(),
        "on_hand_delta": m.on_hand_delta,
        "reserved_delta": m.reserved_delta,
        "on_hand_after": m.on_hand_after,
        "reserved_after": m.reserved_after,
        "reason": m.reason,
        "reference": m.reference,
        "actor": m.actor,
        "occurred_at": _time(m.occurred_at),
    }


def warehouse_view(w: inventory_pb2.Warehouse) -> dict[str, Any]:
    return {"code": w.code, "name": w.name, "priority": w.priority, "active": w.active}


@router.get("/warehouses", response_model=ListView, summary="Warehouses by priority")
async def list_warehouses(
    inventory: InventoryStub, settings: Settings, _: Annotated[object, require("inventory:read")]
) -> JSONResponse:
    reply = await call(
        inventory.ListWarehouses,
        inventory_pb2.ListWarehousesRequest(),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok([warehouse_view(w) for w in reply.warehouses], next_cursor=None)


@router.get(
    "/inventory/low-stock",
    response_model=ListView,
    summary="Stock rows whose available is below their low-stock threshold",
)
async def list_low_stock(
    inventory: InventoryStub,
    settings: Settings,
    _: Annotated[object, require("inventory:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    warehouse: Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$")] = None,
) -> JSONResponse:
    reply = await call(
        inventory.ListLowStock,
        inventory_pb2.ListLowStockRequest(
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            warehouse=warehouse or "",
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok([stock_view(i) for i in reply.items], next_cursor=reply.page.next_cursor or None)


@router.post(
    "/inventory/receipts",
    status_code=201,
    response_model=View,
    summary="Goods received into a warehouse (Idempotency-Key honoured)",
)
async def create_receipt(
    body: ReceiptCreate,
    inventory: InventoryStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Annotated[object, require("inventory:write")],
) -> JSONResponse:
    async def receive() -> JSONResponse:
        reply = await call(
            inventory.Receive,
            inventory_pb2.ReceiveRequest(
                sku=body.sku,
                warehouse=body.warehouse.upper(),
                quantity=body.quantity,
                reference=body.reference or "",
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,  # a retried receipt would book the goods twice
        )
        return ok(
            {"stock": stock_view(reply.stock), "movement": movement_view(reply.movement)},
            status_code=201,
        )

    return await idem.run(body, receive)


@router.post(
    "/inventory/adjustments",
    status_code=201,
    response_model=View,
    summary="Manual correction of on-hand stock; a reason is required",
)
async def create_adjustment(
    body: AdjustmentCreate,
    inventory: InventoryStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Annotated[object, require("inventory:write")],
) -> JSONResponse:
    async def adjust() -> JSONResponse:
        reply = await call(
            inventory.Adjust,
            inventory_pb2.AdjustRequest(
                sku=body.sku,
                warehouse=body.warehouse.upper(),
                delta=body.delta,
                reason=body.reason,
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,
        )
        return ok(
            {"stock": stock_view(reply.stock), "movement": movement_view(reply.movement)},
            status_code=201,
        )

    return await idem.run(body, adjust)


@router.post(
    "/inventory/transfers",
    status_code=201,
    response_model=View,
    summary="Move available units between warehouses",
)
async def create_transfer(
    body: TransferCreate,
    inventory: InventoryStub,
    settings: Settings,
    idem: IdempotencyDep,
    _: Annotated[object, require("inventory:write")],
) -> JSONResponse:
    async def transfer() -> JSONResponse:
        reply = await call(
            inventory.Transfer,
            inventory_pb2.TransferRequest(
                sku=body.sku,
                from_warehouse=body.from_warehouse.upper(),
                to_warehouse=body.to_warehouse.upper(),
                quantity=body.quantity,
                reason=body.reason or "",
            ),
            timeout=settings.upstream_timeout_seconds,
            idempotent=False,
        )
        return ok(
            {
                "from": stock_view(reply.from_stock),
                "to": stock_view(reply.to_stock),
                "movements": [movement_view(m) for m in reply.movements],
            },
            status_code=201,
        )

    return await idem.run(body, transfer)


@router.get(
    "/inventory/{sku}",
    response_model=View,
    summary="Stock of one sku per warehouse, with totals",
)
async def get_stock(
    sku: Annotated[Sku, Path()],
    inventory: InventoryStub,
    settings: Settings,
    _: Annotated[object, require("inventory:read")],
) -> JSONResponse:
    reply = await call(
        inventory.GetAvailability,
        inventory_pb2.GetAvailabilityRequest(skus=[sku]),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(availability_view(reply.items[0]))


@router.get(
    "/inventory/{sku}/movements",
    response_model=ListView,
    summary="The movement ledger of one sku, newest first",
)
async def list_movements(
    sku: Annotated[Sku, Path()],
    inventory: InventoryStub,
    settings: Settings,
    _: Annotated[object, require("inventory:read")],
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
    warehouse: Annotated[str | None, Query(max_length=10, pattern=r"^[A-Za-z0-9]+$")] = None,
    movement_type: Annotated[
        str | None,
        Query(alias="type", pattern="^(" + "|".join(sorted(MOVEMENT_TYPES)) + ")$"),
    ] = None,
) -> JSONResponse:
    reply = await call(
        inventory.ListMovements,
        inventory_pb2.ListMovementsRequest(
            sku=sku,
            warehouse=warehouse or "",
            page=pagination_pb2.PageRequest(limit=limit, cursor=cursor or ""),
            type=MOVEMENT_TYPES[movement_type] if movement_type else 0,  # type: ignore[arg-type]
        ),
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,
    )
    return ok(
        [movement_view(m) for m in reply.movements], next_cursor=reply.page.next_cursor or None
    )


@router.put(
    "/inventory/{sku}/thresholds/{warehouse}",
    response_model=View,
    summary="Low-stock threshold of one sku×warehouse (null resets to the default)",
)
async def set_threshold(
    sku: Annotated[Sku, Path()],
    warehouse: Annotated[str, Path(max_length=10, pattern=r"^[A-Za-z0-9]+$")],
    body: ThresholdUpdate,
    inventory: InventoryStub,
    settings: Settings,
    _: Annotated[object, require("inventory:write")],
) -> JSONResponse:
    request = inventory_pb2.SetLowStockThresholdRequest(sku=sku, warehouse=warehouse.upper())
    if body.threshold is not None:
        request.threshold = body.threshold
    reply = await call(
        inventory.SetLowStockThreshold,
        request,
        timeout=settings.upstream_timeout_seconds,
        idempotent=True,  # setting an absolute value twice has the same effect
    )
    return ok(stock_view(reply.stock))


async def _reconcile(skus: list[str], inventory: InventoryStub, settings: Settings) -> JSONResponse:
    reply = await call(
        inventory.Reconcile,
        inventory_pb2.ReconcileRequest(skus=skus),
        # Reads the whole ledger: allowed longer than an ordinary call.
        timeout=max(settings.upstream_timeout_seconds, 60.0),
        idempotent=True,
    )
    return ok(
        {
            "checked": reply.checked_count,
            "checked_at": _time(reply.checked_at),
            "mismatches": [
                {
                    "sku": m.sku,
                    "warehouse": m.warehouse,
                    "recorded_on_hand": m.recorded_on_hand,
                    "ledger_on_hand": m.ledger_on_hand,
                    "recorded_reserved": m.recorded_reserved,
                    "ledger_reserved": m.ledger_reserved,
                    "reservations_reserved": m.reservations_reserved,
                    "description": m.description,
                }
                for m in reply.mismatches
            ],
        }
    )


@router.get(
    "/admin/inventory/reconcile",
    response_model=View,
    tags=["admin"],
    summary="Recompute stock from the ledger and report every disagreeing sku×warehouse",
)
async def reconcile_get(
    inventory: InventoryStub,
    settings: Settings,
    _: Annotated[object, require("inventory:admin")],
    sku: Annotated[list[Sku] | None, Query(max_length=1000)] = None,
) -> JSONResponse:
    return await _reconcile(list(sku or []), inventory, settings)


@router.post(
    "/admin/inventory/reconcile",
    response_model=View,
    tags=["admin"],
    summary="Same as GET, the skus in the body (read-only: changes nothing)",
)
async def reconcile_post(
    inventory: InventoryStub,
    settings: Settings,
    _: Annotated[object, require("inventory:admin")],
    body: ReconcileQuery | None = None,
) -> JSONResponse:
    return await _reconcile(list(body.skus) if body else [], inventory, settings)
