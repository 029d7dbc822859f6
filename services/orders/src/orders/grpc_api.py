"""The OrdersService servicer: request → wire → use case (writes inside
`in_transaction`) → wire. Coded errors are mapped to status codes by the runtime's
interceptor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import grpc

from cypher.common.v1 import pagination_pb2
from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher_runtime.context import current_actor
from cypher_runtime.db import Database, in_transaction, session_scope
from orders import queries, wire
from orders.domain.customer import CustomerFields
from orders.errors import ValidationFailed
from orders.placement import PlacementSaga, PlaceOrder
from orders.service import OrdersService
from orders.service.orders import QuoteRequest

Context = grpc.aio.ServicerContext[Any, Any]


def _customer_fields(
    request: orders_pb2.CreateCustomerRequest | orders_pb2.UpdateCustomerRequest,
    *,
    partial: bool,
) -> CustomerFields:
    def text(name: str) -> str | None:
        if partial and not request.HasField(name):  # type: ignore[arg-type]
            return None
        return str(getattr(request, name))

    return CustomerFields(
        name=text("name"),
        email=text("email"),
        company=text("company"),
        vat_code=text("vat_code"),
        phone=text("phone"),
        reg_com=text("reg_com"),
        address=wire.address_from_proto(request.address, request.HasField("address")),
    )


class OrdersServicer(orders_pb2_grpc.OrdersServiceServicer):
    def __init__(self, database: Database, service: OrdersService, saga: PlacementSaga) -> None:
        self.db = database
        self.customers = service.customers
        self.orders = service.orders
        self.saga = saga

    # -- customers -------------------------------------------------------------------------
    async def CreateCustomer(
        self, request: orders_pb2.CreateCustomerRequest, context: Context
    ) -> orders_pb2.CreateCustomerResponse:
        fields = _customer_fields(request, partial=False)
        customer = await in_transaction(self.db, lambda uow: self.customers.create(uow, fields))
        return orders_pb2.CreateCustomerResponse(customer=wire.customer_to_proto(customer))

    async def GetCustomer(
        self, request: orders_pb2.GetCustomerRequest, context: Context
    ) -> orders_pb2.GetCustomerResponse:
        customer_id = wire.parse_uuid(request.customer_id, "customer_id")
        customer = await in_transaction(self.db, lambda uow: self.customers.get(uow, customer_id))
        return orders_pb2.GetCustomerResponse(customer=wire.customer_to_proto(customer))

    async def ListCustomers(
        self, request: orders_pb2.ListCustomersRequest, context: Context
    ) -> orders_pb2.ListCustomersResponse:
        async with session_scope(self.db) as session:
            items, cursor = await queries.list_customers(
                session,
                search=request.search.strip(),
                limit=request.page.limit,
                cursor=request.page.cursor,
            )
        return orders_pb2.ListCustomersResponse(
            customers=[wire.customer_to_proto(c) for c in items],
            page=pagination_pb2.PageResponse(next_cursor=cursor),
        )

    async def UpdateCustomer(
        self, request: orders_pb2.UpdateCustomerRequest, context: Context
    ) -> orders_pb2.UpdateCustomerResponse:
        customer_id = wire.parse_uuid(request.customer_id, "customer_id")
        fields = _customer_fields(request, partial=True)
        customer = await in_transaction(
            self.db,
            lambda uow: self.customers.update(
                uow, customer_id, fields, expected_version=request.expected_version
            ),
        )
        return orders_pb2.UpdateCustomerResponse(customer=wire.customer_to_proto(customer))

    # -- placing ---------------------------------------------------------------------------
    async def CreateOrder(
        self, request: orders_pb2.CreateOrderRequest, context: Context
    ) -> orders_pb2.CreateOrderResponse:
        cmd = PlaceOrder(
            customer_id=wire.parse_uuid(request.customer_id, "customer_id"),
            lines=wire.line_quantities(request.lines),
            locked_prices=wire.locked_prices(request.lines),
            allow_backorder=request.allow_backorder,
            notes=request.notes,
            shipping_address=wire.address_from_proto(
                request.shipping_address, request.HasField("shipping_address")
            ),
            idempotency_key=request.idempotency_key,
            quotation_id=request.quotation_id,
            quote_request_order_id=wire.optional_uuid(
                request.quote_request_order_id, "quote_request_order_id"
            ),
            pricing_date=request.pricing_date,
            actor=current_actor(),
        )
        order, replayed = await self.saga.place(cmd)
        return orders_pb2.CreateOrderResponse(order=wire.order_to_proto(order), replayed=replayed)

    async def CreateQuoteRequest(
        self, request: orders_pb2.CreateQuoteRequestRequest, context: Context
    ) -> orders_pb2.CreateQuoteRequestResponse:
        quote_request = QuoteRequest(
            customer_id=wire.parse_uuid(request.customer_id, "customer_id"),
            lines=wire.line_quantities(request.lines),
            notes=request.notes,
            shipping_address=wire.address_from_proto(
                request.shipping_address, request.HasField("shipping_address")
            ),
            idempotency_key=request.idempotency_key,
            actor=current_actor(),
        )
        order, replayed = await in_transaction(
            self.db, lambda uow: self.orders.create_quote_request(uow, quote_request)
        )
        return orders_pb2.CreateQuoteRequestResponse(
            order=wire.order_to_proto(order), replayed=replayed
        )

    # -- reading ---------------------------------------------------------------------------
    async def GetOrder(
        self, request: orders_pb2.GetOrderRequest, context: Context
    ) -> orders_pb2.GetOrderResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        order = await in_transaction(self.db, lambda uow: self.orders.get(uow, order_id))
        return orders_pb2.GetOrderResponse(order=wire.order_to_proto(order))

    async def ListOrders(
        self, request: orders_pb2.ListOrdersRequest, context: Context
    ) -> orders_pb2.ListOrdersResponse:
        statuses = [wire.status_from_proto(v, "statuses") for v in request.statuses]
        where = queries.OrderFilter(
            statuses=[s for s in statuses if s is not None],
            customer_id=wire.optional_uuid(request.customer_id, "customer_id"),
            created_from=wire.optional_datetime(
                request.created_from, request.HasField("created_from")
            ),
            created_to=wire.optional_datetime(request.created_to, request.HasField("created_to")),
        )
        async with session_scope(self.db) as session:
            orders, cursor = await queries.list_orders(
                session, where, limit=request.page.limit, cursor=request.page.cursor
            )
        return orders_pb2.ListOrdersResponse(
            orders=[wire.order_to_proto(o) for o in orders],
            page=pagination_pb2.PageResponse(next_cursor=cursor),
        )

    async def GetOrderStats(
        self, request: orders_pb2.GetOrderStatsRequest, context: Context
    ) -> orders_pb2.GetOrderStatsResponse:
        on, start, end = wire.day_window(request.day, request.time_zone, datetime.now(UTC))
        async with session_scope(self.db) as session:
            stats = await queries.order_stats(session, start=start, end=end)
        return wire.stats_to_proto(on, stats, "RON")

    async def GetOrderHistory(
        self, request: orders_pb2.GetOrderHistoryRequest, context: Context
    ) -> orders_pb2.GetOrderHistoryResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        history = await in_transaction(self.db, lambda uow: self.orders.history(uow, order_id))
        return orders_pb2.GetOrderHistoryResponse(
            history=[wire.change_to_proto(c) for c in history]
        )

    # -- changing --------------------------------------------------------------------------
    async def ChangeOrderStatus(
        self, request: orders_pb2.ChangeOrderStatusRequest, context: Context
    ) -> orders_pb2.ChangeOrderStatusResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        target = wire.status_from_proto(request.status)
        if target is None:
            raise ValidationFailed({"status": "required"})
        order = await in_transaction(
            self.db,
            lambda uow: self.orders.change_status(
                uow,
                order_id,
                target,
                reason=request.reason,
                actor=current_actor(),
                expected_version=request.expected_version,
            ),
        )
        return orders_pb2.ChangeOrderStatusResponse(order=wire.order_to_proto(order))

    async def CreateShipment(
        self, request: orders_pb2.CreateShipmentRequest, context: Context
    ) -> orders_pb2.CreateShipmentResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        lines = wire.line_quantities(request.lines) or None
        order, shipment = await in_transaction(
            self.db,
            lambda uow: self.orders.ship(
                uow,
                order_id,
                lines,
                carrier=request.carrier,
                tracking_number=request.tracking_number,
                idempotency_key=request.idempotency_key,
                actor=current_actor(),
            ),
        )
        return orders_pb2.CreateShipmentResponse(
            order=wire.order_to_proto(order), shipment=wire.shipment_to_proto(order, shipment)
        )

    async def RecordDelivery(
        self, request: orders_pb2.RecordDeliveryRequest, context: Context
    ) -> orders_pb2.RecordDeliveryResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        shipment_id = wire.parse_uuid(request.shipment_id, "shipment_id")
        delivered_at = wire.optional_datetime(
            request.delivered_at, request.HasField("delivered_at")
        )
        order, shipment = await in_transaction(
            self.db,
            lambda uow: self.orders.deliver(
                uow, order_id, shipment_id, delivered_at=delivered_at, actor=current_actor()
            ),
        )
        return orders_pb2.RecordDeliveryResponse(
            order=wire.order_to_proto(order), shipment=wire.shipment_to_proto(order, shipment)
        )

    async def CancelOrder(
        self, request: orders_pb2.CancelOrderRequest, context: Context
    ) -> orders_pb2.CancelOrderResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        order = await in_transaction(
            self.db,
            lambda uow: self.orders.cancel(
                uow, order_id, reason=request.reason, actor=current_actor()
            ),
        )
        return orders_pb2.CancelOrderResponse(order=wire.order_to_proto(order))

    async def ReturnOrder(
        self, request: orders_pb2.ReturnOrderRequest, context: Context
    ) -> orders_pb2.ReturnOrderResponse:
        order_id = wire.parse_uuid(request.order_id, "order_id")
        lines = wire.line_quantities(request.lines) or None
        order, order_return = await in_transaction(
            self.db,
            lambda uow: self.orders.return_goods(
                uow,
                order_id,
                lines,
                reason=request.reason,
                idempotency_key=request.idempotency_key,
                actor=current_actor(),
            ),
        )
        return orders_pb2.ReturnOrderResponse(
            order=wire.order_to_proto(order),
            order_return=wire.return_to_proto(order, order_return),
        )
