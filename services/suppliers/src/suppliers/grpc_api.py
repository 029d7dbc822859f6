"""The SuppliersService servicer: request -> wire -> use case -> wire. Errors are the
service's coded errors, mapped to status codes by the runtime's interceptor."""

from __future__ import annotations

from typing import Any

from cypher.common.v1 import pagination_pb2
from cypher.suppliers.v1 import suppliers_pb2 as pb
from cypher.suppliers.v1 import suppliers_pb2_grpc
from cypher_runtime.db import Database, in_transaction, session_scope
from suppliers import queries, wire
from suppliers.errors import ValidationFailed
from suppliers.scrape import Scraper
from suppliers.service import SuppliersService

Context = Any  # grpc.aio.ServicerContext; the interceptor owns status handling


def _required(value: str, field: str) -> str:
    value = value.strip()
    if not value:
        raise ValidationFailed({field: "required"})
    if len(value) > 200:
        raise ValidationFailed({field: "at most 200 characters"})
    return value


def _page(cursor: str) -> pagination_pb2.PageResponse:
    return pagination_pb2.PageResponse(next_cursor=cursor)


class SuppliersServicer(suppliers_pb2_grpc.SuppliersServiceServicer):
    def __init__(self, db: Database, service: SuppliersService, scraper: Scraper) -> None:
        self.db = db
        self.service = service
        self.scraper = scraper

    # -- suppliers --------------------------------------------------------------------

    async def CreateSupplier(
        self, request: pb.CreateSupplierRequest, context: Context
    ) -> pb.CreateSupplierResponse:
        draft = wire.create_draft(request)
        supplier = await in_transaction(
            self.db, lambda uow: self.service.create_supplier(uow, draft)
        )
        return pb.CreateSupplierResponse(supplier=wire.supplier_pb(supplier))

    async def GetSupplier(
        self, request: pb.GetSupplierRequest, context: Context
    ) -> pb.GetSupplierResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        async with self.db.unit_of_work() as uow:
            supplier = await self.service.get_supplier(uow, supplier_id)
        return pb.GetSupplierResponse(supplier=wire.supplier_pb(supplier))

    async def ListSuppliers(
        self, request: pb.ListSuppliersRequest, context: Context
    ) -> pb.ListSuppliersResponse:
        async with session_scope(self.db) as session:
            page = await queries.list_suppliers(
                session,
                active_only=request.active_only,
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return pb.ListSuppliersResponse(
            suppliers=[wire.supplier_pb(s) for s in page.items], page=_page(page.next_cursor)
        )

    async def UpdateSupplier(
        self, request: pb.UpdateSupplierRequest, context: Context
    ) -> pb.UpdateSupplierResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        draft = wire.update_draft(request)
        supplier = await in_transaction(
            self.db,
            lambda uow: self.service.update_supplier(
                uow, supplier_id, draft, request.expected_version
            ),
        )
        return pb.UpdateSupplierResponse(supplier=wire.supplier_pb(supplier))

    # -- sync runs --------------------------------------------------------------------

    async def TriggerSync(
        self, request: pb.TriggerSyncRequest, context: Context
    ) -> pb.TriggerSyncResponse:
        run = await self.scraper.trigger(_required(request.supplier_id, "supplier_id"))
        return pb.TriggerSyncResponse(run=wire.run_pb(run))

    async def ListSyncRuns(
        self, request: pb.ListSyncRunsRequest, context: Context
    ) -> pb.ListSyncRunsResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        async with session_scope(self.db) as session:
            page = await queries.list_sync_runs(
                session, supplier_id, limit=request.page.limit, cursor=request.page.cursor
            )
        return pb.ListSyncRunsResponse(
            runs=[wire.run_pb(r) for r in page.items], page=_page(page.next_cursor)
        )

    # -- supplier products, alerts, offers -----------------------------------------------

    async def CreateMapping(
        self, request: pb.CreateMappingRequest, context: Context
    ) -> pb.CreateMappingResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        supplier_sku = _required(request.supplier_sku, "supplier_sku")
        sku = _required(request.sku, "sku")
        product = await in_transaction(
            self.db, lambda uow: self.service.map_item(uow, supplier_id, supplier_sku, sku)
        )
        return pb.CreateMappingResponse(supplier_product=wire.product_pb(product))

    async def ListSupplierProducts(
        self, request: pb.ListSupplierProductsRequest, context: Context
    ) -> pb.ListSupplierProductsResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        async with session_scope(self.db) as session:
            page = await queries.list_supplier_products(
                session,
                supplier_id,
                unmapped_only=request.unmapped_only,
                search=wire.text_of(request.search, "search", 100),
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return pb.ListSupplierProductsResponse(
            supplier_products=[wire.product_pb(p) for p in page.items],
            page=_page(page.next_cursor),
        )

    async def ListPriceAlerts(
        self, request: pb.ListPriceAlertsRequest, context: Context
    ) -> pb.ListPriceAlertsResponse:
        async with session_scope(self.db) as session:
            page = await queries.list_price_alerts(
                session,
                supplier_id=request.supplier_id.strip(),
                open_only=request.open_only,
                sku=request.sku.strip(),
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return pb.ListPriceAlertsResponse(
            price_alerts=[wire.alert_pb(x) for x in page.items], page=_page(page.next_cursor)
        )

    async def AcknowledgePriceAlert(
        self, request: pb.AcknowledgePriceAlertRequest, context: Context
    ) -> pb.AcknowledgePriceAlertResponse:
        alert_id = _required(request.price_alert_id, "price_alert_id")
        alert = await in_transaction(
            self.db, lambda uow: self.service.acknowledge_alert(uow, alert_id)
        )
        return pb.AcknowledgePriceAlertResponse(price_alert=wire.alert_pb(alert))

    async def GetBestOffer(
        self, request: pb.GetBestOfferRequest, context: Context
    ) -> pb.GetBestOfferResponse:
        sku = _required(request.sku, "sku")
        async with self.db.unit_of_work() as uow:
            offer = await self.service.best_offer(uow, sku)
        return pb.GetBestOfferResponse(offer=wire.offer_pb(offer))

    async def ListOffers(
        self, request: pb.ListOffersRequest, context: Context
    ) -> pb.ListOffersResponse:
        sku = _required(request.sku, "sku")
        async with session_scope(self.db) as session:
            page = await queries.list_offers(
                session,
                sku,
                self.service.ctx.policy.fx_rates,
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return pb.ListOffersResponse(
            offers=[wire.offer_pb(o) for o in page.items], page=_page(page.next_cursor)
        )

    async def ListPriceHistory(
        self, request: pb.ListPriceHistoryRequest, context: Context
    ) -> pb.ListPriceHistoryResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        supplier_sku = _required(request.supplier_sku, "supplier_sku")
        async with session_scope(self.db) as session:
            page = await queries.price_history(
                session,
                supplier_id,
                supplier_sku,
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return pb.ListPriceHistoryResponse(
            points=[wire.history_pb(x) for x in page.items], page=_page(page.next_cursor)
        )

    # -- supplier orders --------------------------------------------------------------

    async def CreateSupplierOrder(
        self, request: pb.CreateSupplierOrderRequest, context: Context
    ) -> pb.CreateSupplierOrderResponse:
        supplier_id = _required(request.supplier_id, "supplier_id")
        lines = wire.order_lines_of(list(request.lines))
        expected = wire.expected_date_of(request.expected_date)
        notes = wire.text_of(request.notes, "notes")
        customer_order = wire.text_of(request.order_id, "order_id", 64)
        key = wire.text_of(request.idempotency_key, "idempotency_key", 200)
        order, replayed = await in_transaction(
            self.db,
            lambda uow: self.service.create_order(
                uow,
                supplier_id,
                lines,
                customer_order_id=customer_order,
                expected_date=expected,
                notes=notes,
                idempotency_key=key,
                draft=request.draft,
            ),
        )
        return pb.CreateSupplierOrderResponse(
            supplier_order=wire.order_pb(order), replayed=replayed
        )

    async def GetSupplierOrder(
        self, request: pb.GetSupplierOrderRequest, context: Context
    ) -> pb.GetSupplierOrderResponse:
        order_id = _required(request.supplier_order_id, "supplier_order_id")
        async with self.db.unit_of_work() as uow:
            order = await self.service.get_order(uow, order_id)
        return pb.GetSupplierOrderResponse(supplier_order=wire.order_pb(order))

    async def ListSupplierOrders(
        self, request: pb.ListSupplierOrdersRequest, context: Context
    ) -> pb.ListSupplierOrdersResponse:
        status = wire.order_status_of(request.status, "status", required=False)
        async with session_scope(self.db) as session:
            page = await queries.list_supplier_orders(
                session,
                status=status,
                supplier_id=request.supplier_id.strip(),
                order_id=request.order_id.strip(),
                sku=request.sku.strip(),
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return pb.ListSupplierOrdersResponse(
            supplier_orders=[wire.order_pb(o) for o in page.items], page=_page(page.next_cursor)
        )

    async def ChangeSupplierOrderStatus(
        self, request: pb.ChangeSupplierOrderStatusRequest, context: Context
    ) -> pb.ChangeSupplierOrderStatusResponse:
        order_id = _required(request.supplier_order_id, "supplier_order_id")
        status = wire.order_status_of(request.status, "status", required=True)
        assert status is not None
        receipts = wire.receipts_of(list(request.received_lines))
        reason = wire.text_of(request.reason, "reason", 500)
        order = await in_transaction(
            self.db,
            lambda uow: self.service.change_order_status(
                uow,
                order_id,
                status,
                reason=reason,
                received=receipts or None,
                expected_version=request.expected_version,
            ),
        )
        return pb.ChangeSupplierOrderStatusResponse(supplier_order=wire.order_pb(order))

    async def ReceiveSupplierOrder(
        self, request: pb.ReceiveSupplierOrderRequest, context: Context
    ) -> pb.ReceiveSupplierOrderResponse:
        order_id = _required(request.supplier_order_id, "supplier_order_id")
        receipts = wire.receipts_of(list(request.lines))
        order = await in_transaction(
            self.db,
            lambda uow: self.service.receive_order(
                uow, order_id, receipts, request.expected_version
            ),
        )
        return pb.ReceiveSupplierOrderResponse(supplier_order=wire.order_pb(order))
