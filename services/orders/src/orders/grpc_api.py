"""The OrdersService servicer: proto ↔ use-case calls, nothing else.

Coded errors raised below are mapped to status codes by the runtime's interceptor;
the one exception is DUPLICATE_EMAIL, answered as ALREADY_EXISTS as the contract says.
"""

from __future__ import annotations

import uuid
from datetime import UTC
from typing import Any

import grpc

from cypher.common.v1 import pagination_pb2
from cypher.orders.v1 import orders_pb2, orders_pb2_grpc
from cypher_runtime.context import current_actor
from cypher_runtime.grpc_errors import to_grpc_status
from orders.customers import CustomerService
from orders.domain.model import parse_lines
from orders.errors import DuplicateEmail, ValidationFailed
from orders.lifecycle import OrderService
from orders.placement import PlacementSaga, PlaceOrder
from orders.proto_mapping import (
    address_from_proto,
    change_to_proto,
    customer_to_proto,
    line_price_from_proto,
    order_to_proto,
    return_to_proto,
    shipment_to_proto,
    status_from_proto,
)

Context = grpc.aio.ServicerContext[Any, Any]


def parse_uuid(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationFailed({field: "not a valid id"}) from None


def _lines(items: Any, field: str = "lines") -> dict[str, int]:
    return parse_lines([(ln.sku, int(ln.quantity)) for ln in items], field_name=field)


class OrdersServicer(orders_pb2_grpc.OrdersServiceServicer):
    def __init__(
        self, customers: CustomerService, orders: OrderService, saga: PlacementSaga
    ) -> None:
        self.customers = customers
        self.orders = orders
        self.saga = saga

    # -- customers -------------------------------------------------------------------------
    async def CreateCustomer(
        self, request: orders_pb2.CreateCustomerRequest, context: Context
    ) -> orders_pb2.CreateCustomerResponse:
        try:
            customer = await self.customers.create(
                name=request.name,
                email=request.email,
                company=request.company,
                vat_code=request.vat_code,
                address=address_from_proto(request.address, request.HasField("address")),
                phone=request.phone,
            )
        except DuplicateEmail as exc:
            await context.abort(
                *to_grpc_status(grpc.StatusCode.ALREADY_EXISTS, exc.code, exc.message, exc.details)
            )
            raise
        return orders_pb2.CreateCustomerResponse(customer=customer_to_proto(customer))

    async def GetCustomer(
        self, request: orders_pb2.GetCustomerRequest, context: Context
    ) -> orders_pb2.GetCustomerResponse:
        customer = await self.customers.get(parse_uuid(request.customer_id, "customer_id"))
        return orders_pb2.GetCustomerResponse(customer=customer_to_proto(customer))

    async def ListCustomers(
        self, request: orders_pb2.ListCustomersRequest, context: Context
    ) -> orders_pb2.ListCustomersResponse:
        items, cursor = await self.customers.list(
            search=request.search, limit=request.page.limit, cursor=request.page.cursor
        )
        return orders_pb2.ListCustomersResponse(
            customers=[customer_to_proto(c) for c in items],
            page=pagination_pb2.PageResponse(next_cursor=cursor),
        )

    async def UpdateCustomer(
        self, request: orders_pb2.UpdateCustomerRequest, context: Context
    ) -> orders_pb2.UpdateCustomerResponse:
        def opt(name: str) -> str | None:
            return str(getattr(request, name)) if request.HasField(name) else None  # type: ignore[arg-type]

        try:
            customer = await self.customers.update(
                parse_uuid(request.customer_id, "customer_id"),
                expected_version=request.expected_version,
                name=opt("name"),
                email=opt("email"),
                company=opt("company"),
                vat_code=opt("vat_code"),
                phone=opt("phone"),
                address=address_from_proto(request.address, request.HasField("address")),
            )
        except DuplicateEmail as exc:
            await context.abort(
                *to_grpc_status(grpc.StatusCode.ALREADY_EXISTS, exc.code, exc.message, exc.details)
            )
            raise
        return orders_pb2.UpdateCustomerResponse(customer=customer_to_proto(customer))

    # -- placing ---------------------------------------------------------------------------
    async def CreateOrder(
        self, request: orders_pb2.CreateOrderRequest, context: Context
    ) -> orders_pb2.CreateOrderResponse:
        lines = _lines(request.lines)
        locked = {
            ln.sku: line_price_from_proto(ln.locked_price)
            for ln in request.lines
            if ln.HasField("locked_price")
        }
        cmd = PlaceOrder(
            customer_id=parse_uuid(request.customer_id, "customer_id"),
            lines=lines,
            locked_prices=locked,
            allow_backorder=request.allow_backorder,
            notes=request.notes,
            shipping_address=address_from_proto(
                request.shipping_address, request.HasField("shipping_address")
            ),
            idempotency_key=request.idempotency_key,
            quotation_id=request.quotation_id,
            quote_request_order_id=(
                parse_uuid(request.quote_request_order_id, "quote_request_order_id")
                if request.quote_request_order_id
                else None
            ),
            pricing_date=request.pricing_date,
            actor=current_actor(),
        )
        order, replayed = await self.saga.place(cmd)
        return orders_pb2.CreateOrderResponse(order=order_to_proto(order), replayed=replayed)

    async def CreateQuoteRequest(
        self, request: orders_pb2.CreateQuoteRequestRequest, context: Context
    ) -> orders_pb2.CreateQuoteRequestResponse:
        order, replayed = await self.orders.create_quote_request(
            customer_id=parse_uuid(request.customer_id, "customer_id"),
            lines=_lines(request.lines),
            notes=request.notes,
            shipping_address=address_from_proto(
                request.shipping_address, request.HasField("shipping_address")
            ),
            idempotency_key=request.idempotency_key,
            actor=current_actor(),
        )
        return orders_pb2.CreateQuoteRequestResponse(order=order_to_proto(order), replayed=replayed)

    # -- reading ---------------------------------------------------------------------------
    async def GetOrder(
        self, request: orders_pb2.GetOrderRequest, context: Context
    ) -> orders_pb2.GetOrderResponse:
        order = await self.orders.get(parse_uuid(request.order_id, "order_id"))
        return orders_pb2.GetOrderResponse(order=order_to_proto(order))

    async def ListOrders(
        self, request: orders_pb2.ListOrdersRequest, context: Context
    ) -> orders_pb2.ListOrdersResponse:
        statuses = [s for s in (status_from_proto(v) for v in request.statuses) if s is not None]
        orders, cursor = await self.orders.list_orders(
            statuses=statuses,
            customer_id=parse_uuid(request.customer_id, "customer_id")
            if request.customer_id
            else None,
            created_from=request.created_from.ToDatetime(tzinfo=UTC)
            if request.HasField("created_from")
            else None,
            created_to=request.created_to.ToDatetime(tzinfo=UTC)
            if request.HasField("created_to")
            else None,
            limit=request.page.limit,
            cursor=request.page.cursor,
        )
        return orders_pb2.ListOrdersResponse(
            orders=[order_to_proto(o) for o in orders],
            page=pagination_pb2.PageResponse(next_cursor=cursor),
        )

    async def GetOrderHistory(
        self, request: orders_pb2.GetOrderHistoryRequest, context: Context
    ) -> orders_pb2.GetOrderHistoryResponse:
        history = await self.orders.history(parse_uuid(request.order_id, "order_id"))
        return orders_pb2.GetOrderHistoryResponse(history=[change_to_proto(c) for c in history])

    # -- changing --------------------------------------------------------------------------
    async def ChangeOrderStatus(
        self, request: orders_pb2.ChangeOrderStatusRequest, context: Context
    ) -> orders_pb2.ChangeOrderStatusResponse:
        target = status_from_proto(request.status)
        if target is None:
            raise ValidationFailed({"status": "required"})
        order = await self.orders.change_status(
            parse_uuid(request.order_id, "order_id"),
            target,
            reason=request.reason,
            actor=current_actor(),
            expected_version=request.expected_version,
        )
        return orders_pb2.ChangeOrderStatusResponse(order=order_to_proto(order))

    async def CreateShipment(
        self, request: orders_pb2.CreateShipmentRequest, context: Context
    ) -> orders_pb2.CreateShipmentResponse:
        order, shipment = await self.orders.ship(
            parse_uuid(request.order_id, "order_id"),
            _lines(request.lines) or None,
            carrier=request.carrier,
            tracking_number=request.tracking_number,
            idempotency_key=request.idempotency_key,
            actor=current_actor(),
        )
        return orders_pb2.CreateShipmentResponse(
            order=order_to_proto(order), shipment=shipment_to_proto(order, shipment)
        )

    async def RecordDelivery(
        self, request: orders_pb2.RecordDeliveryRequest, context: Context
    ) -> orders_pb2.RecordDeliveryResponse:
        order, shipment = await self.orders.deliver(
            parse_uuid(request.order_id, "order_id"),
            parse_uuid(request.shipment_id, "shipment_id"),
            delivered_at=request.delivered_at.ToDatetime(tzinfo=UTC)
            if request.HasField("delivered_at")
            else None,
            actor=current_actor(),
        )
        return orders_pb2.RecordDeliveryResponse(
            order=order_to_proto(order), shipment=shipment_to_proto(order, shipment)
        )

    async def CancelOrder(
        self, request: orders_pb2.CancelOrderRequest, context: Context
    ) -> orders_pb2.CancelOrderResponse:
        order = await self.orders.cancel(
            parse_uuid(request.order_id, "order_id"), reason=request.reason, actor=current_actor()
        )
        return orders_pb2.CancelOrderResponse(order=order_to_proto(order))

    async def ReturnOrder(
        self, request: orders_pb2.ReturnOrderRequest, context: Context
    ) -> orders_pb2.ReturnOrderResponse:
        order, order_return = await self.orders.return_goods(
            parse_uuid(request.order_id, "order_id"),
            _lines(request.lines) or None,
            reason=request.reason,
            actor=current_actor(),
        )
        return orders_pb2.ReturnOrderResponse(
            order=order_to_proto(order), order_return=return_to_proto(order, order_return)
        )
