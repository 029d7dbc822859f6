"""The InventoryService servicer: proto → use case arguments → proto. Thin on purpose;
errors are DomainErrors that the runtime's interceptor maps to status codes."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.inventory.v1 import inventory_pb2_grpc
from inventory.domain import Line, ReleaseReason
from inventory.errors import ValidationFailed
from inventory.service import Inventory, SkuStock
from inventory.wire import KINDS_OF_TYPE, RELEASE_REASON_OF, reservation_pb, timestamp, warehouse_pb

Context = Any  # grpc.aio.ServicerContext; the interceptor owns status handling
MAX_SKUS = 500


def encode_cursor(*parts: str) -> str:
    return base64.urlsafe_b64encode("\x1f".join(parts).encode()).decode()


def decode_cursor(cursor: str, parts: int) -> list[str] | None:
    if not cursor:
        return None
    try:
        decoded = base64.urlsafe_b64decode(cursor.encode()).decode().split("\x1f")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed({"page.cursor": "is not a cursor this service issued"}) from None
    if len(decoded) != parts:
        raise ValidationFailed({"page.cursor": "is not a cursor this service issued"})
    return decoded


def _lines(lines: Any) -> list[Line]:
    return [Line(line.sku, int(line.quantity)) for line in lines]


def _sku_pb(item: SkuStock) -> pb.SkuAvailability:
    return pb.SkuAvailability(
        sku=item.sku,
        warehouses=[v.to_pb() for v in item.warehouses],
        total_on_hand=item.on_hand,
        total_reserved=item.reserved,
        total_available=item.available,
    )


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory

    async def GetAvailability(
        self, request: pb.GetAvailabilityRequest, context: Context
    ) -> pb.GetAvailabilityResponse:
        if len(request.skus) > MAX_SKUS:
            raise ValidationFailed({"skus": f"at most {MAX_SKUS} per call"})
        items = await self.inventory.availability(list(request.skus))
        return pb.GetAvailabilityResponse(items=[_sku_pb(i) for i in items])

    async def Reserve(self, request: pb.ReserveRequest, context: Context) -> pb.ReserveResponse:
        result = await self.inventory.reserve(
            order_id=request.order_id,
            lines=_lines(request.lines),
            allow_backorder=request.allow_backorder,
            expires_in_seconds=(
                request.expires_in_seconds if request.HasField("expires_in_seconds") else None
            ),
        )
        return pb.ReserveResponse(
            reservation=reservation_pb(result.reservation), replayed=result.replayed
        )

    async def ConfirmReservation(
        self, request: pb.ConfirmReservationRequest, context: Context
    ) -> pb.ConfirmReservationResponse:
        res = await self.inventory.confirm(request.order_id)
        return pb.ConfirmReservationResponse(reservation=reservation_pb(res))

    async def Release(self, request: pb.ReleaseRequest, context: Context) -> pb.ReleaseResponse:
        result = await self.inventory.release(
            request.order_id,
            RELEASE_REASON_OF.get(request.reason, ReleaseReason.UNSPECIFIED),
            request.reason_detail,
        )
        return pb.ReleaseResponse(
            reservation=reservation_pb(result.reservation) if result.reservation else None,
            released=result.released,
        )

    async def Commit(self, request: pb.CommitRequest, context: Context) -> pb.CommitResponse:
        result = await self.inventory.commit(
            order_id=request.order_id, shipment_id=request.shipment_id, lines=_lines(request.lines)
        )
        return pb.CommitResponse(
            reservation=reservation_pb(result.reservation),
            movements=[m.to_pb() for m in result.movements],
        )

    async def GetReservation(
        self, request: pb.GetReservationRequest, context: Context
    ) -> pb.GetReservationResponse:
        res = await self.inventory.get_reservation(request.order_id)
        return pb.GetReservationResponse(reservation=reservation_pb(res))

    async def Receive(self, request: pb.ReceiveRequest, context: Context) -> pb.ReceiveResponse:
        change = await self.inventory.receive(
            sku=request.sku,
            warehouse=request.warehouse,
            quantity=request.quantity,
            reference=request.reference,
        )
        return pb.ReceiveResponse(stock=change.stock.to_pb(), movement=change.movement.to_pb())

    async def Adjust(self, request: pb.AdjustRequest, context: Context) -> pb.AdjustResponse:
        change = await self.inventory.adjust(
            sku=request.sku, warehouse=request.warehouse, delta=request.delta, reason=request.reason
        )
        return pb.AdjustResponse(stock=change.stock.to_pb(), movement=change.movement.to_pb())

    async def Transfer(self, request: pb.TransferRequest, context: Context) -> pb.TransferResponse:
        result = await self.inventory.transfer(
            sku=request.sku,
            from_warehouse=request.from_warehouse,
            to_warehouse=request.to_warehouse,
            quantity=request.quantity,
            reason=request.reason,
        )
        return pb.TransferResponse(
            from_stock=result.source.to_pb(),
            to_stock=result.target.to_pb(),
            movements=[m.to_pb() for m in result.movements],
        )

    async def SetLowStockThreshold(
        self, request: pb.SetLowStockThresholdRequest, context: Context
    ) -> pb.SetLowStockThresholdResponse:
        view = await self.inventory.set_threshold(
            sku=request.sku,
            warehouse=request.warehouse,
            threshold=request.threshold if request.HasField("threshold") else None,
        )
        return pb.SetLowStockThresholdResponse(stock=view.to_pb())

    async def ListMovements(
        self, request: pb.ListMovementsRequest, context: Context
    ) -> pb.ListMovementsResponse:
        cursor = decode_cursor(request.page.cursor, 1)
        try:
            before = int(cursor[0]) if cursor else None
        except ValueError:
            raise ValidationFailed({"page.cursor": "is not a cursor this service issued"}) from None
        records, next_before = await self.inventory.list_movements(
            sku=request.sku,
            warehouse=request.warehouse,
            kinds=KINDS_OF_TYPE.get(request.type, ()),
            limit=request.page.limit,
            before_id=before,
        )
        return pb.ListMovementsResponse(
            movements=[m.to_pb() for m in records],
            page=pagination_pb2.PageResponse(
                next_cursor=encode_cursor(str(next_before)) if next_before is not None else ""
            ),
        )

    async def ListLowStock(
        self, request: pb.ListLowStockRequest, context: Context
    ) -> pb.ListLowStockResponse:
        cursor = decode_cursor(request.page.cursor, 2)
        views, after = await self.inventory.list_low_stock(
            warehouse=request.warehouse,
            limit=request.page.limit,
            after=(cursor[0], cursor[1]) if cursor else None,
        )
        return pb.ListLowStockResponse(
            items=[v.to_pb() for v in views],
            page=pagination_pb2.PageResponse(next_cursor=encode_cursor(*after) if after else ""),
        )

    async def ListWarehouses(
        self, request: pb.ListWarehousesRequest, context: Context
    ) -> pb.ListWarehousesResponse:
        # A handful of rows: one page always; the page request is accepted for uniformity.
        found = await self.inventory.list_warehouses()
        return pb.ListWarehousesResponse(
            warehouses=[warehouse_pb(w) for w in found], page=pagination_pb2.PageResponse()
        )

    async def Reconcile(
        self, request: pb.ReconcileRequest, context: Context
    ) -> pb.ReconcileResponse:
        report = await self.inventory.reconcile(list(request.skus))
        return pb.ReconcileResponse(
            mismatches=[
                pb.StockMismatch(
                    sku=m.figures.sku,
                    warehouse=m.figures.warehouse,
                    recorded_on_hand=m.figures.recorded_on_hand,
                    ledger_on_hand=m.figures.ledger_on_hand,
                    recorded_reserved=m.figures.recorded_reserved,
                    reservations_reserved=m.figures.reservations_reserved,
                    ledger_reserved=m.figures.ledger_reserved,
                    description=m.description,
                )
                for m in report.mismatches
            ],
            checked_count=report.checked,
            checked_at=timestamp(report.checked_at),
        )
