"""The inventory service: stock, movements, warehouses, reservations, reconciliation."""

from __future__ import annotations

from typing import TYPE_CHECKING

import grpc

from cypher.inventory.v1 import inventory_pb2 as pb
from gateway.clients.base import UpstreamClient, UpstreamError

if TYPE_CHECKING:
    from cypher.inventory.v1.inventory_pb2_grpc import InventoryServiceAsyncStub as Stub
else:
    Stub = object

# Reconcile reads the whole ledger: allowed longer than an ordinary call.
RECONCILE_TIMEOUT_SECONDS = 60.0


class InventoryClient(UpstreamClient[Stub]):
    service = "inventory"

    async def get_availability(
        self, skus: list[str], *, part: bool = False
    ) -> pb.GetAvailabilityResponse:
        return await self.read(
            self.stub.GetAvailability, pb.GetAvailabilityRequest(skus=skus), part=part
        )

    async def reservations_of(self, order_id: str, *, part: bool = False) -> list[pb.Reservation]:
        """The order's reservation, or none: an order without one is not an error."""
        try:
            reply = await self.read(
                self.stub.GetReservation, pb.GetReservationRequest(order_id=order_id), part=part
            )
        except UpstreamError as err:
            if err.grpc_status == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        return [reply.reservation]

    async def receive(self, req: pb.ReceiveRequest) -> pb.ReceiveResponse:
        # Retried only with a key: without one a retried receipt would book the goods twice.
        return await self.write(self.stub.Receive, req, idempotent=bool(req.idempotency_key))

    async def adjust(self, req: pb.AdjustRequest) -> pb.AdjustResponse:
        return await self.write(self.stub.Adjust, req, idempotent=bool(req.idempotency_key))

    async def transfer(self, req: pb.TransferRequest) -> pb.TransferResponse:
        return await self.write(self.stub.Transfer, req, idempotent=bool(req.idempotency_key))

    async def set_low_stock_threshold(
        self, req: pb.SetLowStockThresholdRequest
    ) -> pb.SetLowStockThresholdResponse:
        # Setting an absolute value twice has the same effect: safe to retry.
        return await self.write(self.stub.SetLowStockThreshold, req, idempotent=True)

    async def list_movements(self, req: pb.ListMovementsRequest) -> pb.ListMovementsResponse:
        return await self.read(self.stub.ListMovements, req)

    async def list_low_stock(self, req: pb.ListLowStockRequest) -> pb.ListLowStockResponse:
        return await self.read(self.stub.ListLowStock, req)

    async def list_warehouses(self) -> pb.ListWarehousesResponse:
        return await self.read(self.stub.ListWarehouses, pb.ListWarehousesRequest())

    async def reconcile(self, skus: list[str]) -> pb.ReconcileResponse:
        return await self.read(
            self.stub.Reconcile,
            pb.ReconcileRequest(skus=skus),
            timeout=max(self.timeout, RECONCILE_TIMEOUT_SECONDS),
        )
