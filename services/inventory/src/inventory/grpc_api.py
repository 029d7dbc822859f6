"""The InventoryService servicer: request → wire → use case (writes inside
`in_transaction`) or query → wire. Errors are coded domain errors that the runtime's
interceptor maps to status codes."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import pagination_pb2
from cypher.inventory.v1 import inventory_pb2 as pb
from cypher.inventory.v1 import inventory_pb2_grpc
from cypher_runtime.db import Database, in_transaction
from inventory import wire
from inventory.domain.stock import Receipt
from inventory.queries import InventoryQueries
from inventory.service import InventoryService

Context = Any  # grpc.aio.ServicerContext; the interceptor owns status handling


class InventoryServicer(inventory_pb2_grpc.InventoryServiceServicer):
    def __init__(self, db: Database, service: InventoryService, queries: InventoryQueries) -> None:
        self.db = db
        self.service = service
        self.queries = queries

    async def GetAvailability(
        self, request: pb.GetAvailabilityRequest, context: Context
    ) -> pb.GetAvailabilityResponse:
        items = await self.queries.availability(wire.skus(request.skus))
        return pb.GetAvailabilityResponse(items=[wire.sku_availability_pb(i) for i in items])

    async def Reserve(self, request: pb.ReserveRequest, context: Context) -> pb.ReserveResponse:
        expires = request.expires_in_seconds if request.HasField("expires_in_seconds") else None
        result = await in_transaction(
            self.db,
            lambda uow: self.service.reservations.reserve(
                uow,
                order_id=request.order_id,
                lines=wire.lines(request.lines),
                allow_backorder=request.allow_backorder,
                expires_in_seconds=expires,
            ),
        )
        return pb.ReserveResponse(
            reservation=wire.reservation_pb(result.reservation), replayed=result.replayed
        )

    async def ConfirmReservation(
        self, request: pb.ConfirmReservationRequest, context: Context
    ) -> pb.ConfirmReservationResponse:
        res = await in_transaction(
            self.db, lambda uow: self.service.reservations.confirm(uow, request.order_id)
        )
        return pb.ConfirmReservationResponse(reservation=wire.reservation_pb(res))

    async def Release(self, request: pb.ReleaseRequest, context: Context) -> pb.ReleaseResponse:
        result = await in_transaction(
            self.db,
            lambda uow: self.service.reservations.release(
                uow,
                request.order_id,
                wire.release_reason(request.reason),
                request.reason_detail,
            ),
        )
        return pb.ReleaseResponse(
            reservation=wire.reservation_pb(result.reservation) if result.reservation else None,
            released=result.released,
        )

    async def Commit(self, request: pb.CommitRequest, context: Context) -> pb.CommitResponse:
        result = await in_transaction(
            self.db,
            lambda uow: self.service.reservations.commit(
                uow,
                order_id=request.order_id,
                shipment_id=request.shipment_id,
                lines=wire.lines(request.lines),
            ),
        )
        return pb.CommitResponse(
            reservation=wire.reservation_pb(result.reservation),
            movements=[wire.movement_pb(m) for m in result.movements],
        )

    async def GetReservation(
        self, request: pb.GetReservationRequest, context: Context
    ) -> pb.GetReservationResponse:
        res = await self.queries.reservation(request.order_id)
        return pb.GetReservationResponse(reservation=wire.reservation_pb(res))

    async def Receive(self, request: pb.ReceiveRequest, context: Context) -> pb.ReceiveResponse:
        receipt = Receipt(request.sku, request.warehouse, request.quantity)
        changes = await in_transaction(
            self.db,
            lambda uow: self.service.stock.receive(
                uow,
                [receipt],
                reference=request.reference,
                idempotency_key=request.idempotency_key,
            ),
        )
        return pb.ReceiveResponse(
            stock=wire.stock_level_pb(changes[0].stock),
            movement=wire.movement_pb(changes[0].movement),
        )

    async def Adjust(self, request: pb.AdjustRequest, context: Context) -> pb.AdjustResponse:
        change = await in_transaction(
            self.db,
            lambda uow: self.service.stock.adjust(
                uow,
                sku=request.sku,
                warehouse=request.warehouse,
                delta=request.delta,
                reason=request.reason,
                idempotency_key=request.idempotency_key,
            ),
        )
        return pb.AdjustResponse(
            stock=wire.stock_level_pb(change.stock), movement=wire.movement_pb(change.movement)
        )

    async def Transfer(self, request: pb.TransferRequest, context: Context) -> pb.TransferResponse:
        result = await in_transaction(
            self.db,
            lambda uow: self.service.stock.transfer(
                uow,
                sku=request.sku,
                from_warehouse=request.from_warehouse,
                to_warehouse=request.to_warehouse,
                quantity=request.quantity,
                reason=request.reason,
                idempotency_key=request.idempotency_key,
            ),
        )
        return pb.TransferResponse(
            from_stock=wire.stock_level_pb(result.source),
            to_stock=wire.stock_level_pb(result.target),
            movements=[wire.movement_pb(m) for m in result.movements],
        )

    async def SetLowStockThreshold(
        self, request: pb.SetLowStockThresholdRequest, context: Context
    ) -> pb.SetLowStockThresholdResponse:
        threshold = request.threshold if request.HasField("threshold") else None
        view = await in_transaction(
            self.db,
            lambda uow: self.service.stock.set_threshold(
                uow, sku=request.sku, warehouse=request.warehouse, threshold=threshold
            ),
        )
        return pb.SetLowStockThresholdResponse(stock=wire.stock_level_pb(view))

    async def ListMovements(
        self, request: pb.ListMovementsRequest, context: Context
    ) -> pb.ListMovementsResponse:
        found, next_cursor = await self.queries.movements(
            sku=request.sku,
            warehouse=request.warehouse,
            kinds=wire.movement_kinds(request.type),
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return pb.ListMovementsResponse(
            movements=[wire.movement_pb(m) for m in found],
            page=pagination_pb2.PageResponse(next_cursor=next_cursor),
        )

    async def ListLowStock(
        self, request: pb.ListLowStockRequest, context: Context
    ) -> pb.ListLowStockResponse:
        found, next_cursor = await self.queries.low_stock(
            warehouse=request.warehouse, limit=request.page.limit, cursor=request.page.cursor
        )
        return pb.ListLowStockResponse(
            items=[wire.stock_level_pb(v) for v in found],
            page=pagination_pb2.PageResponse(next_cursor=next_cursor),
        )

    async def ListWarehouses(
        self, request: pb.ListWarehousesRequest, context: Context
    ) -> pb.ListWarehousesResponse:
        # A handful of rows: one page always; the page request is accepted for uniformity.
        found = await self.queries.warehouses(limit=request.page.limit, cursor=request.page.cursor)
        return pb.ListWarehousesResponse(
            warehouses=[wire.warehouse_pb(w) for w in found], page=pagination_pb2.PageResponse()
        )

    async def Reconcile(
        self, request: pb.ReconcileRequest, context: Context
    ) -> pb.ReconcileResponse:
        return wire.reconcile_response(await self.queries.reconcile(list(request.skus)))
