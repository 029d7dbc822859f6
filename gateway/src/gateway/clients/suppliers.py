"""The suppliers service: suppliers and their feeds, sync runs, supplier products and
mappings, price alerts and history, offers, supplier orders."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cypher.suppliers.v1 import suppliers_pb2 as pb
from gateway.clients.base import UpstreamClient

if TYPE_CHECKING:
    from cypher.suppliers.v1.suppliers_pb2_grpc import SuppliersServiceAsyncStub as Stub
else:
    Stub = object


class SuppliersClient(UpstreamClient[Stub]):
    service = "suppliers"

    async def get_best_offer(self, sku: str, *, part: bool = False) -> pb.GetBestOfferResponse:
        return await self.read(self.stub.GetBestOffer, pb.GetBestOfferRequest(sku=sku), part=part)

    # -- suppliers and their scrapes ------------------------------------------------------
    async def create_supplier(self, req: pb.CreateSupplierRequest) -> pb.CreateSupplierResponse:
        # Not retried: a unique name makes a second try a 409, not a second supplier.
        return await self.write(self.stub.CreateSupplier, req)

    async def get_supplier(self, supplier_id: str) -> pb.GetSupplierResponse:
        return await self.read(
            self.stub.GetSupplier, pb.GetSupplierRequest(supplier_id=supplier_id)
        )

    async def list_suppliers(self, req: pb.ListSuppliersRequest) -> pb.ListSuppliersResponse:
        return await self.read(self.stub.ListSuppliers, req)

    async def update_supplier(self, req: pb.UpdateSupplierRequest) -> pb.UpdateSupplierResponse:
        # At an expected version a retry cannot apply twice.
        return await self.write(self.stub.UpdateSupplier, req, idempotent=req.expected_version > 0)

    async def trigger_sync(self, supplier_id: str) -> pb.TriggerSyncResponse:
        # A second trigger returns the run in progress: safe to retry.
        return await self.write(
            self.stub.TriggerSync,
            pb.TriggerSyncRequest(supplier_id=supplier_id),
            idempotent=True,
        )

    async def list_sync_runs(self, req: pb.ListSyncRunsRequest) -> pb.ListSyncRunsResponse:
        return await self.read(self.stub.ListSyncRuns, req)

    # -- supplier products, alerts, offers ------------------------------------------------
    async def create_mapping(self, req: pb.CreateMappingRequest) -> pb.CreateMappingResponse:
        # Mapping to the same sku again changes nothing.
        return await self.write(self.stub.CreateMapping, req, idempotent=True)

    async def list_supplier_products(
        self, req: pb.ListSupplierProductsRequest
    ) -> pb.ListSupplierProductsResponse:
        return await self.read(self.stub.ListSupplierProducts, req)

    async def list_price_history(
        self, req: pb.ListPriceHistoryRequest
    ) -> pb.ListPriceHistoryResponse:
        return await self.read(self.stub.ListPriceHistory, req)

    async def list_price_alerts(self, req: pb.ListPriceAlertsRequest) -> pb.ListPriceAlertsResponse:
        return await self.read(self.stub.ListPriceAlerts, req)

    async def acknowledge_price_alert(self, alert_id: str) -> pb.AcknowledgePriceAlertResponse:
        return await self.write(
            self.stub.AcknowledgePriceAlert,
            pb.AcknowledgePriceAlertRequest(price_alert_id=alert_id),
            idempotent=True,
        )

    async def list_offers(self, req: pb.ListOffersRequest) -> pb.ListOffersResponse:
        return await self.read(self.stub.ListOffers, req)

    # -- supplier orders ------------------------------------------------------------------
    async def create_supplier_order(
        self, req: pb.CreateSupplierOrderRequest
    ) -> pb.CreateSupplierOrderResponse:
        # With an idempotency key the service replays the first order.
        return await self.write(
            self.stub.CreateSupplierOrder, req, idempotent=bool(req.idempotency_key)
        )

    async def get_supplier_order(self, supplier_order_id: str) -> pb.GetSupplierOrderResponse:
        return await self.read(
            self.stub.GetSupplierOrder,
            pb.GetSupplierOrderRequest(supplier_order_id=supplier_order_id),
        )

    async def list_supplier_orders(
        self, req: pb.ListSupplierOrdersRequest
    ) -> pb.ListSupplierOrdersResponse:
        return await self.read(self.stub.ListSupplierOrders, req)

    async def change_supplier_order_status(
        self, req: pb.ChangeSupplierOrderStatusRequest
    ) -> pb.ChangeSupplierOrderStatusResponse:
        return await self.write(self.stub.ChangeSupplierOrderStatus, req)

    async def receive_supplier_order(
        self, req: pb.ReceiveSupplierOrderRequest
    ) -> pb.ReceiveSupplierOrderResponse:
        # Not retried: a retried receipt would book the goods twice.
        return await self.write(self.stub.ReceiveSupplierOrder, req)
